"""The reports that staff read instead of single visits: compliance, coverage, meeting quality.

Each takes the person asking (everything goes through ``visible_to``), a root unit in their
scope and a range of months, and costs a fixed number of queries whatever the data's size:
the counting happens in one aggregate per report, the arithmetic in Python over its rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any, overload

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, Least

from accounts.models import Position
from assignments.models import Assignment, in_force_between
from oversight.clock import local_today
from oversight.models import Level, PathSegment, Unit, codes_in_path, scope_for
from visits.models import (
    AttendanceTally,
    Meeting,
    MeetingKind,
    Period,
    Rating,
    RatingTally,
    TallyRefresh,
    Visit,
    VisitStatus,
    add_months,
    in_progress,
    month_index,
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


@dataclass
class Tally:
    """Required meetings against those logged, accepted and accepted late (each capped)."""

    required: int = 0
    logged: int = 0
    accepted: int = 0
    late: int = 0

    @classmethod
    def capped(cls, required: int, logged: int, accepted: int, late: int) -> Tally:
        """One assignment's period: what was done counts up to what was required, so two
        visits to one commune never make up for none in another (``_capped_sums`` is the same
        rule in SQL, for the totals)."""
        on_time = min(accepted - late, required)
        accepted = min(accepted, required)
        return cls(required, min(logged, required), accepted, accepted - on_time)

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
    def percent(self) -> int | None:
        """Logged against required, in whole percent; None when nothing was due."""
        if not self.required:
            return None
        return round(100 * min(self.logged, self.required) / self.required)


IN_PROGRESS = "progress"


@dataclass
class PeriodCell:
    """One member's period: what the policy asks and what was done, and whether it has closed."""

    period: Period
    start: datetime.date
    end: datetime.date
    tally: Tally
    in_progress: bool = False

    @property
    def status(self) -> str:
        """The tally's colour once the period has closed; until then "progress", never red."""
        return IN_PROGRESS if self.in_progress else self.tally.status

    @property
    def months_query(self) -> str:
        """The period's months as the visit list's query asks for them."""
        return f"start={self.start:%Y-%m}&end={self.end:%Y-%m}"

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
    """Totals (``total``, ``by_group``, each row's ``total``) count closed periods only; the
    cells and ``by_month`` also show what was logged in the periods still in progress."""

    root: Unit | None
    months: list[datetime.date]
    rows: MemberRows
    by_group: list[tuple[Unit, Tally]]
    total: Tally
    by_month: list[tuple[datetime.date, Tally]]
    today: datetime.date
    in_progress_months: frozenset[datetime.date] = frozenset()
    structure: datetime.date | None = None  # the day whose tree it is read in; None: today's
    # A policy change over these units is still being recounted (``visits.TallyRefresh``):
    # some periods may be judged by the policy it replaced.
    recounting: bool = False


def default_root(user: User) -> Unit | None:
    """The unit a report is about when none is asked for: the tenant the person works in (the
    first root of their scope without one); None for an administrator, who sees everything."""
    if scope_for(user).everything:
        return None
    return user.working_tenant() or Unit.objects.scope_roots(user).first()


def under(
    queryset: Any, user: User, root: Unit | None, structure: datetime.date | None = None
) -> Any:
    """``queryset`` through the scoping gate, narrowed to ``root``'s subtree when there is one
    (no root: the person's whole scope, the whole country for an administrator). A unit formed
    by a reorganisation reports what its predecessors did as well (lineage); with
    ``structure``, the subtree is the one of that day (``ScopedQuerySet.within``)."""
    if root is None:
        return queryset.visible_to(user)
    return queryset.visible_within(user, root, *_predecessors(root), on=structure)


