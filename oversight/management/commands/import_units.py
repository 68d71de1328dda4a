from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from oversight.importing import UnitImportError, import_units, read_unit_file


class Command(BaseCommand):
    help = (
        "Nhập cây đơn vị từ tệp CSV/XLSX (code,name,level,division_type,parent_code). "
        "Import the unit tree from a CSV or XLSX file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (UTF-8) or XLSX file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Kiểm tra và báo số liệu, không ghi gì / check and report, write nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = read_unit_file(options["file"])
            report = import_units(rows, dry_run=options["dry_run"])
        except FileNotFoundError as error:
            raise CommandError(f"Không tìm thấy tệp / file not found: {error.filename}") from None
        except UnitImportError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"Tệp bị từ chối, không ghi gì ({len(error.problems)} lỗi). "
                f"File refused, nothing written ({len(error.problems)} problems)."
            ) from None
        prefix = "[dry-run] " if report.dry_run else ""
        self.stdout.write(
            f"{prefix}created={report.created} updated={report.updated} "
            f"unchanged={report.unchanged} "
            f"(tạo mới {report.created}, cập nhật {report.updated}, "
            f"không đổi {report.unchanged})"
        )
