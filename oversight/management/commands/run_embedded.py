import signal

# It starts the portal's own worker and beat, with fixed arguments (bandit's B404 and B603).
import subprocess  # nosec B404
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from visits.tasks import plan_meetings, plan_reminders

STOP_TIMEOUT_SECONDS = 15


class Command(BaseCommand):
    help = (
        "Chạy máy chủ web cùng Celery worker và beat; Ctrl-C dừng cả ba. "
        "Run the web server with a Celery worker and beat; Ctrl-C stops all three."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        # Ctrl-C and a service manager's SIGTERM both end here, even when a shell that
        # started us in the background left SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        celery = [sys.executable, "-m", "celery", "-A", "config"]
        helpers = [
            subprocess.Popen([*celery, "worker", "--loglevel=INFO", "--concurrency=2"]),  # nosec B603
            subprocess.Popen([*celery, "beat", "--loglevel=INFO"]),  # nosec B603
        ]
        # Beat's first tick comes one interval after it starts; do today's planning now, so
        # the demo's meetings and reminders are there at once (the tasks are idempotent).
        plan_meetings.delay()
        plan_reminders.delay()
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            for process in helpers:
                process.terminate()
            for process in helpers:
                try:
                    process.wait(timeout=STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
