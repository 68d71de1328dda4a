"""Benchmark: month-closing reminders for the national data set (~8,000 members).

Run after bench/national_reports.py. Inside one transaction that is rolled back at the end, the
attendance policy is raised so that every member falls short, the month-closing reminders are
planned for the reminder day, and every one is sent (claim, render text and HTML, hand to the
portal's outbox, mark sent) in this one process, as one worker would. Prints the time of each
step, the queries per reminder and the peak memory.
"""

import datetime
import time

from _setup import machine, peak_rss_mib, setup, vacuum


def main() -> None:
    setup()
    from django.conf import settings
    from django.db import connection, reset_queries, transaction
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from accounts.models import User
    from assignments.models import Assignment
    from oversight.clock import local_today
    from visits import reminders
    from visits.models import (
        AttendancePolicy,
        AttendanceTally,
        OutboxMessage,
        Reminder,
        add_months,
    )
    from visits.tallies import refresh_tallies

    settings.EMAIL_BACKEND = "visits.mail.OutboxBackend"
    today = local_today()
    closing = add_months(today.replace(day=1), 1).replace(day=settings.COMPLIANCE_CLOSING_DAY)
    reminder_day = closing - datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE_CLOSING)
    print(f"machine: {machine()}; PostgreSQL; reminder day {reminder_day:%d/%m/%Y}")
    with transaction.atomic():
        AttendancePolicy.objects.update(period="month", required_meetings=31)
        # The update bypasses save(): re-judge every assignment, as a policy saved would.
        started = time.perf_counter()
        refresh_tallies(Assignment.objects.values_list("pk", flat=True))
        print(
            f"the summary re-judged under the new policy in {time.perf_counter() - started:.1f} s"
        )
        User.objects.filter(username__startswith="bench.").update(
            email=Concat(F("username"), Value("@example.vn"))
        )
        started = time.perf_counter()
        planned = reminders.plan_month_closing(reminder_day)
        reminders.store(planned)
        planned_at = time.perf_counter()
        ids = list(reminders.sendable().values_list("pk", flat=True))
        settings.DEBUG = True
        reset_queries()
        # As the worker's task does: batches of REMINDER_BATCH, each over one mail connection.
        batches = [
            ids[i : i + settings.REMINDER_BATCH]
            for i in range(0, len(ids), settings.REMINDER_BATCH)
        ]
        reminders.send_many(batches[0])
        per_batch = len(connection.queries)
        settings.DEBUG = False
        for batch in batches[1:]:
            reminders.send_many(batch)
        finished = time.perf_counter()
        sent = Reminder.objects.filter(status="sent").count()
        peak = peak_rss_mib()
        assert len(planned) >= 7_900, len(planned)  # every member with an assignment is short
        # Every planned reminder sent, each exactly once in the outbox.
        assert sent == len(ids) == len(planned), (sent, len(ids), len(planned))
        assert OutboxMessage.objects.count() == sent, OutboxMessage.objects.count()
        print(f"planned {len(planned):,} reminders in {planned_at - started:.1f} s")
        print(f"sent {sent:,} in {finished - planned_at:.1f} s "
              f"({1000 * (finished - planned_at) / max(sent, 1):.2f} ms each, "
              f"{per_batch} queries a batch of {len(batches[0])}); "
              f"total {finished - started:.1f} s; "
              f"peak RSS {peak:.0f} MiB")  # fmt: skip
        transaction.set_rollback(True)
    vacuum(AttendanceTally, Reminder, OutboxMessage, User, AttendancePolicy)


if __name__ == "__main__":
    main()
