"""The four papers the offices keep, built from the portal's own data for a person's scope.

Each builder reads through the scoping gate (``reports.under``, ``visible_to``) and returns a
``layout.Document``; the figures of the attendance report are the compliance report's own
(``reports.compliance``), so the paper and the page never disagree. Documents are always in
Vietnamese, whatever language the person reads the portal in.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Position
from accounts.roles import Role
from assignments.models import BreakthroughTask, TaskKind
from assignments.services import year_summary
from oversight.clock import local_today
from oversight.models import Level, Unit
from oversight.reporting import reports
from oversight.reporting.documents.layout import (
    Block,
    Document,
    Signature,
    Table,
    Text,
    committee_name,
    issuer_of,
)
from oversight.reporting.models import DocumentKind
from visits.models import Meeting, ScoreSheet, Visit, VisitKind, add_months

if TYPE_CHECKING:
    from accounts.models import User

FINDINGS_LIMIT = 30
MAX_RECIPIENTS = 20
UNVISITED_LIMIT = 100
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Span:
    """The period a report covers: a quarter, a half-year or a year (``part`` counts the
    quarters or halves of the year from 1)."""

    MONTHS: ClassVar[dict[str, int]] = {"quarter": 3, "half": 6, "year": 12}

    kind: str  # "quarter", "half", "year"
    year: int
    part: int = 1

    @classmethod
    def parts(cls, kind: str) -> int:
        """How many of this kind a year holds."""
        return 12 // cls.MONTHS[kind]

    @classmethod
    def covering(cls, first: datetime.date, last: datetime.date) -> Span:
        """The span that runs from ``first`` to ``last`` (an issued report's period)."""
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        kind = {3: "quarter", 6: "half"}.get(months, "year")
        return cls(kind, first.year, (first.month - 1) // cls.MONTHS[kind] + 1)

    @classmethod
    def last_quarter(cls, today: datetime.date) -> Span:
        """The last quarter that has ended by ``today``."""
        quarter = (today.month - 1) // 3
        return cls("quarter", today.year, quarter) if quarter else cls("quarter", today.year - 1, 4)

    @property
    def first(self) -> datetime.date:
        return datetime.date(self.year, (self.part - 1) * self.MONTHS[self.kind] + 1, 1)

    @property
    def last(self) -> datetime.date:
        return add_months(self.first, self.MONTHS[self.kind]) - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"quý {ROMAN[self.part]} năm {self.year}"
        if self.kind == "half":
            return f"6 tháng {'đầu' if self.part == 1 else 'cuối'} năm {self.year}"
        return f"năm {self.year}"


@dataclass(frozen=True)
class Request:
    """Which document, about what: a unit in the person's scope and, by kind, a period
    (``span``), a year, a member (the register) or a meeting (the score sheet)."""

    kind: str  # a reporting.models.DocumentKind
    unit: Unit
    span: Span | None = None
    year: int | None = None
    member: User | None = None
    meeting: Meeting | None = None

    @property
    def period(self) -> tuple[datetime.date | None, datetime.date | None]:
        if self.span is not None:
            return self.span.first, self.span.last
        if self.year is not None:
            return datetime.date(self.year, 1, 1), datetime.date(self.year, 12, 31)
        if self.meeting is not None:
            return self.meeting.date, self.meeting.date
        return None, None


@dataclass(frozen=True)
class SignOff:
    """What the office writes under a document: the date, who signs, who receives it."""

    date: datetime.date
    signature: Signature
    recipients: list[str]

    def check(self) -> None:
        """A document is dated today or earlier and goes somewhere."""
        errors: dict[str, str] = {}
        if self.date > local_today():
            errors["date"] = _("Ngày văn bản không được sau hôm nay.")
        if not self.recipients:
            errors["recipients"] = _("Hãy ghi ít nhất một nơi nhận.")
        elif len(self.recipients) > MAX_RECIPIENTS:
            errors["recipients"] = _("Tối đa %(n)s nơi nhận.") % {"n": MAX_RECIPIENTS}
        if errors:
            raise ValidationError(errors)


def committee_of(meeting: Meeting) -> Unit:
    """The committee a meeting's score sheet comes from: the commune its cell sits in."""
    cell = meeting.cell
    return cell.parent if cell.parent is not None else cell


def default_sign_off(unit: Unit, day: datetime.date) -> SignOff:
    """The committee's secretary on ``day`` signs on behalf of the standing committee; the
    document goes up to the level above and stays in the committee's office."""
    secretary = (
        Position.objects.current(day)
        .filter(unit=unit, role=Role.SECRETARY)
        .select_related("user")
        .order_by("start_date")
        .first()
    )
    name = secretary.user.get_full_name() if secretary else ""
    committee = issuer_of(unit).committee
    above = "Ban Tổ chức Trung ương" if unit.level == Level.PROVINCE else "Ban Thường vụ Tỉnh ủy"
    return SignOff(
        date=day,
        signature=Signature("T/M BAN THƯỜNG VỤ", "BÍ THƯ", name),
        recipients=[
            f"{above} (để báo cáo),",
            f"Các đồng chí ủy viên Ban Chấp hành {committee},",
            f"Lưu Văn phòng {committee}.",
        ],
    )


def build(user: User, request: Request, sign_off: SignOff) -> Document:
    """The document ``request`` asks for, as ``user`` sees the data."""
    kind = DocumentKind(request.kind)
    if kind == DocumentKind.ATTENDANCE_REPORT and request.span is not None:
        return attendance_report(user, request.unit, request.span, sign_off)
    if kind == DocumentKind.TASKS_REPORT and request.year is not None:
        return tasks_report(user, request.unit, request.year, sign_off)
    if kind == DocumentKind.REGISTER and request.member is not None and request.year is not None:
        return attendance_register(user, request.unit, request.member, request.year, sign_off)
    if kind == DocumentKind.SCORE_SHEET and request.meeting is not None:
        return score_sheet(user, request.meeting, sign_off)
    raise ValueError(f"incomplete request: {request}")


def _body_of(unit: Unit) -> str:
    """Where a position is held, as a title names it: "Tỉnh ủy Tuyên Quang", a cell by name."""
    return unit.name if unit.level == Level.CELL else committee_name(unit)[0]


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}" if whole else "–"


def _day(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


def _document(
    unit: Unit, kind: str, subject: str, body: list[Block], sign_off: SignOff, type_code: str = "BC"
) -> Document:
    """A document of ``unit``'s committee; ``type_code`` "" for a form, which has no number."""
    return Document(
        type_code=type_code,
        issuer=issuer_of(unit),
        kind=kind,
        subject=subject,
        date=sign_off.date,
        body=body,
        signature=sign_off.signature,
        recipients=sign_off.recipients,
        title=f"{kind.capitalize()} {subject}",
    )


def attendance_report(user: User, unit: Unit, span: Span, sign_off: SignOff) -> Document:
    """Báo cáo kết quả cấp ủy viên dự sinh hoạt chi bộ: the compliance report's totals by unit
    below and by member (periods still in progress left out, and said so), what the visits
    found and recommended, the cells nobody attended, the members short of the policy."""
    with translation.override("vi"):
        report = reports.compliance(user, unit, span.first, span.last, today=sign_off.date)
        subject = f"kết quả cấp ủy viên dự sinh hoạt chi bộ {span.label}"
        total = report.total
        body: list[Block] = [
            Text(
                f"Thực hiện quy định về việc cấp ủy viên dự sinh hoạt chi bộ, Ban Thường vụ báo "
                f"cáo kết quả {span.label} như sau:"
            ),
            Text("I. KẾT QUẢ CHUNG", "heading"),
            Text(
                f"Trong {span.label}, {len(report.rows)} đồng chí cấp ủy viên được phân công "
                f"phụ trách cơ sở phải dự {total.required} lượt sinh hoạt chi bộ; đã dự "
                f"{total.logged} lượt (đạt {_percent(total.logged, total.required)}%), trong đó "
                f"{total.accepted} lượt đã được duyệt"
                + (f", {total.late} lượt duyệt sau khi khóa sổ." if total.late else ".")
            ),
        ]
        if report.in_progress_months:
            months = ", ".join(f"{m:%m/%Y}" for m in sorted(report.in_progress_months))
            body.append(Text(f"Số liệu không tính các tháng chưa khóa sổ ({months}).", "note"))
        body.append(_by_unit(report))
        body += [Text("II. KẾT QUẢ CỦA TỪNG ĐỒNG CHÍ", "heading"), _by_member(report)]
        body += [Text("III. NHẬN XÉT, KIẾN NGHỊ QUA CÁC LẦN DỰ SINH HOẠT", "heading")]
        body += _findings(user, unit, span, sign_off.date)
        body += [Text("IV. CHI BỘ CHƯA CÓ CẤP ỦY VIÊN DỰ SINH HOẠT", "heading")]
        body += _unvisited(user, unit, span, sign_off.date)
        body += [Text("V. CÁC ĐỒNG CHÍ CHƯA DỰ ĐỦ THEO QUY ĐỊNH", "heading")]
        body += _short(report)
        return _document(unit, "BÁO CÁO", subject, body, sign_off)


def _tally_cells(tally: reports.Tally) -> list[str]:
    return [
        str(tally.required),
        str(tally.logged),
        str(tally.accepted),
        _percent(tally.logged, tally.required),
    ]


def _by_unit(report: reports.ComplianceReport) -> Table:
    return Table(
        header=["STT", "Đơn vị", "Phải dự", "Đã dự", "Được duyệt", "Tỷ lệ (%)"],
        rows=[
            [str(index), group.name, *_tally_cells(tally)]
            for index, (group, tally) in enumerate(report.by_group, start=1)
        ],
        widths=[0.08, 0.44, 0.12, 0.12, 0.12, 0.12],
        numeric=frozenset({0, 2, 3, 4, 5}),
        total=["", "Cộng", *_tally_cells(report.total)],
    )


def _by_member(report: reports.ComplianceReport) -> Table:
    return Table(
        header=["STT", "Họ và tên", "Địa bàn phụ trách", "Phải dự", "Đã dự", "Được duyệt"],
        rows=[
            [
                str(index),
                row.name,
                ", ".join(dict.fromkeys(row.areas)),
                *_tally_cells(row.total)[:3],
            ]
            for index, row in enumerate(report.rows, start=1)
        ],
        widths=[0.08, 0.26, 0.33, 0.11, 0.11, 0.11],
        numeric=frozenset({0, 3, 4, 5}),
    )


def _findings(user: User, unit: Unit, span: Span, today: datetime.date) -> list[Block]:
    """The period's sent visits that found or recommended something, those to follow up first."""
    visits = (
        reports.under(Visit.objects, user, unit)
        .logged()
        .filter(date__gte=span.first, date__lte=min(span.last, today))
        .exclude(findings="", recommendations="")
        .select_related("unit", "member")
        .order_by("-follow_up_needed", "date", "pk")
    )
    shown = list(visits[: FINDINGS_LIMIT + 1])
    if not shown:
        return [Text("Trong kỳ không có nhận xét, kiến nghị nào được ghi lại.")]
    blocks: list[Block] = []
    for visit in shown[:FINDINGS_LIMIT]:
        said = visit.findings.strip()
        if visit.recommendations.strip():
            said += f" Kiến nghị: {visit.recommendations.strip()}"
        blocks.append(
            Text(
                f"- {visit.unit.name}, ngày {_day(visit.date)} (đồng chí "
                f"{visit.member.get_full_name()}): {said.strip()}",
                "item",
            )
        )
    if len(shown) > FINDINGS_LIMIT:
        blocks.append(Text(f"Chỉ nêu {FINDINGS_LIMIT} ý kiến đầu; xem đủ trên cổng.", "note"))
    return blocks


def _unvisited(user: User, unit: Unit, span: Span, today: datetime.date) -> list[Block]:
    end = min(span.last, today)
    visited = Visit.objects.logged().filter(
        unit=OuterRef("pk"), kind=VisitKind.MEETING, date__gte=span.first, date__lte=end
    )
    cells = (
        reports.under(Unit.objects, user, unit)
        .existing_on(end)
        .filter(level=Level.CELL)
        .exclude(Exists(visited))
        .select_related("parent")
        .order_by("path")
    )
    count = cells.count()
    if not count:
        return [Text("Tất cả chi bộ đều có cấp ủy viên dự sinh hoạt trong kỳ.")]
    listed = list(cells[:UNVISITED_LIMIT])
    blocks: list[Block] = [
        Text(f"Có {count} chi bộ chưa có cấp ủy viên dự sinh hoạt trong kỳ."),
        Table(
            header=["STT", "Chi bộ", "Thuộc"],
            rows=[
                [str(i), cell.name, cell.parent.name if cell.parent else ""]
                for i, cell in enumerate(listed, start=1)
            ],
            widths=[0.08, 0.5, 0.42],
            numeric=frozenset({0}),
        ),
    ]
    if count > len(listed):
        blocks.append(Text(f"Chỉ nêu {len(listed)} chi bộ đầu trong {count}.", "note"))
    return blocks


def _short(report: reports.ComplianceReport) -> list[Block]:
    short = [row for row in report.rows if row.total.logged < row.total.required]
    if not short:
        return [Text("Các đồng chí đều dự đủ số buổi theo quy định trong các kỳ đã khóa sổ.")]
    return [
        Table(
            header=["STT", "Họ và tên", "Phải dự", "Đã dự", "Còn thiếu"],
            rows=[
                [
                    str(i),
                    row.name,
                    str(row.total.required),
                    str(row.total.logged),
                    str(row.total.required - row.total.logged),
                ]
                for i, row in enumerate(short, start=1)
            ],
            widths=[0.08, 0.47, 0.15, 0.15, 0.15],
            numeric=frozenset({0, 2, 3, 4}),
        )
    ]


def attendance_register(
    user: User, unit: Unit, member: User, year: int, sign_off: SignOff
) -> Document:
    """Sổ theo dõi dự sinh hoạt chi bộ of one member for a year: every visit sent, with its
    date, unit, kind, rating and findings, and the count against the policy."""
    with translation.override("vi"):
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        visits = list(
            Visit.objects.visible_to(user)
            .logged()
            .filter(member=member, date__gte=first, date__lte=last)
            .select_related("unit")
            .order_by("date", "pk")
        )
        report = reports.compliance(user, None, first, last, today=sign_off.date, member=member)
        tally = report.rows[0].total if report.rows else reports.Tally()
        name = member.get_full_name()
        body: list[Block] = [
            Text(f"Họ và tên: {name}", "item"),
            Text(
                "Chức vụ: "
                + "; ".join(
                    f"{p.get_role_display()} {_body_of(p.unit)}"
                    for p in member.positions.current(sign_off.date).select_related("unit")
                ),
                "item",
            ),
            Text(
                f"Năm {year}: phải dự {tally.required} buổi sinh hoạt chi bộ, đã dự "
                f"{tally.logged}, được duyệt {tally.accepted} (các kỳ đã khóa sổ).",
                "item",
            ),
            Table(
                header=["STT", "Ngày", "Chi bộ, đơn vị", "Hình thức", "Xếp loại", "Nhận xét"],
                rows=[
                    [
                        str(i),
                        _day(v.date),
                        v.unit.name,
                        str(VisitKind(v.kind).label),
                        v.get_rating_display() if v.rating else "",
                        v.findings.strip(),
                    ]
                    for i, v in enumerate(visits, start=1)
                ],
                widths=[0.08, 0.16, 0.22, 0.15, 0.10, 0.29],
                numeric=frozenset({0}),
            ),
        ]
        subject = f"dự sinh hoạt chi bộ năm {year} của đồng chí {name}"
        return _document(unit, "SỔ THEO DÕI", subject, body, sign_off, type_code="")


def score_sheet(user: User, meeting: Meeting, sign_off: SignOff) -> Document:
    """Phiếu đánh giá chất lượng sinh hoạt chi bộ of one meeting: the criteria and points of
    the sheet in force on its date, the cell's own score and each visiting member's, the
    totals and the ratings the sheet derives from them."""
    with translation.override("vi"):
        visits = list(
            Visit.objects.visible_to(user)
            .logged()
            .filter(meeting=meeting)
            .exclude(score_points=None)
            .select_related("member")
            .order_by("pk")
        )
        sheet = meeting.self_sheet or ScoreSheet.for_unit(meeting.cell, meeting.date)
        criteria = list(sheet.criteria.all())
        scores = [("Chi bộ tự chấm", meeting.self_points or {})]
        scores += [(f"Đ/c {v.member.get_full_name()} chấm", v.score_points or {}) for v in visits]
        rows = [
            [str(i), c.name, str(c.max_points)]
            + [str(points[c.code]) if c.code in points else "" for _label, points in scores]
            for i, c in enumerate(criteria, start=1)
        ]
        totals, ratings = [], []
        for label, points in scores:
            if points and all(c.code in points for c in criteria):
                score, rating = sheet.evaluate(points)
                totals.append(str(score))
                ratings.append(f"{label}: {score} điểm, xếp loại {rating.label}.")
            else:
                totals.append("")
                ratings.append(f"{label}: chưa chấm.")
        cell, commune = meeting.cell, committee_of(meeting)
        share = 0.36 / len(scores)
        body: list[Block] = [
            Text(f"Chi bộ: {cell.name} ({commune.name})", "item"),
            Text(
                f"Ngày họp: {_day(meeting.date)}; hình thức: {meeting.get_kind_display()}"
                + (f"; địa điểm: {meeting.place}" if meeting.place else "")
                + (f"; chủ đề: {meeting.topic}" if meeting.topic else ""),
                "item",
            ),
            Text(
                f"Bảng chấm điểm: {sheet.name}" + (f" ({sheet.basis})" if sheet.basis else ""),
                "item",
            ),
            Table(
                header=["STT", "Tiêu chí", "Điểm tối đa", *(label for label, _points in scores)],
                rows=rows,
                widths=[0.08, 0.44, 0.12, *([share] * len(scores))],
                numeric=frozenset(range(len(scores) + 3)) - {1},
                total=["", "Tổng điểm", str(sum(c.max_points for c in criteria)), *totals],
            ),
            Text("Xếp loại:", "heading"),
            *(Text(f"- {line}", "item") for line in ratings),
        ]
        subject = f"chất lượng sinh hoạt chi bộ {cell.name}, ngày {_day(meeting.date)}"
        return _document(commune, "PHIẾU ĐÁNH GIÁ", subject, body, sign_off, type_code="")


def tasks_report(user: User, unit: Unit, year: int, sign_off: SignOff) -> Document:
    """Báo cáo kết quả thực hiện việc đột phá, đặt hàng of a year, task by task."""
    with translation.override("vi"):
        tasks = reports.under(BreakthroughTask.objects, user, unit)
        summary = year_summary(user, year, tasks=tasks)
        listed = list(
            tasks.filter(year=year).select_related("cadre").order_by("deadline", "title", "pk")
        )
        cadres = len({task.cadre_id for task in listed})
        done = summary.completed + summary.completed_late
        body: list[Block] = [
            Text("I. KẾT QUẢ CHUNG", "heading"),
            Text(
                f"Năm {year}, Ban Thường vụ giao {summary.total} nhiệm vụ đột phá cho {cadres} "
                f"đồng chí cán bộ, trong đó {summary.commissioned} nhiệm vụ đặt hàng. Đã hoàn "
                f"thành {done} nhiệm vụ ({summary.completed} đúng hạn, {summary.completed_late} "
                f"chậm), không hoàn thành {summary.not_completed}, đang thực hiện {summary.open}"
                f"; {summary.commissioned_completed}/{summary.commissioned} nhiệm vụ đặt hàng "
                f"đã hoàn thành."
            ),
            Text("II. KẾT QUẢ TỪNG NHIỆM VỤ", "heading"),
            Table(
                header=["STT", "Nhiệm vụ", "Loại", "Người thực hiện", "Hạn", "Kết quả"],
                rows=[
                    [
                        str(i),
                        task.title,
                        "Đặt hàng" if task.kind == TaskKind.COMMISSIONED else "Đăng ký",
                        task.cadre.get_full_name(),
                        _day(task.deadline),
                        task.get_result_display() if task.result else task.get_status_display(),
                    ]
                    for i, task in enumerate(listed, start=1)
                ],
                widths=[0.08, 0.31, 0.12, 0.18, 0.16, 0.15],
                numeric=frozenset({0}),
            ),
        ]
        subject = f"kết quả thực hiện việc đột phá, đặt hàng năm {year}"
        return _document(unit, "BÁO CÁO", subject, body, sign_off)
