"""Reminders: who must hear what, and sending each exactly once.

A reminder is a row (recipient, kind, subject) under a unique constraint, so planning with
``ignore_conflicts`` is idempotent: two beat processes or a retried task plan each reminder
once. Sending claims a row with a compare-and-swap UPDATE (pending, or a claim whose lease ran
out, becomes "sending"), hands the email to the backend, then marks it sent. A worker killed
between claim and mark leaves a stale claim that the next sweep re-sends; the email's
Message-ID comes from the reminder, and the portal's outbox keeps one message per Message-ID,
so a re-send after a crash is not delivered twice there.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Position, User
from accounts.roles import Role
from assignments.models import Assignment, BreakthroughTask, TaskStatus
from oversight.models import ancestor_paths
from visits.models import (
    AttendanceTally,
    Meeting,
    MeetingStatus,
    Reminder,
    ReminderKind,
    ReminderOptOut,
    ReminderStatus,
    Visit,
    VisitStatus,
    add_months,
    closing_day,
)

UNSUBSCRIBE_SALT = "visits.reminders.unsubscribe"


@dataclass(frozen=True)
class Planned:
    recipient_id: int
    kind: str
    subject: str
    context: dict[str, object]


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed token that stops one kind of reminder for one person; it cannot be forged."""
    return signing.dumps({"user": user_id, "kind": kind}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """The (person, kind) a token was made for; ``signing.SignatureExpired`` once it is older
    than ``UNSUBSCRIBE_LINK_DAYS``, ``signing.BadSignature`` if it was altered."""
    max_age = datetime.timedelta(days=settings.UNSUBSCRIBE_LINK_DAYS)
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    return int(data["user"]), str(data["kind"])


def plan_upcoming_meetings(today: datetime.date) -> list[Planned]:
    """Overseers of cells meeting within the next ``REMINDER_DAYS_BEFORE_MEETING`` days: a window
    rather than one day, so a day the beat was down is caught up on the next, once."""
    day = today + datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE_MEETING)
    meetings = list(
        Meeting.objects.filter(date__gt=today, date__lte=day)
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("cell", "cell__parent")
    )
    overseers: dict[str, set[int]] = defaultdict(set)
    for member_id, path in (
        Assignment.objects.open_on(day)
        .filter(member__is_active=True)
        .values_list("member_id", "unit__path")
    ):
        overseers[path].add(member_id)
    planned = []
    for meeting in meetings:
        members = set().union(*(overseers.get(p, set()) for p in ancestor_paths(meeting.cell.path)))
        for member_id in members:
            planned.append(
                Planned(
                    member_id,
                    ReminderKind.UPCOMING_MEETING,
                    f"meeting:{meeting.pk}",
                    {
                        "cell": meeting.cell.name,
                        "commune": meeting.cell.parent.name if meeting.cell.parent else "",
                        "date": meeting.date.strftime("%d/%m/%Y"),
                        "time": meeting.time.strftime("%H:%M") if meeting.time else "",
                        "place": meeting.place,
                        "path": f"{reverse('visit-create')}?meeting={meeting.pk}",
                    },
                )
            )
    return planned


def plan_month_closing(today: datetime.date) -> list[Planned]:
    """Members still short of their policy for last month, ``REMINDER_DAYS_BEFORE_CLOSING``
    days before that month closes (its closing day, in this month)."""
    closing = today + datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE_CLOSING)
    period_day = add_months(closing, -1)
    if closing != closing_day(period_day):
        return []
    return [
        Planned(
            member_id,
            ReminderKind.MONTH_CLOSING,
            f"closing:{period_day:%Y-%m}",
            {"closing": closing.strftime("%d/%m/%Y"), "areas": areas, "path": reverse("my-work")},
        )
        for member_id, areas in _short_members(period_day).items()
    ]


def _short_members(period_day: datetime.date) -> dict[int, list[str]]:
    """Members short of their policy for the periods that end in ``period_day``'s month (a
    quarter ends in its last month), as the attendance summary counts them: the compliance
    report's own figures, in one query for the whole country. Each member's areas, as
    "area: logged/required", read as plain values (the country's ~23,000 rows as model
    instances took four times as long)."""
    short_members: dict[int, list[str]] = defaultdict(list)
    short = (
        AttendanceTally.objects.filter(
            column=period_day.replace(day=1), logged__lt=F("required"), member__is_active=True
        )
        .order_by("member_id", "unit__path")
        .values_list("member_id", "unit__name", "logged", "required")
    )
    for member_id, area, logged, required in short:
        short_members[member_id].append(f"{area}: {logged}/{required}")
    return short_members


