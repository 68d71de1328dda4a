"""The summaries the reports read (``AttendanceTally``, ``RatingTally``): how they are computed
from the raw rows and kept.

One row per assignment and due period, with the policy's required number and the meeting
visits logged, accepted and accepted late in it. ``expected_tallies`` computes the rows from
visits, assignments, positions and policies; ``refresh_tallies`` makes the stored rows equal to
that for some assignments, inside the caller's transaction. It is called on every save and
delete of those four models (``connect``: the one place the portal uses Django's signals, so
that no path that writes them, service, admin, import, API or test factory, can leave the
summary behind) and by the writes that bypass ``save()`` (bulk creates and updates, which
call it themselves). ``refresh_ratings`` does the same for the visiting members' ratings of a
cell's month. ``rebuild_tallies`` recomputes everything (``manage.py rebuild_tallies``).

Rows exist through the end of the year after today (``horizon``): the January task
``visits.tasks.extend_tallies`` carries open assignments a year further.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, Count, Exists, Q, Value, When
from django.db.models.functions import ExtractMonth, ExtractYear
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts.models import Position
from assignments.models import Assignment, assignments_written
from oversight.bulk import insert_rows, write_rows
from oversight.clock import local_today
from oversight.models import Unit
from visits.models import (
    AttendancePolicy,
    AttendanceTally,
    Meeting,
    MeetingKind,
    Period,
    RatingTally,
    TallyRefresh,
    Visit,
    VisitKind,
    VisitStatus,
    add_months,
    diverging_visits,
    month_index,
)

if TYPE_CHECKING:
    from django.db.models import Model

BATCH = 2000  # assignments computed and written at a time


def horizon(today: datetime.date | None = None) -> datetime.date:
    """The last day the summary has rows for: the end of the year after today's."""
    return datetime.date((today or local_today()).year + 1, 12, 31)


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


# A period a member owes meetings in: its kind, first and last day, months, the report's
# column it is shown in (the month of its last day) and its policy.
DuePeriod = tuple[Period, datetime.date, datetime.date, range, datetime.date, AttendancePolicy]


class PolicyBook:
    """Which policy judges a member's period: the one in force on the period's first day, for
    the highest position they held during it (an abolished district's member is judged by the
    position they held then). Two queries, positions and policies read as plain rows."""

    def __init__(self, member_ids: Iterable[int], first: datetime.date, last: datetime.date):
        self.table = list(AttendancePolicy.objects.select_related("province"))
        self.held: dict[int, list[tuple[str, str, str, datetime.date, datetime.date | None]]]
        self.held = defaultdict(list)
        rows = (
            Position.objects.filter(user_id__any=list(member_ids), start_date__lte=last)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
            .values_list("user_id", "unit__path", "unit__level", "role", "start_date", "end_date")
        )
        for user_id, *position in rows:
            self.held[user_id].append(tuple(position))  # type: ignore[arg-type]
        self.cache: dict[tuple[int, datetime.date], AttendancePolicy | None] = {}
        # Members who held the same kind of positions share the answer (a country has
        # thousands of members but a few hundred kinds: level, role and province).
        self.by_kind: dict[tuple[Any, ...], AttendancePolicy | None] = {}
        self.due_by_signature: dict[tuple[Any, ...], list[DuePeriod]] = {}
        self.periods = [
            (kind, start, end, range(month_index(start), month_index(end) + 1), end.replace(day=1))
            for kind in Period
            for start, end in _periods(kind, first, last)
        ]

    def policy(
        self, member_id: int, start: datetime.date, end: datetime.date
    ) -> AttendancePolicy | None:
        key = (member_id, start)
        if key not in self.cache:
            held = [
                (path, level, role)
                for path, level, role, since, until in self.held[member_id]
                if since <= end and (until is None or until >= start)
            ]
            kind = (
                start,
                *sorted((p.count("/"), p.split("/", 1)[0], level, role) for p, level, role in held),
            )
            if kind not in self.by_kind:
                self.by_kind[kind] = AttendancePolicy.for_held(held, self.table, start)
            self.cache[key] = self.by_kind[kind]
        return self.cache[key]

    def due_periods(self, member_id: int) -> list[DuePeriod]:
        """The periods from ``first`` to ``last`` whose policy for this member asks for
        meetings of that period's kind, each with its policy and its months. Members whose
        positions are of the same kinds with the same dates share the list: a country's ten
        thousand members cost a few hundred lookups."""
        signature = tuple(
            sorted(
                (
                    path.count("/"),
                    path.split("/", 1)[0],
                    level,
                    role,
                    since,
                    until or datetime.date.max,
                )
                for path, level, role, since, until in self.held[member_id]
            )
        )
        if signature in self.due_by_signature:
            return self.due_by_signature[signature]
        due = []
        for period, start, end, months, column in self.periods:
            policy = self.policy(member_id, start, end)
            if policy is not None and policy.period == period:
                due.append((period, start, end, months, column, policy))
        self.due_by_signature[signature] = due
        return due


