import datetime
import logging

from celery import Task, shared_task
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from assignments.models import Assignment
from oversight.clock import local_today
from visits import reminders
from visits.models import Meeting, add_months
from visits.tallies import finish_refreshes, refresh_tallies

logger = logging.getLogger(__name__)


@shared_task
def plan_meetings() -> int:
    """Create this month's and next month's regular meetings from the schedules (idempotent)."""
    this_month = local_today().replace(day=1)
    return Meeting.objects.plan_month(this_month) + Meeting.objects.plan_month(
        add_months(this_month, 1)
    )


@shared_task(acks_late=True)
def plan_reminders() -> int:
    """Beat's tick: plan what is due today (idempotent) and send whatever waits."""
    today = local_today()
    with transaction.atomic():
        for planner in reminders.PLANNERS.values():
            reminders.store(planner(today))
        transaction.on_commit(dispatch_pending)
    return reminders.sendable().count()


def dispatch_pending() -> None:
    """Queue the waiting reminders in batches, each a task of its own.

    When the broker cannot be reached the reminders simply stay pending in the database: the
    page or task that asked goes on (its own work is committed), and the next beat tick after
    the broker returns queues them again; nothing is lost and nothing is sent twice."""
    ids = list(reminders.sendable().order_by("pk").values_list("pk", flat=True))
    batch = settings.REMINDER_BATCH
    try:
        for start in range(0, len(ids), batch):
            send_reminders.delay(ids[start : start + batch])
    except OperationalError as error:
        logger.warning("reminders: broker unreachable, %d left pending: %s", len(ids), error)


@shared_task(bind=True, acks_late=True, max_retries=4)
def send_reminders(self: Task, reminder_ids: list[int]) -> int:
    """Send a batch; a failure is kept on the reminder and retried with backoff, then shown as
    failed. Running this twice sends nothing twice: each reminder is claimed first."""
    final = self.request.retries >= (self.max_retries or 0)
    sent, failures = reminders.send_many(reminder_ids)
    for reminder_id, error in failures.items():
        reminders.record_failure(reminder_id, error, final=final)
    failed = list(failures)
    if failed and not final:
        raise self.retry(args=(failed,), countdown=min(60 * 2**self.request.retries, 900))
    return sent


@shared_task
def extend_tallies() -> int:
    """January's task: carry the attendance summary of the assignments still open a year
    further (``visits.tallies.horizon``); idempotent, as every refresh is."""
    today = local_today()
    open_now = Assignment.objects.overlapping(today, datetime.date.max)
    return refresh_tallies(open_now.values_list("pk", flat=True), today)


@shared_task(acks_late=True)
def finish_tally_refreshes() -> int:
    """Recount the attendance summary for the policy changes too large for their request
    (``visits.tallies.finish_refreshes``); queued when such a change commits, and run by the
    beat every 15 minutes for one whose task was lost. Idempotent."""
    return finish_refreshes()


def queue_tally_refreshes() -> None:
    """Queue the recount; with the broker out of reach it waits for the beat's next run."""
    try:
        finish_tally_refreshes.delay()
    except OperationalError as error:
        logger.warning("tallies: broker unreachable, the recount waits for the beat: %s", error)