def plan_escalations(today: datetime.date) -> list[Planned]:
    """The day after a month closed: the office staff of each member's unit hear who is still
    short (the member's unit: where their highest position is)."""
    closed = today - datetime.timedelta(days=1)
    period_day = add_months(closed, -1)
    if closed != closing_day(period_day):
        return []
    short = _short_members(period_day)
    if not short:
        return []
    home: dict[int, str] = {}
    for user_id, path in (
        Position.objects.current(today).filter(user__in=list(short)).order_by("unit__path")
        .values_list("user_id", "unit__path")
    ):  # fmt: skip
        home.setdefault(user_id, path)
    offices: dict[str, list[int]] = defaultdict(list)
    for user_id, path in (
        Position.objects.current(today).filter(role=Role.OFFICE_STAFF, user__is_active=True)
        .values_list("user_id", "unit__path")
    ):  # fmt: skip
        offices[path].append(user_id)
    members = User.objects.only("full_name", "first_name", "last_name", "username").in_bulk(
        list(short)
    )
    by_office: dict[int, list[str]] = defaultdict(list)
    for member_id, areas in short.items():
        for staff_id in offices.get(home.get(member_id, ""), []):
            name = members[member_id].get_full_name()
            by_office[staff_id].append(f"{name} — {'; '.join(areas)}")
    return [
        Planned(
            staff_id,
            ReminderKind.ESCALATION,
            f"escalation:{period_day:%Y-%m}",
            {
                "month": f"{period_day:%m/%Y}",
                "members": lines,
                "path": reverse("report-compliance"),
            },
        )
        for staff_id, lines in by_office.items()
    ]


def plan_weekly_digest(today: datetime.date) -> list[Planned]:
    """Mondays: each office's subtree this month, and what waits for its review."""
    if today.weekday() != 0:
        return []
    month = today.replace(day=1)
    planned = []
    staff = User.objects.filter(
        is_active=True, positions__in=Position.objects.current(today).filter(role=Role.OFFICE_STAFF)
    ).distinct()
    for person in staff:
        visits = Visit.objects.visible_to(person).filter(date__gte=month, date__lte=today)
        planned.append(
            Planned(
                person.pk,
                ReminderKind.WEEKLY_DIGEST,
                f"digest:{today:%G-W%V}",
                {
                    "week": f"{today:%d/%m/%Y}",
                    "waiting": Visit.objects.awaiting_review_by(person).count(),
                    "logged": visits.logged().count(),
                    "accepted": visits.filter(status=VisitStatus.ACCEPTED).count(),
                    "path": reverse("review-queue"),
                },
            )
        )
    return planned


def _task_context(task: BreakthroughTask) -> dict[str, object]:
    return {
        "title": task.title,
        "deadline": task.deadline.strftime("%d/%m/%Y"),
        "cadre": task.cadre.get_full_name(),
        "path": reverse("task-detail", args=[task.pk]),
    }


def plan_task_reminders(today: datetime.date) -> list[Planned]:
    """Breakthrough tasks: the deadline coming up and no progress reported for a while (to the
    cadre), and a passed deadline (to the cadre and the offices above their unit)."""
    soon = today + datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE_TASK_DEADLINE)
    quiet_since = today - datetime.timedelta(weeks=settings.REMINDER_WEEKS_WITHOUT_PROGRESS)
    tasks = (
        BreakthroughTask.objects.open()
        .exclude(status=TaskStatus.PROPOSED)
        .filter(cadre__is_active=True)
        .select_related("cadre", "owner_unit")
        .annotate(last_report=Max("progress_reports__date"))
    )
    offices: dict[str, list[int]] = defaultdict(list)
    for user_id, path in (
        Position.objects.current(today).filter(role=Role.OFFICE_STAFF, user__is_active=True)
        .values_list("user_id", "unit__path")
    ):  # fmt: skip
        offices[path].append(user_id)
    planned = []
    for task in tasks:
        context = _task_context(task)
        if task.deadline < today:
            above = ancestor_paths(task.owner_unit.path)
            people = {task.cadre_id, *(u for path in above for u in offices.get(path, []))}
            planned += [
                Planned(
                    person,
                    ReminderKind.TASK_OVERDUE,
                    f"task:{task.pk}:overdue:{task.deadline}",
                    context,
                )
                for person in people
            ]
        elif task.deadline <= soon:
            subject = f"task:{task.pk}:deadline:{task.deadline}"
            planned.append(Planned(task.cadre_id, ReminderKind.TASK_DEADLINE, subject, context))
        last = task.last_report or (task.decision_date or task.created_at.date())
        if task.deadline >= today and last < quiet_since:
            subject = f"task:{task.pk}:no-progress-since:{last}"
            planned.append(Planned(task.cadre_id, ReminderKind.TASK_NO_PROGRESS, subject, context))
    return planned


