from typing import Any

from django.core.management.base import BaseCommand

from oversight.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu tỉnh Tuyên Quang (chạy lại không thay đổi gì). Load the demo province."

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_demo()
        units = report.units
        self.stdout.write(
            f"Đơn vị / units: created={units.created} updated={units.updated} "
            f"unchanged={units.unchanged}; người / people created={report.people_created}; "
            f"chức vụ / positions created={report.positions_created}"
        )
        self.stdout.write(f"\nĐăng nhập mẫu / demo logins (mật khẩu / password: {DEMO_PASSWORD})")
        for label, username, unit in report.logins:
            self.stdout.write(f"  {username:<24} {label} — {unit}")
