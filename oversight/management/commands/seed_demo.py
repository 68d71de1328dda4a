from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assignments.demo import load_demo_tasks
from oversight.demo import DEMO_PASSWORD, load_demo
from oversight.models import Unit
from visits.demo import load_demo_activity


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu tỉnh Tuyên Quang (chạy lại không thay đổi gì). Load the demo province."

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
        activity = load_demo_activity()
        tasks = load_demo_tasks()
        units = report.units
        self.stdout.write(
            f"Đơn vị / units: created={units.created} updated={units.updated} "
            f"unchanged={units.unchanged}; người / people created={report.people_created}; "
            f"chức vụ / positions created={report.positions_created}"
        )
        self.stdout.write(
            f"Phân công / assignments={activity.assignments}, lịch / schedules="
            f"{activity.schedules}, buổi họp / meetings={activity.meetings}, "
            f"ghi nhận / visits={activity.visits}, việc đột phá / tasks={tasks}"
        )
        self.stdout.write(f"\nĐăng nhập mẫu / demo logins (mật khẩu / password: {DEMO_PASSWORD})")
        for label, username, unit in report.logins:
            self.stdout.write(f"  {username:<24} {label} — {unit}")
