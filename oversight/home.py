"""What needs each person today, for the home page: built from the same gate and the same
report functions as the pages it links to, so that a number on the home is the number there.

Office staff see their queue and what falls short; a committee member sees their areas; a
secretary or standing member sees how the scope stands. A person with several hats sees each.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.rights import may_somewhere
from accounts.roles import Role
from assignments.models import Assignment, BreakthroughTask
from assignments.services import YearSummary, year_summary
from oversight.models import Unit
from oversight.reporting import reports
from visits.models import (
    Meeting,
    Reminder,
    ReminderStatus,
    Visit,
    VisitStatus,
    add_months,
    closing_day,
)
from visits.progress import Progress, member_progress

UNVISITED_MONTHS = 3
LEADER_MONTHS = 7  # this period and the six before it
BEHIND_LISTED = 5
UPCOMING_LISTED = 5
LEADER_ROLES = {Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.STANDING_MEMBER}


@dataclass(frozen=True)
class Item:
    """One line of the home: what it counts, how many, a word on it, and the page that acts on
    it (none when the person cannot open that page)."""

    key: str
    label: str
    count: int
    url: str
    note: str = ""
    urgent: bool = False


@dataclass(frozen=True)
class OfficeAgenda:
    waiting: Item
    short: Item
    unvisited: Item
    tasks_overdue: Item
    tasks_due: Item
    reminders_failed: Item

    @property
    def items(self) -> list[Item]:
        return [
            self.waiting,
            self.short,
            self.unvisited,
            self.tasks_overdue,
            self.tasks_due,
            self.reminders_failed,
        ]


@dataclass(frozen=True)
class MemberAgenda:
    progress: list[Progress]
    upcoming: list[Meeting]
    returned: list[Visit]
    tasks: list[BreakthroughTask]


@dataclass(frozen=True)
class LeaderAgenda:
    root: Unit | None
    closed_total: reports.Tally
    by_month: list[tuple[datetime.date, reports.Tally]]
    in_progress_months: frozenset[datetime.date]
    behind: list[tuple[Unit, reports.Tally]]
    tasks: YearSummary
    report_url: str
    recounting: bool  # the summary is being recounted after a policy change (the report's)


def _report_url(name: str, root: Unit | None, **query: str) -> str:
    """A report page about ``root``, the unit the home counted over."""
    unit = {"unit": root.code} if root is not None else {}
    return reverse(name) + "?" + urlencode({**unit, **query})


def _months(start: datetime.date, end: datetime.date) -> dict[str, str]:
    return {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}


def next_closing_month(today: datetime.date) -> datetime.date:
    """The month whose books close next: last month until its closing day has passed, then
    this month."""
    last_month = add_months(today, -1)
    return last_month if today <= closing_day(last_month) else today.replace(day=1)


def office_agenda(user: User, today: datetime.date) -> OfficeAgenda:
    """The office's work: its review queue, members short in the month that closes next,
    units nobody visited lately, tasks late or due soon, reminders that could not be sent."""
    queue = Visit.objects.awaiting_review_by(user).aggregate(
        count=Count("pk"), oldest=Min("submitted_at")
    )
    count_waiting, oldest = queue["count"], queue["oldest"]
    waiting_days = (today - timezone.localtime(oldest).date()).days if oldest else 0
    root = reports.default_root(user)
    month = next_closing_month(today)
    compliance = reports.compliance(user, root, month, month, today)
    short = [
        row
        for row in compliance.rows
        if (cell := row.by_month.get(month)) and cell.tally.logged < cell.tally.required
    ]
    days_left = (closing_day(month) - today).days
    coverage = reports.coverage(user, root, UNVISITED_MONTHS, today)
    tasks = BreakthroughTask.objects.visible_to(user).open()
    overdue = tasks.overdue(today).count()
    due = tasks.due_soon(today).count()
    failed = Reminder.objects.filter(
        status=ReminderStatus.FAILED, recipient__in=User.objects.visible_to(user)
    ).count()
    return OfficeAgenda(
        waiting=Item(
            "waiting",
            _("Ghi nhận chờ duyệt"),
            count_waiting,
            reverse("review-queue"),
            note=_("cũ nhất chờ %(days)s ngày") % {"days": waiting_days} if count_waiting else "",
            urgent=waiting_days > 7,
        ),
        short=Item(
            "short",
            _("Cấp ủy viên chưa đủ định mức tháng %(month)s") % {"month": f"{month:%m/%Y}"},
            len(short),
            _report_url("report-compliance", root, **_months(month, month)),
            note=_("khóa sổ %(date)s, còn %(days)s ngày")
            % {"date": f"{closing_day(month):%d/%m/%Y}", "days": days_left},
            urgent=bool(short) and days_left <= 3,
        ),
        unvisited=Item(
            "unvisited",
            _("Đơn vị chưa ai đến trong %(months)s tháng") % {"months": UNVISITED_MONTHS},
            len(coverage.cells) + len(coverage.communes),
            _report_url("report-coverage", root, months=str(UNVISITED_MONTHS)),
            note=_("%(communes)s xã, %(cells)s chi bộ")
            % {"communes": len(coverage.communes), "cells": len(coverage.cells)},
        ),
        tasks_overdue=Item(
            "tasks_overdue",
            _("Nhiệm vụ quá hạn"),
            overdue,
            reverse("task-board") + "?" + urlencode({"status": "overdue"}),
            urgent=overdue > 0,
        ),
        tasks_due=Item(
            "tasks_due",
            _("Nhiệm vụ đến hạn trong %(days)s ngày")
            % {"days": settings.REMINDER_DAYS_BEFORE_TASK_DEADLINE},
            due,
            reverse("task-board") + "?" + urlencode({"status": "due_soon"}),
        ),
        reminders_failed=Item(
            "reminders_failed",
            _("Thư nhắc việc gửi lỗi"),
            failed,
            reverse("admin:visits_reminder_changelist") + "?status__exact=failed"
            if user.is_staff
            else "",
            urgent=failed > 0,
        ),
    )


def member_agenda(user: User, today: datetime.date) -> MemberAgenda | None:
    """A committee member's areas: what the policy still asks, the next meetings there, visits
    returned to mend, their own tasks. None for someone assigned nowhere."""
    assignments = list(
        Assignment.objects.filter(member=user).open_on(today).select_related("unit", "term")
    )
    tasks = list(
        BreakthroughTask.objects.visible_to(user).filter(cadre=user).open().order_by("deadline")[:5]
    )
    if not assignments and not tasks:
        return None
    upcoming = (
        list(
            Meeting.objects.visible_to(user)
            .held()
            .within(*[a.unit for a in assignments])
            .filter(date__gte=today)
            .select_related("cell", "cell__parent")
            .order_by("date", "time", "cell__path")[:UPCOMING_LISTED]
        )
        if assignments
        else []
    )
    returned = list(
        Visit.objects.visible_to(user)
        .filter(member=user, status=VisitStatus.RETURNED)
        .select_related("unit")
        .order_by("-reviewed_at")
    )
    return MemberAgenda(member_progress(user, assignments, today), upcoming, returned, tasks)


def leader_agenda(user: User, today: datetime.date) -> LeaderAgenda | None:
    """For a secretary or standing member: the scope's compliance this period and the six
    before (closed periods only in the totals), the units furthest behind, the tasks' figures."""
    if not any(p.role in LEADER_ROLES for p in user.current_positions()):
        return None
    root = reports.default_root(user)
    this_month = today.replace(day=1)
    first = add_months(this_month, -(LEADER_MONTHS - 1))
    report = reports.compliance(user, root, first, this_month, today)
    behind = sorted(
        ((unit, tally) for unit, tally in report.by_group if tally.percent is not None),
        key=lambda item: (item[1].percent, item[0].name),
    )[:BEHIND_LISTED]
    return LeaderAgenda(
        root=root,
        closed_total=report.total,
        by_month=report.by_month,
        in_progress_months=report.in_progress_months,
        behind=behind,
        tasks=year_summary(user, today.year),
        report_url=_report_url("report-compliance", root, **_months(first, this_month)),
        recounting=report.recounting,
    )


def is_office(user: User) -> bool:
    return may_somewhere(user, "visits.review_visit")