def plan_returned_visit(visit: Visit) -> list[Planned]:
    """The member whose visit was sent back, with the reviewer's comment."""
    return [
        Planned(
            visit.member_id,
            ReminderKind.RETURNED_VISIT,
            f"visit:{visit.pk}:returned:{visit.history.count()}",
            {
                "unit": visit.unit.name,
                "date": visit.date.strftime("%d/%m/%Y"),
                "comment": visit.review_comment,
                "path": reverse("visit-edit", args=[visit.pk]),
            },
        )
    ]


PLANNERS = {
    ReminderKind.UPCOMING_MEETING: plan_upcoming_meetings,
    ReminderKind.MONTH_CLOSING: plan_month_closing,
    ReminderKind.ESCALATION: plan_escalations,
    ReminderKind.WEEKLY_DIGEST: plan_weekly_digest,
    # One planner for the three kinds of task reminders: they read the same tasks.
    ReminderKind.TASK_DEADLINE: plan_task_reminders,
}


def store(planned: list[Planned]) -> list[int]:
    """Insert the planned reminders that are new (people who opted out are left out); the ids of
    every pending or stale one for these subjects come back, ready to send."""
    opted_out = set(
        ReminderOptOut.objects.exclude(kind__in=ReminderKind.mandatory()).values_list(
            "user_id", "kind"
        )
    )
    rows = [
        Reminder(recipient_id=p.recipient_id, kind=p.kind, subject=p.subject, context=p.context)
        for p in planned
        if (p.recipient_id, p.kind) not in opted_out
    ]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return list(sendable().values_list("pk", flat=True))


def sendable() -> QuerySet[Reminder]:
    """Reminders waiting to go: pending, or claimed by a worker whose lease has run out."""
    stale = timezone.now() - datetime.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)
    return Reminder.objects.filter(
        Q(status=ReminderStatus.PENDING) | Q(status=ReminderStatus.SENDING, claimed_at__lt=stale)
    )


