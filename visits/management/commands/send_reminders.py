import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import User
from oversight.clock import local_today
from visits import reminders
from visits.tasks import dispatch_pending


class Command(BaseCommand):
    help = (
        "Lập và gửi nhắc việc hôm nay (--dry-run: chỉ liệt kê ai nhận gì). "
        "Plan and send today's reminders (--dry-run: only list who would get what)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=[str(k) for k in reminders.PLANNERS])
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--date", help="YYYY-MM-DD instead of today")

    def handle(self, *args: Any, **options: Any) -> None:
        today = datetime.date.fromisoformat(options["date"]) if options["date"] else local_today()
        kinds = [options["kind"]] if options["kind"] else list(reminders.PLANNERS)
        planned = [p for kind in kinds for p in reminders.PLANNERS[kind](today)]
        names = dict(
            User.objects.filter(pk__in={p.recipient_id for p in planned}).values_list(
                "pk", "username"
            )
        )
        for item in planned:
            self.stdout.write(f"{item.kind:<18} {names[item.recipient_id]:<24} {item.subject}")
        if options["dry_run"]:
            self.stdout.write(f"[dry-run] {len(planned)} nhắc việc / reminders, không gửi gì")
            return
        reminders.store(planned)
        dispatch_pending()
        self.stdout.write(f"{len(planned)} nhắc việc / reminders planned and queued")
