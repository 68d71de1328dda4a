"""When the broker (Redis) is down the portal keeps working: a visit is returned, the reminder
to its member waits in the database, and it is sent, once, when the broker is back."""

from collections.abc import Callable, Iterator

import pytest
from django.urls import reverse

from tests.conftest import fresh
from tests.test_reminders import wait_for
from visits.models import OutboxMessage, Reminder, ReminderKind, ReminderStatus, Visit
from visits.services import do_save_visit


@pytest.fixture
def broker_outage() -> Iterator[Callable[[], None]]:
    """Point the portal's publishing side at an address where nothing listens (port 1), which
    is what a stopped Redis looks like to it; the fixture gives the call that brings the real
    broker back. The worker keeps its own connection."""
    from config.celery import app

    real = app.conf.broker_write_url

    def point_at(url: str) -> None:
        app.conf.broker_write_url = url  # what publishing uses; the worker reads with its own
        app._after_fork()  # drop the pooled connections: the next publish dials anew

    point_at("redis://127.0.0.1:1/0")
    yield lambda: point_at(real)
    point_at(real)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pages_work_with_the_broker_down_and_reminders_follow_when_it_returns(
    celery_worker, client, people, oversight, broker_outage, settings
):
    settings.EMAIL_BACKEND = "visits.mail.OutboxBackend"
    from visits.tasks import plan_reminders

    member = oversight.district_member
    visit = do_save_visit(
        fresh(member),
        Visit(member=member, logged_by=member, kind="meeting", meeting=oversight.meeting_a),
        submit=True,
    )
    client.force_login(people.commune_a_staff)
    response = client.post(
        reverse("visit-review", args=[visit.pk]),
        {"action": "return", "review_comment": "Bổ sung số đảng viên dự"},
    )
    assert response.status_code == 302
    assert Visit.objects.get(pk=visit.pk).status == "returned"
    reminder = Reminder.objects.get(kind=ReminderKind.RETURNED_VISIT, recipient=member)
    assert reminder.status == ReminderStatus.PENDING
    assert not OutboxMessage.objects.exists()

    broker_outage()  # Redis is back: beat's next tick queues what waits
    plan_reminders.delay()
    assert wait_for(lambda: Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.SENT)
    assert OutboxMessage.objects.filter(to__contains=member.email).count() == 1
