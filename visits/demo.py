"""A living demo province: assignments, meeting days, meetings and a realistic mix of visits
(most accepted, some missing, some returned), for the old term's first half of 2025 before the
reorganisation (``load_demo_history``) and for the current term's last twelve months
(``load_demo_activity``).

Deterministic for a given day: every choice comes from a seeded random generator, and what
already exists is left alone, so loading twice changes nothing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Position, User
from accounts.roles import Role
from assignments.models import Assignment, AssignmentKind
from oversight.clock import local_today
from oversight.models import Level, Term, Unit
from visits.models import (
    Meeting,
    MeetingKind,
    MeetingSchedule,
    MeetingStatus,
    ScoreSheet,
    Visit,
    VisitKind,
    VisitStatus,
    add_months,
)
from visits.tallies import refresh_ratings, refresh_tallies

MONTHS_OF_HISTORY = 12
THEMATIC_TOPICS = [
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Xây dựng nông thôn mới",
    "Chuyển đổi số ở thôn, tổ dân phố",
    "Phòng chống thiên tai, sạt lở đất",
    "Giữ gìn an ninh trật tự, phòng chống ma túy",
]
FINDINGS = [
    "Chi bộ sinh hoạt đúng giờ, nội dung bám sát nghị quyết; đảng viên phát biểu sôi nổi.",
    "Tỷ lệ đảng viên dự cao; cần cụ thể hóa nghị quyết bằng việc làm rõ người, rõ việc.",
    "Chuẩn bị nội dung chưa kỹ, biên bản còn sơ sài; đã nhắc chi ủy rút kinh nghiệm.",
    "Thảo luận về giải phóng mặt bằng; nhân dân đồng thuận, còn 2 hộ chưa nhận tiền bồi thường.",
    "Chi bộ đã triển khai mô hình trồng cam, cần hỗ trợ tiêu thụ sản phẩm.",
]


@dataclass
class ActivityReport:
    assignments: int
    schedules: int
    meetings: int
    visits: int


def _assign(member: User, unit: Unit, term: Term, by: User | None, kind: str) -> int:
    if Assignment.objects.filter(member=member, unit=unit, term=term).exists():
        return 0
    # An assignment of a term that is over ended with it.
    ended = term.end_date if term.end_date < local_today() else None
    Assignment.objects.create(
        member=member, unit=unit, term=term, kind=kind, start_date=term.start_date,
        end_date=ended, assigned_by=by,
    )  # fmt: skip
    return 1


def _assignments(province: Unit, term: Term, on: datetime.date) -> int:
    """Provincial members oversee communes, district and commune members oversee cells, as the
    positions held on ``on`` say."""
    created = 0
    positions = list(
        Position.objects.current(on)
        .within(province)
        .select_related("user", "unit")
        .order_by("unit__path", "user__username")
    )
    office = {p.unit_id: p.user for p in positions if p.role == Role.OFFICE_STAFF}
    communes = list(
        Unit.objects.subtree_of(province).active().filter(level=Level.COMMUNE).order_by("path")
    )
    members = [p for p in positions if p.role not in (Role.OFFICE_STAFF, Role.CELL_SECRETARY)]
    for index, position in enumerate(members):
        rng = random.Random(f"assign:{position.user.username}:{position.unit.code}")
        assigner = office.get(position.unit_id)
        if position.unit.level == Level.PROVINCE:
            if position.role == Role.SECRETARY:
                continue
            commune = communes[(index * 7) % len(communes)]
            created += _assign(position.user, commune, term, assigner, AssignmentKind.IN_CHARGE)
        else:
            cells = list(
                Unit.objects.subtree_of(position.unit)
                .active()
                .filter(level=Level.CELL)
                .order_by("code")
            )
            for cell in rng.sample(cells, k=min(3, len(cells))):
                created += _assign(position.user, cell, term, assigner, AssignmentKind.IN_CHARGE)
    return created


def _schedules(province: Unit) -> int:
    existing = set(MeetingSchedule.objects.values_list("cell_id", flat=True))
    new = []
    for cell in Unit.objects.subtree_of(province).filter(level=Level.CELL).select_related("parent"):
        if cell.pk in existing:
            continue
        rng = random.Random(f"schedule:{cell.code}")
        urban = cell.name.startswith("Chi bộ tổ dân phố")
        new.append(
            MeetingSchedule(
                cell=cell,
                day_of_month=rng.choice([3, 5, 8, 10, 12, 15, 18, 20, 25]),
                time=datetime.time(19, 30) if urban or rng.random() < 0.6 else datetime.time(8, 0),
                place=f"Nhà văn hóa {cell.name.removeprefix('Chi bộ ')}",
            )
        )
    bulk_create_with_history(new, MeetingSchedule, batch_size=1000)
    return len(new)


def _meetings(
    province: Unit, first: datetime.date, months: int, today: datetime.date, upcoming: bool
) -> int:
    """Regular meetings of ``months`` months from ``first`` (and of the month after), thematic
    ones each quarter, a few cancelled; with ``upcoming``, a thematic meeting tomorrow."""
    before = Meeting.objects.count()
    cells = list(Unit.objects.subtree_of(province).active().filter(level=Level.CELL))
    for offset in range(months + 1):
        Meeting.objects.plan_month(add_months(first, offset), cells=cells)
    thematic_done = set(
        Meeting.objects.filter(kind=MeetingKind.THEMATIC).values_list("cell_id", "date")
    )
    thematic = []
    for cell in cells:
        rng = random.Random(f"thematic:{cell.code}")
        for quarter in range(0, months, 3):
            # Draw every number first, so that skipping one meeting never shifts the next.
            month = add_months(first, quarter + rng.randint(0, 2))
            date = month.replace(day=rng.randint(1, 27))
            skipped, topic = rng.random() < 0.15, rng.choice(THEMATIC_TOPICS)
            if date > today or skipped or (cell.pk, date) in thematic_done:
                continue
            thematic.append(
                Meeting(cell=cell, kind=MeetingKind.THEMATIC, month=month, date=date, topic=topic)
            )
    if upcoming:
        thematic += _thematic_tomorrow(province, today, thematic_done)
    bulk_create_with_history(thematic, Meeting, batch_size=1000)
    to_cancel = [
        meeting.pk
        for meeting in Meeting.objects.filter(kind=MeetingKind.REGULAR, date__lt=today)
        .exclude(status=MeetingStatus.CANCELLED)
        .only("pk", "cell_id", "date")
        if random.Random(f"cancel:{meeting.cell_id}:{meeting.date}").random() < 0.02
        and not meeting.visits.exists()
    ]
    Meeting.objects.filter(pk__in=to_cancel).update(
        status=MeetingStatus.CANCELLED, change_reason="Mưa lũ, chuyển sang tháng sau"
    )
    return Meeting.objects.count() - before


def _thematic_tomorrow(
    province: Unit, today: datetime.date, thematic_done: set[tuple[int, datetime.date]]
) -> list[Meeting]:
    """A thematic meeting tomorrow in one cell of each member's area, so that the demo's
    reminders have something to announce whatever day it is loaded."""
    tomorrow = today + datetime.timedelta(days=1)
    first_cells: dict[int, int] = {}
    for member_id, cell_id in (
        Assignment.objects.within(province)
        .open_on(today)
        .filter(unit__level=Level.CELL)
        .order_by("member_id", "unit__code")
        .values_list("member_id", "unit_id")
    ):
        first_cells.setdefault(member_id, cell_id)
    return [
        Meeting(
            cell_id=cell_id,
            kind=MeetingKind.THEMATIC,
            month=tomorrow.replace(day=1),
            date=tomorrow,
            topic=THEMATIC_TOPICS[cell_id % len(THEMATIC_TOPICS)],
        )
        for cell_id in sorted(set(first_cells.values()))
        if (cell_id, tomorrow) not in thematic_done
    ]


def _score(rng: random.Random, sheet: ScoreSheet) -> dict[str, int]:
    return {
        c.code: c.max_points if rng.random() < 0.8 else rng.randint(c.max_points // 2, c.max_points)
        for c in sheet.criteria.all()
    }


# How far the review has come, by the days since the meeting rather than by calendar month,
# so that the demo holds drafts, visits waiting for review and returned ones on the 1st of a
# month as on the 31st (every fortnight has meetings: the meeting days are spread over the month).
FRESH, IN_REVIEW = datetime.timedelta(days=14), datetime.timedelta(days=45)


def _status_after(age: datetime.timedelta, roll: float) -> str:
    """The status of a visit to a meeting held ``age`` ago, for a roll of the dice in [0, 1)."""
    if age < FRESH:
        return VisitStatus.DRAFT if roll < 0.35 else VisitStatus.SUBMITTED
    if age < IN_REVIEW:
        if roll < 0.5:
            return VisitStatus.SUBMITTED
        return VisitStatus.ACCEPTED if roll < 0.85 else VisitStatus.RETURNED
    if roll < 0.92:
        return VisitStatus.ACCEPTED
    return VisitStatus.RETURNED if roll < 0.96 else VisitStatus.SUBMITTED


def _visits(
    province: Unit, first: datetime.date, months: int, today: datetime.date, on: datetime.date
) -> int:
    """Visits by the members assigned on ``on`` to the regular meetings of ``months`` months
    from ``first``, reviewed by the offices of that day, each as far along as its age says."""
    # A meeting is scored with the sheet in force on its day (12-HD before 28/10/2025, 42-HD
    # since); one lookup per sheet.
    sheets: list[ScoreSheet] = []

    def sheet_on(day: datetime.date) -> ScoreSheet:
        known = next((sheet for sheet in sheets if sheet.is_in_force(day)), None)
        if known is None:
            known = ScoreSheet.for_unit(province, on=day)
            sheets.append(known)
        return known

    last = min(today, add_months(first, months) - datetime.timedelta(days=1))
    meetings = list(
        Meeting.objects.filter(date__gte=first, date__lte=last, kind=MeetingKind.REGULAR)
        .exclude(status=MeetingStatus.CANCELLED)
        .select_related("cell")
        .order_by("date", "cell__code")
    )
    done = set(Visit.objects.values_list("member_id", "meeting_id"))
    reviewers = {
        p.unit.path: p.user
        for p in Position.objects.current(on)
        .filter(role=Role.OFFICE_STAFF)
        .select_related("unit", "user")
    }
    new = []
    assignments = Assignment.objects.open_on(on).select_related("member", "unit")
    for assignment in assignments.within(province):
        provincial = assignment.unit.level == Level.COMMUNE
        reviewer = next(
            (user for path, user in sorted(reviewers.items(), key=lambda i: -len(i[0]))
             if assignment.unit.path.startswith(path)),
            None,
        )  # fmt: skip
        for offset in range(months):
            month = add_months(first, offset)
            rng = random.Random(
                f"visit:{assignment.member.username}:{assignment.unit.code}:{month}"
            )
            if (provincial and month.month % 3 != 2) or rng.random() > 0.8:
                continue  # a provincial member goes once a quarter; some months are missed
            candidates = [
                m
                for m in meetings
                if m.month == month and m.cell.path.startswith(assignment.unit.path)
            ]
            if not candidates:
                continue
            meeting = rng.choice(candidates)
            if (assignment.member.pk, meeting.pk) in done:
                continue
            status = _status_after(today - meeting.date, rng.random())
            members_total = rng.randint(12, 40)
            submitted_at = timezone.make_aware(
                datetime.datetime.combine(meeting.date, datetime.time(21, 0))
            )
            reviewed = status in (VisitStatus.ACCEPTED, VisitStatus.RETURNED)
            review_delay = datetime.timedelta(days=40 if rng.random() < 0.1 else 3)
            visit = Visit(
                member=assignment.member,
                logged_by=assignment.member,
                kind=VisitKind.MEETING,
                meeting=meeting,
                unit=meeting.cell,
                assignment=assignment,
                date=meeting.date,
                members_total=members_total,
                members_present=members_total - rng.randint(0, 5),
                findings=rng.choice(FINDINGS),
                recommendations="Đề nghị chi ủy tiếp tục duy trì nền nếp sinh hoạt."
                if rng.random() < 0.5
                else "",
                follow_up_needed=rng.random() < 0.2,
                status=status,
                submitted_at=submitted_at if status != VisitStatus.DRAFT else None,
                reviewed_by=reviewer if reviewed else None,
                reviewed_at=min(submitted_at + review_delay, timezone.now()) if reviewed else None,
                review_comment="Đề nghị bổ sung số đảng viên dự và ý kiến thảo luận chính."
                if status == VisitStatus.RETURNED
                else "",
            )
            if rng.random() < 0.7:
                sheet = sheet_on(meeting.date)
                visit.apply_score(_score(rng, sheet), sheet)
            if status == VisitStatus.ACCEPTED and visit.reviewed_at:
                visit.accepted_late = visit.reviewed_at > visit.closes_at()
            new.append(visit)
    bulk_create_with_history(new, Visit, batch_size=1000)
    refresh_tallies(visit.assignment_id for visit in new if visit.assignment_id is not None)
    refresh_ratings((visit.unit_id, visit.date) for visit in new)
    return len(new)


@transaction.atomic
def load_demo_history(today: datetime.date | None = None) -> ActivityReport:
    """The old term's work in old Tuyên Quang and old Hà Giang, April to June 2025 (the quarter
    before the reorganisation): what a report on the past, or on a new commune's
    predecessors, finds after it.
    Loaded while the old tree stands (``seed_demo`` calls it before the reorganisation only)."""
    today = today or local_today()
    term = Term.objects.get(name="2020–2025")
    first = on = datetime.date(2025, 4, 1)
    report = ActivityReport(0, 0, 0, 0)
    for province in Unit.objects.active().filter(code__in=["P08", "P02"], level=Level.PROVINCE):
        report.assignments += _assignments(province, term, on)
        report.schedules += _schedules(province)
        report.meetings += _meetings(province, first, 3, today, upcoming=False)
        report.visits += _visits(province, first, 3, today, on)
    return report


@transaction.atomic
def load_demo_activity(today: datetime.date | None = None) -> ActivityReport:
    """Add the current term's oversight work to the demo province (see the module's note)."""
    today = today or local_today()
    province = Unit.objects.get(code="P08")
    term = Term.objects.current(today).get()
    first = add_months(today.replace(day=1), -(MONTHS_OF_HISTORY - 1))
    return ActivityReport(
        assignments=_assignments(province, term, today),
        schedules=_schedules(province),
        meetings=_meetings(province, first, MONTHS_OF_HISTORY, today, upcoming=True),
        visits=_visits(province, first, MONTHS_OF_HISTORY, today, today),
    )
