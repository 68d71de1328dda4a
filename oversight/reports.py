"""The reports that staff read instead of single visits: compliance, coverage, meeting quality.

Each takes the person asking (everything goes through ``visible_to``), a root unit in their
scope and a range of months, and costs a fixed number of queries whatever the data's size:
the counting happens in one aggregate per report, the arithmetic in Python over its rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from accounts.models import Position
from assignments.models import Assignment
from oversight.models import Level, Unit, codes_in_path
from visits.models import (
    AttendancePolicy,
    Meeting,
    MeetingKind,
    Period,
    Rating,
    Visit,
    VisitKind,
    VisitStatus,
    add_months,
)

if TYPE_CHECKING:
    from accounts.models import User


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """First days of every month from ``first``'s to ``last``'s, both included."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def is_due(
    starts: datetime.date, ends: datetime.date | None, start: datetime.date, end: datetime.date
) -> bool:
    """An assignment (in force from ``starts`` to ``ends``) owes the meetings of the period
    ``start``–``end`` when it was in force for at least half of it: a member assigned on the
    20th does not owe the meeting of the 10th."""
    first = max(start, starts)
    last = min(end, ends or end)
    in_force = (last - first).days + 1
    return in_force * 2 >= (end - start).days + 1


@dataclass
class Tally:
    """Required meetings against those logged, accepted and accepted late (each capped)."""

    required: int = 0
    logged: int = 0
    accepted: int = 0
    late: int = 0

    def __iadd__(self, other: Tally) -> Tally:
        self.required += other.required
        self.logged += other.logged
        self.accepted += other.accepted
        self.late += other.late
        return self

    @property
    def status(self) -> str:
        """green: accepted in time; amber: logged, or accepted late; red: short; none: not due."""
        if self.required == 0:
            return "none"
        if self.accepted >= self.required and self.late == 0:
            return "green"
        if self.logged >= self.required:
            return "amber"
        return "red"

    @property
    def percent(self) -> int:
        return (
            round(100 * min(self.logged, self.required) / self.required) if self.required else 100
        )


@dataclass
class PeriodCell:
    period: Period
    start: datetime.date
    end: datetime.date
    tally: Tally

    @property
    def label(self) -> str:
        if self.period == Period.MONTH:
            return f"{self.start:%m/%Y}"
        if self.period == Period.QUARTER:
            return f"Q{(self.start.month - 1) // 3 + 1}/{self.start.year}"
        return f"{self.start.year}"


@dataclass
class MemberRow:
    member_id: int
    name: str
    areas: list[str]
    by_month: dict[datetime.date, PeriodCell] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)


@dataclass
class ComplianceReport:
    root: Unit | None
    months: list[datetime.date]
    rows: list[MemberRow]
    by_group: list[tuple[Unit, Tally]]
    total: Tally
    by_month: list[tuple[datetime.date, Tally]]


def _policies(member_ids: Iterable[int]) -> dict[int, AttendancePolicy | None]:
    """Each member's attendance policy, from their current positions read as plain rows."""
    table = list(AttendancePolicy.objects.all())
    held: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    rows = (
        Position.objects.current()
        .filter(user__in=list(member_ids))
        .values_list("user_id", "unit__path", "unit__level", "role")
    )
    for user_id, path, level, role in rows:
        held[user_id].append((path, level, role))
    return {member: AttendancePolicy.for_held(held[member], table) for member in member_ids}


