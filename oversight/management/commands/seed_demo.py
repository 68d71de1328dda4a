from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assignments.demo import load_demo_tasks
from oversight.demo import (
    DEMO_PASSWORD,
    apply_demo_reform,
    demo_reorganised,
    load_demo,
    load_new_term,
)
from oversight.models import Unit
from visits.demo import load_demo_activity, load_demo_history


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu mẫu: Tuyên Quang và Hà Giang nhiệm kỳ 2020–2025, sắp xếp ngày 01/07/2025, "
        "tỉnh Tuyên Quang mới nhiệm kỳ 2025–2030 (chạy lại không thay đổi gì). "
        "Load the demo province, before and after the 2025 reorganisation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Chỉ nạp khi chưa có đơn vị nào / only when the database holds no unit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Unit.objects.exists():
            self.stdout.write("Đã có dữ liệu, bỏ qua / data present, skipped (seed_demo)")
            return
        report = load_demo()
        if not demo_reorganised():
            history = load_demo_history()
            self.stdout.write(
                f"Nhiệm kỳ 2020–2025 / old term: assignments={history.assignments}, "
                f"meetings={history.meetings}, visits={history.visits}"
            )
            totals = apply_demo_reform()
            self.stdout.write(
                "Sắp xếp 01/07/2025 / reorganisation: "
                + " ".join(f"{key}={value}" for key, value in totals.items())
            )
        new_term = load_new_term()
        activity = load_demo_activity()
        tasks = load_demo_tasks()
        units = report.units
        self.stdout.write(
            f"Đơn vị / units: created={units.created} updated={units.updated} "
            f"unchanged={units.unchanged}; người / people created="
            f"{report.people_created + new_term.people_created}; "
            f"chức vụ / positions created={report.positions_created + new_term.positions_created}"
        )
        self.stdout.write(
            f"Phân công / assignments={activity.assignments}, lịch / schedules="
            f"{activity.schedules}, buổi họp / meetings={activity.meetings}, "
            f"ghi nhận / visits={activity.visits}, việc đột phá / tasks={tasks}"
        )
        self.stdout.write(f"\nĐăng nhập mẫu / demo logins (mật khẩu / password: {DEMO_PASSWORD})")
        for label, username, unit in [*report.logins, *new_term.logins]:
            self.stdout.write(f"  {username:<24} {label} — {unit}")