def _by_unit_ids(summary: Any, root: Unit | None, structure: datetime.date | None) -> Any:
    """A summary's rows under ``root`` (already through ``under``) named again by their units'
    ids (``SummaryQuerySet.of_units_within``), so that PostgreSQL walks the index that leads
    with the unit instead of scanning the country's. Not for the whole scope (nothing to
    narrow) nor for a past tree (its paths are the placements', not the units')."""
    if root is None or structure is not None:
        return summary
    return summary.of_units_within(root, *_predecessors(root))


def structure_day(root: Unit | None, asked: datetime.date | None) -> datetime.date | None:
    """The day whose tree a report is read in: the one asked for, else the last day of an
    abolished unit (old district X's report is the one of X as it stood), else today's tree."""
    if asked is not None:
        return asked
    if root is not None and not root.is_active and root.valid_to is not None:
        return root.valid_to
    return None


def _predecessors(root: Unit) -> list[Unit]:
    cached = root.__dict__.get("_report_predecessors")
    if cached is None:
        cached = root.__dict__["_report_predecessors"] = list(root.predecessors().only("path"))
    return cached


def _groups(
    user: User, root: Unit | None, structure: datetime.date | None = None
) -> dict[str, Unit]:
    """The units a report totals by: those just below ``root`` (those that existed on the
    ``structure`` day, when the report is read in a past tree), or the roots of the scope."""
    if root is None:
        return {u.code: u for u in Unit.objects.scope_roots(user)}
    below = Unit.objects.visible_to(user).filter(parent=root)
    if structure is not None:
        below = below.existing_on(structure)
    return {u.code: u for u in below}


def _capped_sums() -> dict[str, Any]:
    """The summary rows' counts, each row capped at what its period requires (``Tally.capped``,
    in SQL), summed in the database. (Named apart from
    the columns they sum: an annotation would shadow the column in the next one.)"""

    def total(expression: Any) -> Coalesce:
        return Coalesce(Sum(expression), 0, output_field=IntegerField())

    accepted = Least("accepted", "required")
    return {
        "total_required": total("required"),
        "total_logged": total(Least("logged", "required")),
        "total_accepted": total(accepted),
        "total_late": total(accepted - Least(F("accepted") - F("late"), "required")),
    }


def _tally(row: dict[str, Any]) -> Tally:
    return Tally(
        row["total_required"], row["total_logged"], row["total_accepted"], row["total_late"]
    )