def _month_key(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _under(queryset: Any, user: User, root: Unit | None) -> Any:
    """``queryset`` through the scoping gate, narrowed to ``root``'s subtree when there is one
    (no root: the person's whole scope, the whole country for an administrator)."""
    visible = queryset.visible_to(user)
    return visible.within(root) if root is not None else visible


def _groups(user: User, root: Unit | None) -> dict[str, Unit]:
    """The units a report totals by: those just below ``root``, or the roots of the scope."""
    if root is None:
        return {u.code: u for u in Unit.objects.scope_roots(user)}
    return {u.code: u for u in Unit.objects.visible_to(user).filter(parent=root)}


def _group_of(root: Unit | None, unit: Unit | CellRef, groups: dict[str, Unit]) -> Unit | None:
    """The unit just below ``root`` that holds ``unit`` (its district, for a province)."""
    codes = codes_in_path(unit.path)
    depth = len(codes_in_path(root.path)) if root is not None else 0
    return groups.get(codes[depth]) if len(codes) > depth else None


def compliance(
    user: User, root: Unit | None, first: datetime.date, last: datetime.date
) -> ComplianceReport:
    """Members × periods under ``root`` from ``first``'s month to ``last``'s, per the policy table.

    A visit counts in the period of its meeting's date, for the assignment it was logged under;
    each assigned area counts at most its required number, so two visits to one commune do not
    make up for none in the other. Six queries, whatever the size of the tree; rows are read as
    plain tuples because a country has tens of thousands of assignments.
    """
    months = months_between(first, last)
    range_end = add_months(months[-1], 1) - datetime.timedelta(days=1)
    in_range = _under(Assignment.objects, user, root).overlapping(months[0], range_end)
    assignments = list(
        in_range.order_by("member__full_name", "member__username", "unit__path").values_list(
            "pk", "member_id", "member__full_name", "member__username", "start_date",
            "end_date", "unit__path", "unit__name",
        )
    )  # fmt: skip
    # From the start of the year, so that a quarter or year that began before the range is whole.
    visits = (
        Visit.objects.visible_to(user)
        .filter(
            assignment__in=in_range.values("pk"),
            kind=VisitKind.MEETING,
            date__gte=Period.YEAR.bounds(months[0])[0],
            date__lte=range_end,
        )
        .exclude(status=VisitStatus.DRAFT)
        .annotate(year=ExtractYear("date"), month=ExtractMonth("date"))
        .values_list("assignment_id", "year", "month")
        .annotate(
            logged=Count("pk"),
            accepted=Count("pk", filter=Q(status=VisitStatus.ACCEPTED)),
            late=Count("pk", filter=Q(status=VisitStatus.ACCEPTED, accepted_late=True)),
        )
        .order_by()
    )
    counts = {(a, y * 12 + m - 1): (lo, ac, la) for a, y, m, lo, ac, la in visits}
    policies = _policies({row[1] for row in assignments})
    groups = _groups(user, root)
    periods = {
        kind: [
            (start, end, [_month_key(m) for m in months_between(start, end)])
            for start, end in _periods(kind, months)
        ]
        for kind in Period
    }
    rows: dict[int, MemberRow] = {}
    by_group: dict[int, Tally] = defaultdict(Tally)
    by_month: dict[datetime.date, Tally] = defaultdict(Tally)
    total = Tally()
    depth = len(codes_in_path(root.path)) if root is not None else 0
    none = (0, 0, 0)
    for pk, member_id, full_name, username, starts, ends, path, area in assignments:
        row = rows.get(member_id)
        if row is None:
            row = rows[member_id] = MemberRow(member_id, full_name or username, [])
        row.areas.append(area)
        policy = policies[member_id]
        if policy is None:
            continue
        kind, need = Period(policy.period), policy.required_meetings
        codes = codes_in_path(path)
        group = groups.get(codes[depth]) if len(codes) > depth else None
        for start, end, keys in periods[kind]:
            if not is_due(starts, ends, start, end):
                continue
            logged = accepted = late = 0
            for key in keys:
                month_logged, month_accepted, month_late = counts.get((pk, key), none)
                logged += month_logged
                accepted += month_accepted
                late += month_late
            capped = min(accepted, need)
            tally = Tally(need, min(logged, need), capped, capped - min(accepted - late, need))
            column = end.replace(day=1)
            cell = row.by_month.get(column)
            if cell is None:
                cell = row.by_month[column] = PeriodCell(kind, start, end, Tally())
            cell.tally += tally
            row.total += tally
            total += tally
            by_month[column] += tally
            if group is not None:
                by_group[group.pk] += tally
    return ComplianceReport(
        root=root,
        months=months,
        rows=list(rows.values()),
        by_group=[(unit, by_group[unit.pk]) for unit in groups.values() if unit.pk in by_group],
        total=total,
        by_month=[(month, by_month[month]) for month in months],
    )


def _periods(
    period: Period, months: list[datetime.date]
) -> list[tuple[datetime.date, datetime.date]]:
    """The periods of this kind that end within the range of ``months``."""
    seen: dict[datetime.date, datetime.date] = {}
    for month in months:
        start, end = period.bounds(month)
        if months[0] <= end.replace(day=1) <= months[-1]:
            seen[start] = end
    return sorted(seen.items())


@dataclass
class CoverageReport:
    root: Unit | None
    months: int
    since: datetime.date
    communes: list[Unit]  # communes (and wards) with no overseer visit since ``since``
    cells: list[Unit]  # cells with none either
    communes_total: int
    cells_total: int
    member_left: list[Assignment]  # open assignments whose member holds no position any more
    without_successor: list[Assignment]  # ended, with nobody assigned to the unit since
    by_group: list[tuple[Unit, int, int]]  # (district, cells unvisited, cells)

    @property
    def cells_visited_percent(self) -> int:
        visited = self.cells_total - len(self.cells)
        return round(100 * visited / self.cells_total) if self.cells_total else 100


def coverage(
    user: User, root: Unit | None, months: int, today: datetime.date | None = None
) -> CoverageReport:
    """Where nobody went: communes and cells under ``root`` without an overseer visit in the last
    ``months`` months, and areas left without a member. Five queries."""
    today = today or timezone.localdate()
    since = add_months(today.replace(day=1), -(months - 1))
    units = list(
        _under(Unit.objects, user, root)
        .active()
        .filter(level__in=[Level.COMMUNE, Level.CELL])
        .only("pk", "code", "name", "level", "path", "parent_id")
    )
    visited = set()
    for unit_id, parent_id, level in (
        _under(Visit.objects, user, root)
        .filter(date__gte=since, date__lte=today)
        .exclude(status=VisitStatus.DRAFT)
        .values_list("unit_id", "unit__parent_id", "unit__level")
        .distinct()
    ):
        visited.add(unit_id)
        if level == Level.CELL and parent_id is not None:
            visited.add(parent_id)  # a visit to a cell is a visit to its commune too
    communes = [u for u in units if u.level == Level.COMMUNE]
    cells = [u for u in units if u.level == Level.CELL]
    open_now = _under(Assignment.objects, user, root).open_on(today)
    holders = Position.objects.current(today).values("user_id")
    member_left = list(
        open_now.exclude(member__in=holders).select_related("member", "unit").order_by("unit__path")
    )
    covered_units = open_now.values("unit_id")
    ended = (
        _under(Assignment.objects, user, root)
        .filter(end_date__lt=today)
        .exclude(unit__in=covered_units)
        .select_related("member", "unit")
        .order_by("unit__path", "-end_date")
    )
    without_successor = list({a.unit_id: a for a in reversed(list(ended))}.values())
    without_successor.sort(key=lambda a: a.unit.path)
    groups = _groups(user, root)
    per_group: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for cell in cells:
        group = _group_of(root, cell, groups)
        if group is not None:
            per_group[group.pk][1] += 1
            per_group[group.pk][0] += cell.pk not in visited
    return CoverageReport(
        root=root,
        months=months,
        since=since,
        communes=[u for u in communes if u.pk not in visited],
        cells=[u for u in cells if u.pk not in visited],
        communes_total=len(communes),
        cells_total=len(cells),
        member_left=member_left,
        without_successor=without_successor,
        by_group=[
            (unit, per_group[unit.pk][0], per_group[unit.pk][1])
            for unit in groups.values()
            if unit.pk in per_group
        ],
    )


@dataclass(frozen=True)
class CellRef:
    """Just enough of a cell to name it and place it in the tree."""

    pk: int
    code: str
    name: str
    path: str


@dataclass
class QualityReport:
    root: Unit | None
    months: list[datetime.date]
    # (group, {month: {rating: count}}) from the visiting members' ratings
    distribution: list[tuple[Unit, dict[datetime.date, dict[str, int]]]]
    totals: dict[str, int]
    poor_twice: list[tuple[CellRef, datetime.date, datetime.date]]  # cell, the two months
    diverging: list[Meeting]
    thematic_missing: list[tuple[datetime.date, int, list[Unit]]]  # quarter, count, first cells


THEMATIC_LIST_LIMIT = 50


def quality(
    user: User, root: Unit | None, first: datetime.date, last: datetime.date
) -> QualityReport:
    """How good the cell meetings were: ratings by unit and month, cells rated Kém twice in a
    row, meetings whose own and visiting ratings differ, thematic meetings missing by quarter."""
    months = months_between(first, last)
    range_end = add_months(months[-1], 1) - datetime.timedelta(days=1)
    groups = _groups(user, root)
    meetings = (
        _under(Meeting.objects, user, root)
        .between(months[0], range_end)
        .filter(kind=MeetingKind.REGULAR)
    )
    distribution: dict[int, dict[datetime.date, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    totals: dict[str, int] = defaultdict(int)
    # One rating per meeting: the visiting member's where there is one, else the cell's own.
    ratings: dict[int, tuple[CellRef, datetime.date, str]] = {}
    rated = meetings.filter(Q(self_rating__gt="") | Q(visits__rating__gt="")).values_list(
        "pk",
        "cell_id",
        "cell__code",
        "cell__name",
        "cell__path",
        "month",
        "self_rating",
        "visits__rating",
    )
    cells: dict[int, CellRef] = {}
    for pk, cell_id, code, name, path, month, own, visiting in rated:
        cell = cells.setdefault(cell_id, CellRef(cell_id, code, name, path))
        rating = visiting or own or (ratings[pk][2] if pk in ratings else "")
        if rating:
            ratings[pk] = (cell, month, rating)
    for cell, month, rating in ratings.values():
        group = _group_of(root, cell, groups)
        if group is not None:
            distribution[group.pk][month][rating] += 1
        totals[rating] += 1
    by_cell: dict[int, list[tuple[datetime.date, str]]] = defaultdict(list)
    for cell, month, rating in ratings.values():
        by_cell[cell.pk].append((month, rating))
    poor_twice = []
    for cell_id, history in by_cell.items():
        history.sort()
        for (month_a, rating_a), (month_b, rating_b) in pairwise(history):
            if rating_a == rating_b == Rating.POOR and add_months(month_a, 1) == month_b:
                poor_twice.append((cells[cell_id], month_a, month_b))
                break
    diverging = list(
        meetings.with_diverging_ratings()
        .select_related("cell")
        .order_by("date")[:THEMATIC_LIST_LIMIT]
    )
    thematic_missing = []
    quarter_starts = sorted({Period.QUARTER.bounds(m)[0] for m in months})
    for quarter in quarter_starts:
        missing = Meeting.objects.cells_missing_thematic(_under(Unit.objects, user, root), quarter)
        listed = list(missing.order_by("path")[:THEMATIC_LIST_LIMIT])
        thematic_missing.append((quarter, missing.count(), listed))
    return QualityReport(
        root=root,
        months=months,
        distribution=[
            (unit, {m: dict(r) for m, r in distribution[unit.pk].items()})
            for unit in groups.values()
            if unit.pk in distribution
        ],
        totals=dict(totals),
        poor_twice=sorted(poor_twice, key=lambda item: item[0].path),
        diverging=diverging,
        thematic_missing=thematic_missing,
    )
