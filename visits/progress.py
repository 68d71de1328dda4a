"""How a member stands against the attendance policy in the current period."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assignments.models import Assignment
from oversight.clock import local_today
from visits.models import AttendancePolicy, Period, Visit, VisitKind, VisitStatus

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
    """Required, logged and accepted cell meetings per assigned unit, per the attendance policy.

    The period a visit counts in is its meeting's date. Costs two queries, whatever the number
    of assignments: the policy table and the member's visits in the longest period.
    """
    on = on or local_today()
    policy = AttendancePolicy.for_positions(member.current_positions(), on=on)
    if policy is None or not assignments:
        return []
    start, end = Period(policy.period).bounds(on)
    visits = list(
        Visit.objects.filter(member=member, kind=VisitKind.MEETING, date__gte=start, date__lte=end)
        .logged()
        .values_list("unit__path", "status")
    )
    progress = []
    for assignment in assignments:
        inside = [status for path, status in visits if path.startswith(assignment.unit.path)]
        progress.append(
            Progress(
                assignment=assignment,
                period_start=start,
                period_end=end,
                required=policy.required_meetings,
                logged=len(inside),
                accepted=sum(1 for status in inside if status == VisitStatus.ACCEPTED),
            )
        )
    return progress