class MemberRows:
    """The report's members, in name order, each with their areas and periods: counted in one
    query, built a slice at a time (three queries a slice), so a page of the country's report
    reads a hundred members' rows, not eight thousand. Iterating builds every row, in slices."""

    SLICE = 1000

    def __init__(
        self,
        assignments: Any,
        tallies: Any,
        path: str,
        open_months: frozenset[datetime.date],
    ):
        self.assignments, self.tallies, self.path = assignments, tallies, path
        self.open_months = open_months
        self._length: int | None = None

    def __len__(self) -> int:
        if self._length is None:
            self._length = self.assignments.values("member_id").distinct().count()
        return self._length

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[MemberRow]:
        for offset in range(0, len(self), self.SLICE):
            yield from self[offset : offset + self.SLICE]

    @overload
    def __getitem__(self, index: int) -> MemberRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[MemberRow]: ...
    def __getitem__(self, index: int | slice) -> MemberRow | list[MemberRow]:
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else list(self)[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        members = (
            self.assignments.order_by("member__full_name", "member__username", "member_id")
            .values_list("member_id", "member__full_name", "member__username")
            .distinct()[index]
        )
        rows = {pk: MemberRow(pk, full_name or username, []) for pk, full_name, username in members}
        if not rows:
            return []
        for member_id, area in (
            self.assignments.filter(member_id__in=list(rows))
            .order_by(self.path)
            .values_list("member_id", "unit__name")
        ):
            rows[member_id].areas.append(area)
        periods = self.tallies.filter(member_id__in=list(rows)).order_by(
            self.path, "assignment_id", "period", "start"
        )
        for member_id, kind, start, end, column, *counts in periods.values_list(
            "member_id", "period", "start", "end", "column", "required", "logged", "accepted",
            "late",
        ):  # fmt: skip
            tally = Tally.capped(*counts)
            row = rows[member_id]
            pending = column in self.open_months
            cell = row.by_month.get(column)
            if cell is None:
                cell = row.by_month[column] = PeriodCell(Period(kind), start, end, Tally(), pending)
            cell.tally += tally
            if not pending:
                row.total += tally
        return list(rows.values())


def compliance(
    user: User,
    root: Unit | None,
    first: datetime.date,
    last: datetime.date,
    today: datetime.date | None = None,
    structure: datetime.date | None = None,
    member: User | None = None,
) -> ComplianceReport:
    """Members × periods under ``root`` from ``first``'s month to ``last``'s, per the policy table
    (one ``member``'s row alone, when given: the register of their attendance).

    Read from the attendance summary (``visits.tallies``): a visit counts in the period of its
    meeting's date, for the assignment it was logged under; each assigned area counts at most
    its required number. A period that has not closed on ``today`` (see
    ``visits.models.in_progress``) is shown with what was logged so far but counts in no total.
    The totals by unit and by month are two aggregates in the database; the members' rows are
    built only for the rows read (``MemberRows``). A fixed number of queries, whatever the size
    of the tree.
    """
    today = today or local_today()
    structure = structure_day(root, structure)
    months = months_between(first, last)
    # A column holds the periods that end in its month, so they all close on the same day.
    open_months = frozenset(
        m for m in months if in_progress(add_months(m, 1) - datetime.timedelta(days=1), today)
    )
    range_end = add_months(months[-1], 1) - datetime.timedelta(days=1)
    in_range = under(Assignment.objects, user, root, structure).overlapping(months[0], range_end)
    tallies = (
        under(AttendanceTally.objects, user, root, structure)
        .in_columns(months[0], months[-1])
        .filter(in_force_between(months[0], range_end, "assignment__"))
    )
    if member is not None:
        in_range, tallies = in_range.filter(member=member), tallies.filter(member=member)
    path = "unit__path" if structure is None else "structure_path"
    # One aggregate by unit below the root and month; the totals by unit (closed periods only)
    # and by month (all) are summed from its few rows.
    groups = _groups(user, root, structure)
    by_group: dict[str, Tally] = {}
    by_month: dict[datetime.date, Tally] = defaultdict(Tally)
    for row in (
        _by_unit_ids(tallies, root, structure)
        .annotate(group=PathSegment(path, _depth(root) + 1))
        .values("group", "column")
        .annotate(**_capped_sums())
        .order_by()
    ):
        tally = _tally(row)
        by_month[row["column"]] += tally
        group_tally = by_group.setdefault(row["group"], Tally())
        if row["column"] not in open_months:
            group_tally += tally
    total = Tally()
    for month, tally in by_month.items():
        if month not in open_months:
            total += tally
    return ComplianceReport(
        root=root,
        months=months,
        rows=MemberRows(in_range, tallies, path, open_months),
        # A unit whose periods are all in progress is still listed, with nothing due yet.
        by_group=[(unit, by_group[code]) for code, unit in groups.items() if code in by_group],
        total=total,
        by_month=[(month, by_month.get(month, Tally())) for month in months],
        today=today,
        in_progress_months=open_months,
        structure=structure,
        recounting=TallyRefresh.objects.pending_over(root),
    )


@dataclass(frozen=True)
class UnitRef:
    """Just enough of a unit to name it and link to it."""

    code: str
    name: str


@dataclass
class CoverageReport:
    root: Unit | None
    months: int
    since: datetime.date
    communes: list[UnitRef]  # communes (and wards) with no overseer visit since ``since``
    cells: list[UnitRef]  # cells with none either
    communes_total: int
    cells_total: int
    member_left: list[Assignment]  # open assignments whose member holds no position any more
    without_successor: list[Assignment]  # ended, with nobody assigned to the unit since
    without_overseer: list[UnitRef]  # living communes nobody is assigned to (after a reform)
    by_group: list[tuple[Unit, int, int]]  # (district, cells unvisited, cells)


def _depth(root: Unit | None) -> int:
    return len(codes_in_path(root.path)) if root is not None else 0


def coverage(
    user: User, root: Unit | None, months: int, today: datetime.date | None = None
) -> CoverageReport:
    """Where nobody went: communes and cells under ``root`` without an overseer visit in the last
    ``months`` months (a visit to a cell counts for its commune), and areas left without a
    member, and communes nobody oversees. Eight queries; the database does the counting."""
    today = today or local_today()
    since = add_months(today.replace(day=1), -(months - 1))
    recent = Visit.objects.filter(date__gte=since, date__lte=today).exclude(
        status=VisitStatus.DRAFT
    )
    units = under(Unit.objects, user, root).active()
    unvisited_cells = units.filter(level=Level.CELL).exclude(
        Exists(recent.filter(unit=OuterRef("pk")))
    )
    # Two NOT EXISTS rather than one with an OR: each can walk its own index.
    unvisited_communes = (
        units.filter(level=Level.COMMUNE)
        .exclude(Exists(recent.filter(unit=OuterRef("pk"))))
        .exclude(Exists(recent.filter(unit__parent=OuterRef("pk"))))
    )
    group_key = PathSegment("path", _depth(root) + 1)
    cells_per_group = dict(
        units.filter(level=Level.CELL)
        .annotate(group=group_key)
        .values_list("group")
        .annotate(total=Count("pk"))
        .order_by()
    )
    unvisited_per_group: dict[str, int] = defaultdict(int)
    cells = []
    for code, name, group in unvisited_cells.annotate(group=group_key).values_list(
        "code", "name", "group"
    ):
        cells.append(UnitRef(code, name))
        unvisited_per_group[group] += 1
    communes = [
        UnitRef(code, name) for code, name in unvisited_communes.values_list("code", "name")
    ]
    open_now = under(Assignment.objects, user, root).open_on(today)
    holders = Position.objects.current(today).values("user_id")
    member_left = list(
        open_now.exclude(member__in=holders).select_related("member", "unit").order_by("unit__path")
    )
    # An abolished unit needs no successor: its communes' successors are listed without an
    # overseer instead.
    ended = (
        under(Assignment.objects, user, root)
        .filter(end_date__lt=today, unit__is_active=True)
        .exclude(unit__in=open_now.values("unit_id"))
        .select_related("member", "unit")
        .order_by("unit__path", "-end_date")
    )
    without_successor = list({a.unit_id: a for a in reversed(list(ended))}.values())
    without_successor.sort(key=lambda a: a.unit.path)
    overseen = Assignment.objects.open_on(today).filter(
        Q(unit=OuterRef("pk")) | Q(unit__parent=OuterRef("pk"))
    )
    without_overseer = [
        UnitRef(code, name)
        for code, name in units.filter(level=Level.COMMUNE)
        .exclude(Exists(overseen))
        .order_by("path")
        .values_list("code", "name")
    ]
    groups = _groups(user, root)
    return CoverageReport(
        root=root,
        months=months,
        since=since,
        communes=communes,
        cells=cells,
        communes_total=units.filter(level=Level.COMMUNE).count(),
        cells_total=sum(cells_per_group.values()),
        member_left=member_left,
        without_successor=without_successor,
        without_overseer=without_overseer,
        by_group=[
            (unit, unvisited_per_group[code], cells_per_group[code])
            for code, unit in groups.items()
            if code in cells_per_group
        ],
    )


@dataclass
class QualityReport:
    root: Unit | None
    months: list[datetime.date]
    # (group, {month: {rating: count}}) from the visiting members' ratings
    distribution: list[tuple[Unit, dict[datetime.date, dict[str, int]]]]
    totals: dict[str, int]
    poor_twice: list[tuple[UnitRef, datetime.date, datetime.date]]  # cell, the two months
    diverging: list[Meeting]
    thematic_missing: list[tuple[datetime.date, int, list[Unit]]]  # quarter, count, first cells


THEMATIC_LIST_LIMIT = 50


def quality(
    user: User,
    root: Unit | None,
    first: datetime.date,
    last: datetime.date,
    structure: datetime.date | None = None,
) -> QualityReport:
    """How good the cell meetings were: the visiting members' ratings by unit and month, cells
    rated Kém twice in a row (by a visiting member or by themselves), meetings whose own and
    visiting ratings differ, thematic meetings missing by quarter. The database counts; the
    number of queries grows with the quarters asked for, never with the data."""
    structure = structure_day(root, structure)
    months = months_between(first, last)
    range_end = add_months(months[-1], 1) - datetime.timedelta(days=1)
    groups = _groups(user, root, structure)
    meetings = (
        under(Meeting.objects, user, root, structure)
        .between(months[0], range_end)
        .filter(kind=MeetingKind.REGULAR)
    )
    distribution: dict[str, dict[datetime.date, dict[str, int]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    totals: dict[str, int] = defaultdict(int)
    # The visiting members' ratings from their summary, by the cells' own path.
    ratings = under(RatingTally.objects, user, root, structure).filter(
        month__gte=months[0], month__lte=months[-1]
    )
    rated = (
        ratings.annotate(
            group=PathSegment(
                "unit__path" if structure is None else "structure_path", _depth(root) + 1
            )
        )
        .values_list("group", "month", "rating")
        .annotate(total=Sum("visits"))
        .order_by()
    )
    for group, month, rating, count in rated:
        distribution[group][month][rating] = count
        totals[rating] += count
    # Rated Kém by the cell itself or by a visiting member: two plain queries, no OR across a join.
    poor_own = meetings.filter(self_rating=Rating.POOR).values_list("cell_id", "month")
    poor_visited = _by_unit_ids(ratings.filter(rating=Rating.POOR), root, structure)
    poor_months: dict[int, set[int]] = defaultdict(set)
    for cell_id, month in [*poor_own, *poor_visited.values_list("unit_id", "month")]:
        poor_months[cell_id].add(month_index(month))
    twice: dict[int, int] = {}
    for cell_id, keys in poor_months.items():
        for earlier, later in pairwise(sorted(keys)):
            if later == earlier + 1:
                twice[cell_id] = earlier
                break
    names = dict(
        (pk, UnitRef(code, name))
        for pk, code, name in Unit.objects.filter(pk__in=list(twice)).values_list(
            "pk", "code", "name"
        )
    )
    poor_twice = sorted(
        ((names[cell_id], _month_of(key), _month_of(key + 1)) for cell_id, key in twice.items()),
        key=lambda item: item[0].code,
    )
    diverging = list(
        meetings.filter(ratings_diverge=True)
        .select_related("cell")
        .order_by("date")[:THEMATIC_LIST_LIMIT]
    )
    thematic_missing = []
    for quarter in sorted({Period.QUARTER.bounds(m)[0] for m in months}):
        missing = Meeting.objects.cells_missing_thematic(
            under(Unit.objects, user, root, structure), quarter
        )
        listed = list(missing.order_by("path")[:THEMATIC_LIST_LIMIT])
        thematic_missing.append((quarter, missing.count(), listed))
    return QualityReport(
        root=root,
        months=months,
        distribution=[
            (unit, {m: dict(r) for m, r in distribution[code].items()})
            for code, unit in groups.items()
            if code in distribution
        ],
        totals=dict(totals),
        poor_twice=poor_twice,
        diverging=diverging,
        thematic_missing=thematic_missing,
    )


def _month_of(key: int) -> datetime.date:
    return datetime.date(key // 12, key % 12 + 1, 1)