def _periods(
    kind: Period, first: datetime.date, last: datetime.date
) -> Iterator[tuple[datetime.date, datetime.date]]:
    """The periods of ``kind`` that overlap ``first`` … ``last``."""
    start, end = kind.bounds(first)
    while start <= last:
        yield start, end
        start, end = kind.bounds(end + datetime.timedelta(days=1))


class ExpectedTally(NamedTuple):
    """A summary row as the raw rows give it (``AttendanceTally``'s fields, unsaved)."""

    assignment_id: int
    period: str
    start: datetime.date
    end: datetime.date
    column: datetime.date
    member_id: int
    unit_id: int
    required: int
    logged: int
    accepted: int
    late: int

    @property
    def key(self) -> tuple[int, str, datetime.date]:
        return (self.assignment_id, self.period, self.start)

    @property
    def counts(self) -> tuple[int, int, int, int, int, int]:
        return (self.member_id, self.unit_id, self.required, self.logged, self.accepted, self.late)

    def row(self) -> AttendanceTally:
        return AttendanceTally(**self._asdict())


def expected_tallies(
    assignment_ids: Iterable[int], today: datetime.date | None = None
) -> list[ExpectedTally]:
    """The summary rows of these assignments as the raw rows give them: every period up to
    ``horizon`` that the assignment covered for at least half and whose policy, of the kind
    of that period, asks for meetings, with the meeting visits (not drafts) logged in it.
    Four queries, whatever the number of assignments."""
    last_day = horizon(today)
    assignments = list(
        Assignment.objects.filter(pk__any=list(assignment_ids), start_date__lte=last_day)
        .order_by("pk")
        .values_list("pk", "member_id", "unit_id", "start_date", "end_date")
    )
    if not assignments:
        return []
    first_day = min(Period.YEAR.bounds(row[3])[0] for row in assignments)
    book = PolicyBook({row[1] for row in assignments}, first_day, last_day)
    counts = {
        (pk, month_index(datetime.date(year, month, 1))): (logged, accepted, late)
        for pk, year, month, logged, accepted, late in Visit.objects.filter(
            assignment_id__any=[row[0] for row in assignments], kind=VisitKind.MEETING
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
    }
    none = (0, 0, 0)
    # Most assignments of an import, or of a quiet province, have no visit yet: their periods
    # are all zeros, without a look-up per month (a yearly period has twelve).
    visited = {pk for pk, _month in counts}
    rows = []
    for pk, member_id, unit_id, starts, ends in assignments:
        last = min(ends or last_day, last_day)
        for kind, start, end, months, column, policy in book.due_periods(member_id):
            if end < starts or start > last:
                continue
            # A period the assignment covers whole is due (``is_due``'s answer), decided here
            # without the call: 226,000 of them for 10,000 imported assignments, 0.2 s.
            covered = starts <= start and (ends is None or ends >= end)
            if not covered and not is_due(starts, ends, start, end):
                continue
            logged = accepted = late = 0
            if pk in visited:
                for key in months:
                    month_logged, month_accepted, month_late = counts.get((pk, key), none)
                    logged += month_logged
                    accepted += month_accepted
                    late += month_late
            rows.append(
                ExpectedTally(
                    pk, kind, start, end, column, member_id, unit_id,
                    policy.required_meetings, logged, accepted, late,
                )
            )  # fmt: skip
    return rows


def refresh_tallies(assignment_ids: Iterable[int], today: datetime.date | None = None) -> int:
    """Make the stored summary of these assignments equal to ``expected_tallies``, in the
    caller's transaction, writing only the rows that differ; the number written or deleted.

    The assignments' rows are locked first (``FOR NO KEY UPDATE``, which the visits' own key
    locks do not block), in key order: two transactions counting the same assignment take
    turns, and the second counts after the first has committed."""
    ids = sorted(set(assignment_ids))
    changed = 0
    for batch in (ids[i : i + BATCH] for i in range(0, len(ids), BATCH)):
        with transaction.atomic():
            list(
                Assignment.objects.filter(pk__any=batch)
                .order_by("pk")
                .select_for_update(no_key=True)
                .values_list("pk", flat=True)
            )
            stored = {
                (assignment_id, period, start): (pk, tuple(counts))
                for pk, assignment_id, period, start, *counts in AttendanceTally.objects.filter(
                    assignment_id__any=batch
                ).values_list(
                    "pk", "assignment_id", "period", "start",
                    "member_id", "unit_id", "required", "logged", "accepted", "late",
                )
            }  # fmt: skip
            new, updated = [], []
            for expected in expected_tallies(batch, today):
                pk, counts = stored.pop(expected.key, (None, None))
                if pk is None:
                    new.append(expected)
                elif counts != expected.counts:
                    row = expected.row()
                    row.pk = pk
                    updated.append(row)
            insert_rows(AttendanceTally, ExpectedTally._fields, new)
            write_rows(
                AttendanceTally,
                updated,
                ["member_id", "unit_id", "required", "logged", "accepted", "late"],
            )
            if stored:
                AttendanceTally.objects.filter(pk__in=[pk for pk, _ in stored.values()]).delete()
            changed += len(new) + len(updated) + len(stored)
    return changed


def rating_counts(visits: Any) -> dict[tuple[int, datetime.date, str], int]:
    """Visiting members' ratings of regular meetings, by cell, month and rating."""
    rated = (
        visits.filter(kind=VisitKind.MEETING, meeting__kind=MeetingKind.REGULAR, rating__gt="")
        .annotate(year=ExtractYear("date"), month=ExtractMonth("date"))
        .values_list("unit_id", "year", "month", "rating")
        .annotate(visits=Count("pk"))
        .order_by()
    )
    return {
        (unit_id, datetime.date(year, month, 1), rating): count
        for unit_id, year, month, rating, count in rated
    }


@transaction.atomic
def refresh_ratings(places: Iterable[tuple[int, datetime.date]] | None = None) -> int:
    """Make the stored ratings of these (cell, day) places' months equal to the visits', in
    the caller's transaction (every month of every cell when ``places`` is None); the number
    of rows written or deleted. The cells are locked first, as ``refresh_tallies`` locks
    assignments, so that two members rating one meeting at once are both counted."""
    visits, stored_rows = Visit.objects.all(), RatingTally.objects.all()
    if places is not None:
        # Every month from the first to the last of these cells: a superset of the places,
        # recounted whole, so that one query reads a visit's old and new place, or a bulk load.
        places = list(places)
        cells = sorted({unit_id for unit_id, _day in places})
        months = sorted({day.replace(day=1) for _unit_id, day in places})
        if not cells:
            return 0
        first, last = months[0], months[-1]
        visits = visits.filter(unit_id__in=cells, date__gte=first, date__lt=add_months(last, 1))
        stored_rows = stored_rows.filter(unit_id__in=cells, month__gte=first, month__lte=last)
        list(
            Unit.objects.filter(pk__in=cells)
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("pk", flat=True)
        )
    stored = {(t.unit_id, t.month, t.rating): t for t in stored_rows}
    new, updated = [], []
    for (unit_id, month, rating), count in rating_counts(visits).items():
        current = stored.pop((unit_id, month, rating), None)
        if current is None:
            new.append(RatingTally(unit_id=unit_id, month=month, rating=rating, visits=count))
        elif current.visits != count:
            current.visits = count
            updated.append(current)
    RatingTally.objects.bulk_create(new, batch_size=BATCH)
    write_rows(RatingTally, updated, ["visits"])
    if stored:
        RatingTally.objects.filter(pk__in=[t.pk for t in stored.values()]).delete()
    return len(new) + len(updated) + len(stored)


def refresh_divergence(meeting_ids: Iterable[int] | None = None) -> int:
    """Make ``Meeting.ratings_diverge`` of these meetings (every one when None) the raw rows'
    answer (``MeetingQuerySet.with_diverging_ratings``), in one UPDATE of those that differ;
    the number changed."""
    diverges = Case(
        When(self_rating="", then=Value(False)),
        default=Exists(diverging_visits()),
        output_field=BooleanField(),
    )
    meetings = Meeting.objects.all()
    if meeting_ids is not None:
        meetings = meetings.filter(pk__in=sorted(set(meeting_ids)))
    return meetings.exclude(ratings_diverge=diverges).update(ratings_diverge=diverges)


def rebuild_tallies(today: datetime.date | None = None) -> int:
    """Recompute the summaries (attendance, ratings, the meetings' divergence) from the raw rows;
    the number of rows written or deleted (0 when they were right). An assignment's rows go with
    it (the foreign key cascades), so every stored attendance row belongs to one of the
    assignments refreshed. The recounts asked for (and committed) before it began are done with
    it."""
    asked = list(TallyRefresh.objects.pending().values_list("pk", flat=True))
    attendance = refresh_tallies(Assignment.objects.values_list("pk", flat=True), today)
    TallyRefresh.objects.pending().filter(pk__in=asked).update(finished_at=timezone.now())
    return attendance + refresh_ratings() + refresh_divergence()


def assignments_judged_by(province: Unit | None) -> Any:
    """The assignments a change to a policy of ``province`` may re-judge: those of the
    province (every one, for a default row, ``None``)."""
    assignments = Assignment.objects.all()
    if province is not None:
        assignments = assignments.within(province)
    return assignments.values_list("pk", flat=True)


def finish_refreshes() -> int:
    """Recount the summary for every refresh asked for and not finished; the number finished. A
    recount of the whole country stands for every province's asked before it. Each batch of
    assignments commits on its own (``refresh_tallies`` outside a transaction), so a worker
    stopped halfway loses one batch and the next run recounts it; a refresh asked while this one
    ran stays pending for the next run, which sees its policy."""
    pending = list(TallyRefresh.objects.pending().select_related("province"))
    if not pending:
        return 0
    if any(refresh.province is None for refresh in pending):
        refresh_tallies(assignments_judged_by(None))
    else:
        for province in {refresh.province for refresh in pending}:
            refresh_tallies(assignments_judged_by(province))
    # Compare-and-swap: two runs at once finish each refresh once.
    return (
        TallyRefresh.objects.pending()
        .filter(pk__in=[r.pk for r in pending])
        .update(finished_at=timezone.now())
    )


# What a visit is counted by: a save that writes none of these (a comment, a photo) leaves
# both summaries as they were.
COUNTED_FIELDS = frozenset(
    {"assignment", "unit", "date", "kind", "meeting", "status", "accepted_late", "rating"}
    | {"assignment_id", "unit_id", "meeting_id"}
)


def _visit_written(
    sender: type[Model],
    instance: Visit,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **_: Any,
) -> None:
    if raw or (update_fields is not None and not COUNTED_FIELDS & set(update_fields)):
        return
    assignment_id, unit_id, day, meeting_id = instance.loaded_place
    places = [(instance.unit_id, instance.date)]
    if unit_id is not None and day is not None:
        places.append((unit_id, day))
    # Cells first, then assignments, then meetings: the order a reorganisation writes them in,
    # so a visit saved while its cell moves waits for the reform instead of deadlocking with it.
    refresh_ratings(places)
    refresh_tallies(pk for pk in (instance.assignment_id, assignment_id) if pk is not None)
    refresh_divergence(pk for pk in (instance.meeting_id, meeting_id) if pk is not None)
    # Counted where it now is: a later save of the same object moves it from here.
    instance.loaded_place = (
        instance.assignment_id,
        instance.unit_id,
        instance.date,
        instance.meeting_id,
    )


def _assignment_written(
    sender: type[Model], instance: Assignment, raw: bool = False, **_: Any
) -> None:
    if not raw:
        refresh_tallies([instance.pk])


def _assignments_bulk_written(sender: type[Model], ids: list[int], **_: Any) -> None:
    refresh_tallies(ids)


def _position_written(sender: type[Model], instance: Position, raw: bool = False, **_: Any) -> None:
    if not raw:
        refresh_tallies(
            Assignment.objects.filter(member_id=instance.user_id).values_list("pk", flat=True)
        )


def _meeting_written(
    sender: type[Model],
    instance: Meeting,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **_: Any,
) -> None:
    if not raw and (update_fields is None or "self_rating" in update_fields):
        refresh_divergence([instance.pk])


def _policy_written(
    sender: type[Model], instance: AttendancePolicy, raw: bool = False, **_: Any
) -> None:
    """A province's policy is recounted in the writer's transaction; one that judges more
    assignments than a request may recount (a default row: the whole country, about 30 s)
    is left to a task, queued when the change commits, and reported as under way. The task
    module is imported here: it reads this one."""
    if raw:
        return
    judged = list(assignments_judged_by(instance.province))
    if len(judged) <= settings.TALLY_REFRESH_IN_REQUEST:
        refresh_tallies(judged)
        return
    from visits.tasks import queue_tally_refreshes

    TallyRefresh.objects.create(province=instance.province)
    transaction.on_commit(queue_tally_refreshes)


def connect() -> None:
    """Keep the summary on every save and delete of the rows it is computed from (an
    assignment's own rows go with it, by the foreign key's cascade)."""
    for receiver, model in (
        (_visit_written, Visit),
        (_position_written, Position),
        (_policy_written, AttendancePolicy),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"tallies-{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"tallies-del-{model.__name__}")
    post_save.connect(_assignment_written, sender=Assignment, dispatch_uid="tallies-Assignment")
    post_save.connect(_meeting_written, sender=Meeting, dispatch_uid="tallies-Meeting")
    assignments_written.connect(_assignments_bulk_written, dispatch_uid="tallies-bulk")
