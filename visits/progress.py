"""How a member stands against the attendance policy in the current period."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assignments.models import Assignment
from oversight.clock import local_today
from visits.models import AttendanceTally, Period

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Progress:
    """How a member stands in one assigned unit for the current period of their policy."""

    assignment: Assignment
    period_start: datetime.date
    period_end: datetime.date
    required: int
    logged: int
    accepted: int

    @property
    def missing(self) -> int:
        return max(self.required - self.logged, 0)

    @property
    def done(self) -> bool:
        return self.logged >= self.required


def member_progress(
    member: User, assignments: list[Assignment], on: datetime.date | None = None
) -> list[Progress]:
    """Where ``member`` stands in each assigned unit in the period of their policy that holds
    ``on``, as the compliance report counts it: read from the attendance summary (the policy
    of the positions held then, each visit in the assignment it was logged under). An
    assignment that owes nothing then (assigned too late in the period to owe it) stands at
    0 of 0 for the month. One query, whatever the number of assignments."""
    on = on or local_today()
    holding: dict[int, AttendanceTally] = {}
    # The shortest period that holds the day wins (a policy may change kind within a year).
    for tally in AttendanceTally.objects.filter(
        assignment__in=[a.pk for a in assignments], start__lte=on, end__gte=on
    ).order_by("-end"):
        holding[tally.assignment_id] = tally
    progress = []
    for assignment in assignments:
        due = holding.get(assignment.pk)
        if due is None:
            start, end = Period.MONTH.bounds(on)
            progress.append(Progress(assignment, start, end, 0, 0, 0))
            continue
        progress.append(
            Progress(assignment, due.start, due.end, due.required, due.logged, due.accepted)
        )
    return progress
