import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from assignments.models import Assignment
from visits.models import AttendanceTally
from visits.tallies import rebuild_tallies


class Command(BaseCommand):
    help = (
        "Tính lại bảng tổng hợp dự sinh hoạt từ dữ liệu gốc (--if-empty: chỉ khi bảng còn trống). "
        "Rebuild the attendance summary from the raw rows (--if-empty: only when it is empty)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Chỉ khi chưa có dòng tổng hợp nào / only when the summary holds no row",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and (
            AttendanceTally.objects.exists() or not Assignment.objects.exists()
        ):
            self.stdout.write("Bảng tổng hợp đã có, bỏ qua / summary present, skipped")
            return
        started = time.perf_counter()
        with transaction.atomic():
            changed = rebuild_tallies()
        self.stdout.write(
            f"Tổng hợp dự sinh hoạt / attendance summary: {changed} dòng thay đổi / rows changed, "
            f"{AttendanceTally.objects.count()} dòng / rows, "
            f"{time.perf_counter() - started:.1f} s"
        )