@transaction.atomic
def claim_many(reminder_ids: list[int]) -> list[int]:
    """Take these reminders for sending, in two queries for the batch: the ones still sendable
    are locked (those another worker is claiming are skipped, not waited for), then marked
    as being sent. The ids taken, in the order asked; one that someone else has, or that
    went, is not among them."""
    free = set(
        sendable()
        .filter(pk__in=reminder_ids)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    Reminder.objects.filter(pk__in=free).update(
        status=ReminderStatus.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    return [reminder_id for reminder_id in reminder_ids if reminder_id in free]


def claim(reminder_id: int) -> bool:
    """Take one reminder for sending, atomically; False if someone else has it or it went."""
    return bool(claim_many([reminder_id]))


def render(reminder: Reminder, templates: Templates | None = None) -> EmailMultiAlternatives:
    """The email, in Vietnamese, text and HTML, with the page to act on and a way to stop
    (``templates``: those already looked up for this batch, by kind)."""
    recipient: User = reminder.recipient
    token = unsubscribe_token(recipient.pk, reminder.kind)
    context = {
        **reminder.context,
        "reminder": reminder,
        "name": recipient.get_full_name(),
        "action_url": settings.SITE_URL + str(reminder.context.get("path", "/")),
        "unsubscribe_url": settings.SITE_URL + reverse("unsubscribe", args=[token]),
        "mandatory": reminder.kind in ReminderKind.mandatory(),
    }
    if templates is None:
        templates = Templates()
    subject_template, text_template, html_template = templates[reminder.kind]
    with translation.override("vi"):
        subject = subject_template.render(context).strip()
        text = text_template.render(context)
        html = html_template.render(context)
    headers = {"Message-ID": reminder.message_id}
    if not context["mandatory"]:
        headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        # RFC 8058: mail clients POST to the link; a plain GET (a link scanner) stops nothing.
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[recipient.email], headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message


class Templates(dict[str, tuple[Any, Any, Any]]):
    """The subject, text and HTML templates of each kind of reminder, looked up once for a
    batch rather than once a message."""

    def __missing__(self, kind: str) -> tuple[Any, Any, Any]:
        subject, text, html = (
            get_template(f"reminders/{kind}{suffix}")
            for suffix in ("_subject.txt", ".txt", ".html")
        )
        self[kind] = (subject, text, html)
        return subject, text, html


def send(reminder_id: int) -> bool:
    """Claim, send and mark one reminder; True when this call sent it (a failure raises)."""
    sent, failures = send_many([reminder_id])
    if failures:
        raise failures[reminder_id]
    return sent == 1


def send_many(reminder_ids: list[int]) -> tuple[int, dict[int, Exception]]:
    """Claim, send and mark a batch: the batch claimed in one locked compare-and-swap
    (``claim_many``: one another worker holds is left to it), read in one query and sent over one
    connection to the mail server, each marked sent as soon as it went (a worker that dies
    mid-batch resends at most the one it was sending). When the mail goes to a backend that
    writes to the database itself (``sends_in_transaction``, the portal's outbox), the batch's
    messages and their marks are one transaction instead: all of it went, or none. The number
    sent, and the error of each that failed (still claimed, for ``record_failure``)."""
    claimed = claim_many(reminder_ids)
    if not claimed:
        return 0, {}
    batch = Reminder.objects.select_related("recipient").in_bulk(claimed)
    unreachable = {
        pk for pk in claimed if not batch[pk].recipient.email or not batch[pk].recipient.is_active
    }
    if unreachable:
        Reminder.objects.filter(pk__in=unreachable).update(
            status=ReminderStatus.FAILED, last_error="no email address or inactive"
        )
    mail = get_connection()
    try:
        mail.open()
    except Exception as error:  # the mail server is not there: the whole batch waits
        return 0, {pk: error for pk in claimed if pk not in unreachable}
    messages, failures = {}, {}
    templates = Templates()
    try:
        for reminder_id in claimed:
            if reminder_id in unreachable:
                continue
            try:
                messages[reminder_id] = render(batch[reminder_id], templates)
            except Exception as error:  # a template or a context that cannot render
                failures[reminder_id] = error
        if getattr(mail, "sends_in_transaction", False):
            sent = _send_together(mail, messages, failures)
        else:
            sent = _send_each(mail, messages, failures)
    finally:
        mail.close()
    return sent, failures


def _mark_sent(reminder_ids: list[int]) -> None:
    """A compare-and-swap: only a reminder still being sent becomes sent (one an office stopped
    meanwhile stays stopped)."""
    Reminder.objects.filter(pk__in=reminder_ids, status=ReminderStatus.SENDING).update(
        status=ReminderStatus.SENT, sent_at=timezone.now(), last_error=""
    )


def _send_each(
    mail: Any, messages: dict[int, EmailMultiAlternatives], failures: dict[int, Exception]
) -> int:
    """One message at a time to a mail server, each marked sent as soon as it went."""
    sent = 0
    for reminder_id, message in messages.items():
        try:
            mail.send_messages([message])
        except Exception as error:  # any backend error: kept on the row by the caller
            failures[reminder_id] = error
            continue
        _mark_sent([reminder_id])
        sent += 1
    return sent


def _send_together(
    mail: Any, messages: dict[int, EmailMultiAlternatives], failures: dict[int, Exception]
) -> int:
    """The whole batch to a backend that writes to the database, with the marks, in one
    transaction: two statements for the batch instead of two a message."""
    try:
        with transaction.atomic():
            mail.send_messages(list(messages.values()))
            _mark_sent(list(messages))
    except Exception as error:  # the outbox could not be written: the whole batch waits
        failures.update(dict.fromkeys(messages, error))
        return 0
    return len(messages)


def record_failure(reminder_id: int, error: Exception, final: bool) -> None:
    """Keep the error; a reminder that ran out of retries is shown as failed, never dropped."""
    Reminder.objects.filter(pk=reminder_id).update(
        status=ReminderStatus.FAILED if final else ReminderStatus.PENDING,
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )
