"""Reminders: the right people, exactly once, through a real Celery worker, with a way to stop."""

import datetime
import os
import signal
import subprocess
import threading
import time

import pytest
from django.conf import settings
from django.core import signing
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from tests.clock import TODAY, frozen_command, frozen_environment
from tests.conftest import fresh
from tests.factories import AssignmentFactory, PositionFactory, UserFactory
from visits import reminders
from visits.mail import OutboxBackend
from visits.models import (
    Meeting,
    OutboxMessage,
    Reminder,
    ReminderKind,
    ReminderOptOut,
    ReminderStatus,
    Visit,
    VisitKind,
    add_months,
)
from visits.services import do_return_visit, do_save_visit


@pytest.fixture(autouse=True)
def portal_outbox(settings):
    """Django's test runner swaps in its memory backend; these tests read the portal's outbox."""
    settings.EMAIL_BACKEND = "visits.mail.OutboxBackend"


def upcoming_meeting(tree) -> Meeting:
    day = TODAY + datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE_MEETING)
    return Meeting.objects.create(
        cell=tree.cell_a, kind="thematic", date=day, time=datetime.time(19, 30), place="Nhà văn hóa"
    )


def recipients(planned) -> set[str]:
    from accounts.models import User

    return set(
        User.objects.filter(pk__in=[p.recipient_id for p in planned]).values_list(
            "username", flat=True
        )
    )


def test_upcoming_meeting_goes_to_the_overseers_of_the_cell_only(oversight, tree, people):
    meeting = upcoming_meeting(tree)
    planned = reminders.plan_upcoming_meetings(TODAY)
    # The district member is assigned the cell, the provincial member its commune.
    assert recipients(planned) == {"d01.uv", "tinh.uv"}
    assert {p.subject for p in planned} == {f"meeting:{meeting.pk}"}
    leaver = fresh(oversight.province_member)
    leaver.is_active = False
    leaver.save()
    assert recipients(reminders.plan_upcoming_meetings(TODAY)) == {"d01.uv"}
    later = TODAY + datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE_MEETING)
    assert reminders.plan_upcoming_meetings(later) == []  # the meeting is no longer ahead


def test_month_closing_reminds_only_those_short_of_their_policy(oversight, tree, settings):
    settings.COMPLIANCE_CLOSING_DAY = 5
    settings.REMINDER_DAYS_BEFORE_CLOSING = 3
    second = add_months(TODAY.replace(day=1), 1).replace(day=2)
    last_month = add_months(second, -1)
    other = UserFactory(username="d01.uv2")
    PositionFactory(user=other, unit=tree.district_a, role="executive_member")
    AssignmentFactory(member=other, unit=tree.cell_a_2)
    meeting = Meeting.objects.create(
        cell=tree.cell_a_2, kind="thematic", date=last_month.replace(day=3)
    )
    if meeting.date <= TODAY:
        do_save_visit(
            fresh(other),
            Visit(member=other, logged_by=other, kind=VisitKind.MEETING, meeting=meeting),
            submit=True,
        )
        expected = {"d01.uv"}  # the one who logged is left alone
    else:
        expected = {"d01.uv", "d01.uv2"}
    planned = reminders.plan_month_closing(second)
    assert expected <= recipients(planned) and "d01.uv2" not in recipients(planned) - expected
    assert all(p.subject == f"closing:{last_month:%Y-%m}" for p in planned)
    assert reminders.plan_month_closing(second + datetime.timedelta(days=1)) == []


def test_planning_twice_stores_once_and_opt_outs_are_left_out(oversight, tree):
    upcoming_meeting(tree)
    planned = reminders.plan_upcoming_meetings(TODAY)
    reminders.store(planned)
    reminders.store(planned)
    assert Reminder.objects.count() == 2
    ReminderOptOut.objects.create(
        user=oversight.province_member, kind=ReminderKind.UPCOMING_MEETING
    )
    Reminder.objects.all().delete()
    reminders.store(planned)
    assert list(Reminder.objects.values_list("recipient__username", flat=True)) == ["d01.uv"]


def test_sending_twice_delivers_once_and_the_email_says_what_to_do(oversight, tree):
    meeting = upcoming_meeting(tree)
    reminders.store(reminders.plan_upcoming_meetings(TODAY))
    reminder = Reminder.objects.get(recipient=oversight.district_member)
    assert reminders.send(reminder.pk) is True
    assert reminders.send(reminder.pk) is False
    [message] = OutboxMessage.objects.all()
    assert message.to == oversight.district_member.email
    assert "Chi bộ thôn Nà Mô" in message.subject
    assert meeting.date.strftime("%d/%m/%Y") in message.body and "19:30" in message.body
    assert f"/visits/new/?meeting={meeting.pk}" in message.body
    assert "/unsubscribe/" in message.body and "/unsubscribe/" in message.html
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (ReminderStatus.SENT, 1)


def test_a_stale_claim_is_sent_again_but_delivered_once(oversight, tree, settings):
    upcoming_meeting(tree)
    reminders.store(reminders.plan_upcoming_meetings(TODAY))
    reminder = Reminder.objects.get(recipient=oversight.district_member)
    # A worker claimed it, handed the email over, and died before marking it sent.
    assert reminders.claim(reminder.pk)
    reminders.render(Reminder.objects.get(pk=reminder.pk)).send()
    assert not reminders.claim(reminder.pk)  # the claim is still fresh
    Reminder.objects.filter(pk=reminder.pk).update(
        claimed_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    assert reminders.send(reminder.pk)
    assert OutboxMessage.objects.count() == 1
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.SENT


def test_a_failed_send_keeps_its_error_and_ends_failed(oversight, tree, settings):
    settings.EMAIL_BACKEND = "tests.test_reminders.BrokenBackend"
    upcoming_meeting(tree)
    reminders.store(reminders.plan_upcoming_meetings(TODAY))
    reminder = Reminder.objects.first()
    with pytest.raises(ConnectionRefusedError):
        reminders.send(reminder.pk)
    reminders.record_failure(reminder.pk, ConnectionRefusedError("smtp down"), final=False)
    assert Reminder.objects.get(pk=reminder.pk).status == ReminderStatus.PENDING
    reminders.record_failure(reminder.pk, ConnectionRefusedError("smtp down"), final=True)
    failed = Reminder.objects.get(pk=reminder.pk)
    assert failed.status == ReminderStatus.FAILED and "smtp down" in failed.last_error


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_a_returned_visit_tells_its_member_with_the_comment(
    people, oversight, django_capture_on_commit_callbacks
):
    visit = do_save_visit(
        fresh(oversight.district_member),
        Visit(
            member=oversight.district_member,
            logged_by=oversight.district_member,
            kind=VisitKind.MEETING,
            meeting=oversight.meeting_a,
        ),
        submit=True,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        do_return_visit(fresh(people.commune_a_staff), visit, "Bổ sung số đảng viên dự")
    assert len(callbacks) == 1  # the sending is queued only once the return is committed
    reminder = Reminder.objects.get(kind=ReminderKind.RETURNED_VISIT)
    assert reminder.recipient == oversight.district_member
    reminders.send(reminder.pk)
    message = OutboxMessage.objects.get()
    assert "Bổ sung số đảng viên dự" in message.body
    assert f"/visits/{visit.pk}/edit/" in message.body


def test_unsubscribe_link_works_without_login_and_cannot_be_forged(client, oversight):
    token = reminders.unsubscribe_token(oversight.district_member.pk, ReminderKind.UPCOMING_MEETING)
    url = reverse("unsubscribe", args=[token])
    # A GET (a mail scanner opening the link) only asks to confirm.
    asked = client.get(url)
    assert asked.status_code == 200 and 'data-testid="confirm-unsubscribe"' in asked.text
    assert not ReminderOptOut.objects.exists()
    response = client.post(url)  # no CSRF token: mail clients post the link bare (RFC 8058)
    assert response.status_code == 200 and "không nhận thư" in response.text
    assert ReminderOptOut.objects.filter(
        user=oversight.district_member, kind="upcoming_meeting"
    ).exists()
    forged = signing.dumps(
        {"user": oversight.province_member.pk, "kind": "upcoming_meeting"}, salt="other"
    )
    assert client.post(reverse("unsubscribe", args=[forged])).status_code == 404
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.post(reverse("unsubscribe", args=[tampered])).status_code == 404
    assert not ReminderOptOut.objects.filter(user=oversight.province_member).exists()


def test_an_unsubscribe_link_expires_after_a_year(client, oversight, settings, time_machine):
    settings.UNSUBSCRIBE_LINK_DAYS = 365
    token = reminders.unsubscribe_token(oversight.district_member.pk, ReminderKind.UPCOMING_MEETING)
    time_machine.shift(datetime.timedelta(days=364))
    assert client.get(reverse("unsubscribe", args=[token])).status_code == 200
    time_machine.shift(datetime.timedelta(days=2))
    expired = client.post(reverse("unsubscribe", args=[token]))
    assert expired.status_code == 410 and "hết hạn" in expired.text
    assert not ReminderOptOut.objects.exists()


def test_send_reminders_command_dry_run_lists_and_sends_nothing(oversight, tree, capsys):
    from django.core.management import call_command

    upcoming_meeting(tree)
    call_command("send_reminders", "--kind", "upcoming_meeting", "--dry-run")
    out = capsys.readouterr().out
    assert "d01.uv" in out and "tinh.uv" in out and "[dry-run] 2" in out
    assert not Reminder.objects.exists()


# -- a real Celery worker --------------------------------------------------------------------


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_beat_tick_through_a_real_worker_sends_each_once(celery_worker, oversight, tree):
    from visits.tasks import plan_reminders, send_reminders

    upcoming_meeting(tree)
    plan_reminders.delay()
    assert wait_for(lambda: OutboxMessage.objects.count() == 2)
    ids = list(Reminder.objects.values_list("pk", flat=True))
    plan_reminders.delay()  # a second beat tick
    send_reminders.delay(ids)  # and a retried batch
    time.sleep(2)
    assert OutboxMessage.objects.count() == 2
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_batch_leaves_nothing_lost_or_doubled(
    require_services, oversight, tree, settings
):
    if connection.vendor != "postgresql":
        assert not require_services
        pytest.skip("a worker in another process needs the PostgreSQL test database")
    from visits.tasks import dispatch_pending, send_reminders

    people = [UserFactory(username=f"kill{n}") for n in range(40)]
    for person in people:
        Reminder.objects.create(
            recipient=person,
            kind="upcoming_meeting",
            subject="meeting:kill",
            context={"cell": "X", "date": "01/01/2026"},
        )
    db = connection.settings_dict

    def start_worker() -> subprocess.Popen:
        """A worker process on this test's clock, read again at each start."""
        env = {
            **frozen_environment(),
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "EMAIL_BACKEND": "tests.support.SlowOutboxBackend",
            "REMINDER_CLAIM_SECONDS": "1",
        }
        command = frozen_command("celery", "-A", "config", "worker", "--pool=solo")
        return subprocess.Popen(
            [*command, "--loglevel=WARNING"], env=env, cwd=settings.BASE_DIR, start_new_session=True
        )

    worker = start_worker()
    try:
        send_reminders.delay(list(Reminder.objects.values_list("pk", flat=True)))
        assert wait_for(lambda: OutboxMessage.objects.count() >= 5)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        delivered = OutboxMessage.objects.count()
        assert delivered < 40
        worker = start_worker()
        settings.REMINDER_CLAIM_SECONDS = 1
        time.sleep(1.5)
        dispatch_pending()  # the next beat tick's sweep
        assert wait_for(lambda: OutboxMessage.objects.count() == 40, seconds=60)
        time.sleep(1)
        assert OutboxMessage.objects.count() == 40
        assert OutboxMessage.objects.values("message_id").distinct().count() == 40
        assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def test_escalation_reaches_the_office_of_the_members_unit_and_cannot_be_stopped(
    client, people, oversight, tree, settings
):
    settings.COMPLIANCE_CLOSING_DAY = 5
    day_after_closing = add_months(TODAY.replace(day=1), 1).replace(day=6)
    office = PositionFactory(
        user=UserFactory(username="d01.vp"), unit=tree.district_a, role="office_staff"
    ).user
    ReminderOptOut.objects.create(user=office, kind=ReminderKind.ESCALATION)
    planned = reminders.plan_escalations(day_after_closing)
    # d01.uv (district level, monthly) is short: his unit's office hears, no other office.
    assert recipients(planned) == {"d01.vp"}
    [item] = planned
    assert any(oversight.district_member.full_name in line for line in item.context["members"])
    reminders.store(planned)
    reminder = Reminder.objects.get(kind=ReminderKind.ESCALATION)  # the opt-out did not apply
    reminders.send(reminder.pk)
    message = OutboxMessage.objects.get()
    assert "không thể tắt" in message.body and "/unsubscribe/" not in message.body
    token = reminders.unsubscribe_token(office.pk, ReminderKind.ESCALATION)
    assert "không thể tắt" in client.get(reverse("unsubscribe", args=[token])).text
    assert reminders.plan_escalations(day_after_closing + datetime.timedelta(days=1)) == []


def test_weekly_digest_on_mondays_for_office_staff(people, oversight, tree):
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())
    do_save_visit(
        fresh(oversight.district_member),
        Visit(
            member=oversight.district_member,
            logged_by=oversight.district_member,
            kind=VisitKind.MEETING,
            meeting=oversight.meeting_a,
        ),
        submit=True,
    )
    planned = {p.recipient_id: p for p in reminders.plan_weekly_digest(monday)}
    assert set(planned) == {
        people.province_office.pk,
        people.district_b_office.pk,
        people.commune_a_staff.pk,
    }
    assert planned[people.commune_a_staff.pk].context["waiting"] == 1
    assert planned[people.district_b_office.pk].context["waiting"] == 0
    assert reminders.plan_weekly_digest(monday + datetime.timedelta(days=1)) == []


def test_people_choose_their_reminders_in_the_portal(client, oversight):
    client.force_login(oversight.district_member)
    page = client.get(reverse("reminder-settings"))
    kinds = [kind for kind, _label, on in page.context["rows"]]
    assert "escalation" not in kinds and all(on for _k, _l, on in page.context["rows"])
    client.post(reverse("reminder-settings"), {"kind": ["returned_visit"]})
    stopped = set(
        ReminderOptOut.objects.filter(user=oversight.district_member).values_list("kind", flat=True)
    )
    everything_else = set(ReminderKind.values) - {"escalation", "returned_visit"}
    assert stopped == everything_else


def test_month_ends_and_year_ends(settings, oversight, tree):
    settings.COMPLIANCE_CLOSING_DAY = 5
    settings.REMINDER_DAYS_BEFORE_CLOSING = 3
    # December closes on 5 January: the reminder goes on 2 January, about December.
    january_second = datetime.date(TODAY.year + 1, 1, 2)
    planned = reminders.plan_month_closing(january_second)
    assert planned and {p.subject for p in planned} == {f"closing:{TODAY.year}-12"}
    assert planned[0].context["closing"] == f"05/01/{TODAY.year + 1}"
    assert reminders.plan_escalations(datetime.date(TODAY.year + 1, 1, 6))
    # A meeting on the last day of a month is announced from the days before it, across the turn.
    last_day = add_months(TODAY.replace(day=1), 1) - datetime.timedelta(days=1)
    meeting = Meeting.objects.create(cell=tree.cell_a, kind="thematic", date=last_day)
    day_before = last_day - datetime.timedelta(days=1)
    assert f"meeting:{meeting.pk}" in {
        p.subject for p in reminders.plan_upcoming_meetings(day_before)
    }


@pytest.mark.parametrize("members", [2, 12])
def test_month_closing_is_planned_in_a_fixed_number_of_queries(
    oversight, tree, settings, members, django_assert_max_num_queries
):
    """Planned from the attendance summary: one query whatever the number of members short
    (it was two a member)."""
    settings.COMPLIANCE_CLOSING_DAY = 5
    settings.REMINDER_DAYS_BEFORE_CLOSING = 3
    second = add_months(TODAY.replace(day=1), 1).replace(day=2)
    for number in range(members):
        member = UserFactory(username=f"d01.uv.{number}")
        PositionFactory(user=member, unit=tree.district_a, role="executive_member")
        AssignmentFactory(member=member, unit=tree.cell_a_2)
    with django_assert_max_num_queries(1):
        planned = reminders.plan_month_closing(second)
    assert {f"d01.uv.{number}" for number in range(members)} <= recipients(planned)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_claim_skips_what_another_worker_is_claiming(oversight, tree):
    """``claim_many`` takes a batch in two queries; a reminder another worker has locked for
    its own claim is left to it, not waited for, and taken by nobody twice."""
    people = [UserFactory(username=f"batch{n}") for n in range(3)]
    ids = [
        Reminder.objects.create(
            recipient=person, kind="upcoming_meeting", subject="meeting:batch", context={}
        ).pk
        for person in people
    ]
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                list(Reminder.objects.filter(pk=ids[0]).select_for_update())
                locked.set()
                release.wait(5)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert locked.wait(5)
    started = time.monotonic()
    assert reminders.claim_many(ids) == ids[1:]
    assert time.monotonic() - started < 1  # not waited for
    release.set()
    thread.join()
    assert reminders.claim_many(ids) == [ids[0]]  # free again, and the others went
    assert reminders.claim_many(ids) == []


def test_a_batch_of_several_kinds_sends_each_with_its_own_templates(oversight, tree):
    """A batch looks each kind's templates up once (``reminders.Templates``): a reminder of
    another kind later in the same batch still gets its own subject and text."""
    upcoming_meeting(tree)
    reminders.store(reminders.plan_upcoming_meetings(TODAY))
    closing = Reminder.objects.create(
        recipient=oversight.district_member,
        kind=ReminderKind.MONTH_CLOSING,
        subject="closing:batch",
        context={"closing": "05/12/2026", "areas": ["Xã Thử: 0/1"], "path": "/my/"},
    )
    ids = list(Reminder.objects.order_by("kind").values_list("pk", flat=True))
    assert len(ids) >= 3 and closing.pk in ids

    assert reminders.send_many(ids) == (len(ids), {})

    subjects = dict(OutboxMessage.objects.values_list("message_id", "subject"))
    for reminder in Reminder.objects.filter(pk__in=ids):
        assert (reminder.status, reminder.last_error) == (ReminderStatus.SENT, "")
        assert reminder.sent_at is not None
        expected = "khóa sổ" if reminder.kind == ReminderKind.MONTH_CLOSING else "Chi bộ thôn"
        assert expected in subjects[reminder.message_id], (reminder.kind, subjects)


class CancellingBackend(BaseEmailBackend):
    """Delivers, while an office stops the same reminder (its row no longer being sent)."""

    def send_messages(self, messages):
        Reminder.objects.update(status=ReminderStatus.CANCELLED)
        return len(messages)


def test_a_reminder_stopped_while_it_was_sent_is_not_marked_sent(oversight, tree, settings):
    """The mark is a compare-and-swap: only a row still being sent becomes sent (the email
    itself went, and counts as sent by this call)."""
    settings.EMAIL_BACKEND = "tests.test_reminders.CancellingBackend"
    upcoming_meeting(tree)
    reminders.store(reminders.plan_upcoming_meetings(TODAY))
    reminder = Reminder.objects.get(recipient=oversight.district_member)

    assert reminders.send_many([reminder.pk]) == (1, {})

    reminder.refresh_from_db()
    assert (reminder.status, reminder.sent_at) == (ReminderStatus.CANCELLED, None)


class OutboxThatFailsAfterWriting(OutboxBackend):
    """The outbox's rows written, then the database refuses the rest of the transaction."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise DatabaseError("the outbox's disk is full")


def test_an_outbox_batch_is_written_with_its_marks_or_not_at_all(oversight, tree, settings):
    """To the portal's outbox a batch's messages and their marks are one transaction: a write
    that fails leaves no message behind and every reminder still claimed, to be retried."""
    settings.EMAIL_BACKEND = "tests.test_reminders.OutboxThatFailsAfterWriting"
    upcoming_meeting(tree)
    ids = reminders.store(reminders.plan_upcoming_meetings(TODAY))
    assert len(ids) >= 2

    sent, failures = reminders.send_many(ids)

    assert (sent, set(failures)) == (0, set(ids))
    assert not OutboxMessage.objects.exists()
    assert set(Reminder.objects.values_list("status", flat=True)) == {ReminderStatus.SENDING}


@pytest.mark.parametrize("people_short", [2, 12])
def test_an_outbox_batch_is_sent_in_a_fixed_number_of_queries(
    oversight, tree, people_short, django_assert_num_queries
):
    """Claimed (2), read (1), written and marked in one transaction (2): five statements for
    the batch whatever its size (it was two a reminder), nine here where each transaction is a
    savepoint inside the test's."""
    ids = [
        Reminder.objects.create(
            recipient=UserFactory(username=f"short{number}"),
            kind=ReminderKind.MONTH_CLOSING,
            subject="closing:fixed",
            context={"closing": "05/12/2026", "areas": ["Xã Thử: 0/1"], "path": "/my/"},
        ).pk
        for number in range(people_short)
    ]
    with django_assert_num_queries(9):
        assert reminders.send_many(ids) == (people_short, {})
    assert OutboxMessage.objects.count() == people_short
