"""Cell meetings, the overseers' visits to them (and field visits), and how meetings are scored."""

from __future__ import annotations

import calendar
import datetime
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import name_fields
from accounts.rights import units_where
from accounts.roles import Role
from assignments.models import Assignment
from oversight.clock import local_today
from oversight.models import (
    InForce,
    InForceQuerySet,
    Level,
    ScopedQuerySet,
    Unit,
    UnitQuerySet,
    scoped_history,
)
from oversight.uploads import AttachmentField

if TYPE_CHECKING:
    from accounts.models import Position


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_index(day: datetime.date) -> int:
    """``day``'s month counted from year 0: consecutive months are consecutive numbers."""
    return day.year * 12 + day.month - 1


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = month_index(day) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def closing_day(day: datetime.date) -> datetime.date:
    """The day the books of ``day``'s month close: ``COMPLIANCE_CLOSING_DAY`` of the following
    month (its last day when that month is shorter), or the day of the latest change in force
    for ``day``'s month (``COMPLIANCE_CLOSING_DAY_CHANGES``). Until the end of that day a visit
    of the month can still be logged and accepted in time."""
    rule = settings.COMPLIANCE_CLOSING_DAY
    for since, changed in settings.COMPLIANCE_CLOSING_DAY_CHANGES:
        if month_start(day) >= since:
            rule = changed
    month = add_months(day, 1)
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=min(rule, last))


def in_progress(period_end: datetime.date, today: datetime.date) -> bool:
    """Whether a period ending on ``period_end`` is still in progress on ``today``: until its
    closing day has passed it is not due, so it is never short and no total counts it. The one
    rule of every report, export and planner that asks whether a period has closed."""
    return today <= closing_day(period_end)


class Period(models.TextChoices):
    MONTH = "month", _("tháng")
    QUARTER = "quarter", _("quý")
    YEAR = "year", _("năm")

    def bounds(self, day: datetime.date) -> tuple[datetime.date, datetime.date]:
        """First and last day of the period of this kind that contains ``day``."""
        if self is Period.MONTH:
            start = month_start(day)
            length = 1
        elif self is Period.QUARTER:
            start = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            length = 3
        else:
            start = datetime.date(day.year, 1, 1)
            length = 12
        return start, add_months(start, length) - datetime.timedelta(days=1)


class ProvinceRuleQuerySet(InForceQuerySet):
    def applying_to(self, unit: Unit) -> Self:
        """The rules that may judge ``unit``: its province's own and the defaults."""
        return self.filter(Q(province__isnull=True) | Q(province__path__in=unit.ancestor_paths()))


class AttendancePolicy(InForce):
    """How many cell meetings a member must attend, per period, in each unit assigned to them.

    Chosen by the level of the member's highest position and their role there; a row with no
    role applies to every role at that level; a province's own row comes before the default.
    A period is judged by the row in force on its first day (``valid_from``/``valid_to``), so
    changing the policy from a day on never changes a past period's compliance.
    """

    province = models.ForeignKey(
        Unit,
        verbose_name=_("tỉnh áp dụng"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        limit_choices_to={"level": Level.PROVINCE},
        related_name="attendance_policies",
        help_text=_("Để trống: định mức mặc định cho mọi tỉnh chưa có định mức riêng."),
    )
    level = models.CharField(_("cấp của cấp ủy viên"), max_length=16, choices=Level.choices)
    role = models.CharField(
        _("vai trò"),
        max_length=32,
        choices=Role.choices,
        blank=True,
        help_text=_("Để trống: áp dụng cho mọi vai trò ở cấp này."),
    )
    period = models.CharField(_("kỳ"), max_length=8, choices=Period.choices)
    required_meetings = models.PositiveSmallIntegerField(
        _("số buổi phải dự"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    objects = ProvinceRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("định mức dự sinh hoạt")
        verbose_name_plural = _("định mức dự sinh hoạt")
        ordering = ["province__code", "level", "role", "valid_from"]
        constraints = [
            # One row per province (or default), level, role and first day; the empty province
            # and the empty first day count as values (SQLite and PostgreSQL alike).
            models.UniqueConstraint(
                Coalesce("province", Value(0)),
                F("level"),
                F("role"),
                Coalesce("valid_from", Value(datetime.date.min)),
                name="policy_unique_from",
            )
        ]

    def __str__(self) -> str:
        who = self.get_role_display() if self.role else _("mọi vai trò")
        per = self.get_period_display()
        return f"{self.get_level_display()} / {who}: {self.required_meetings} / {per}"

    @classmethod
    def for_positions(
        cls,
        positions: Iterable[Position],
        table: Iterable[AttendancePolicy] | None = None,
        on: datetime.date | None = None,
    ) -> AttendancePolicy | None:
        """The policy of the highest of ``positions`` (a member answers at their top level), in
        force on ``on`` (today by default)."""
        held = [(p.unit.path, p.unit.level, p.role) for p in positions]
        rows = table if table is not None else cls.objects.select_related("province")
        return cls.for_held(held, rows, on or local_today())

    @staticmethod
    def for_held(
        held: Iterable[tuple[str, str, str]],
        table: Iterable[AttendancePolicy],
        on: datetime.date,
    ) -> AttendancePolicy | None:
        """The same choice from (unit path, unit level, role) triples, for reports over
        thousands of members that read positions as plain rows."""
        in_force = [p for p in table if p.is_in_force(on)]
        for path, level, role in sorted(held, key=lambda h: h[0].count("/")):
            province = path.split("/", 1)[0]
            for wanted_province, wanted_role in (
                (province, role),
                (province, ""),
                (None, role),
                (None, ""),
            ):
                for policy in in_force:
                    code = policy.province.code if policy.province is not None else None
                    if (code, policy.level, policy.role) == (wanted_province, level, wanted_role):
                        return policy
        return None


class MeetingScheduleQuerySet(ScopedQuerySet):
    unit_path_lookup = "cell__path"


class MeetingSchedule(models.Model):
    """A cell's regular meeting: which day of the month, when and where."""

    cell = models.OneToOneField(
        Unit,
        verbose_name=_("chi bộ"),
        on_delete=models.CASCADE,
        related_name="meeting_schedule",
        limit_choices_to={"level": Level.CELL},
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("ngày sinh hoạt hằng tháng"),
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Tháng ngắn hơn thì họp vào ngày cuối tháng."),
    )
    time = models.TimeField(_("giờ"), null=True, blank=True)
    place = models.CharField(_("địa điểm"), max_length=200, blank=True)

    objects = MeetingScheduleQuerySet.as_manager()
    history = HistoricalRecords(
        historical_queryset=scoped_history(MeetingScheduleQuerySet.unit_path_lookup)
    )

    class Meta:
        verbose_name = _("lịch sinh hoạt chi bộ")
        verbose_name_plural = _("lịch sinh hoạt chi bộ")

    def __str__(self) -> str:
        return f"{self.cell}: {self.day_of_month}"

    @property
    def rights_unit(self) -> Unit:
        """Where a right must hold to act on this row (``accounts.rights.may``)."""
        return self.cell

    def clean(self) -> None:
        if self.cell_id and self.cell.level != Level.CELL:
            raise ValidationError({"cell": _("Chỉ chi bộ mới có lịch sinh hoạt.")})

    def date_in(self, month: datetime.date) -> datetime.date:
        """The meeting day in ``month``, the month's last day when it is shorter."""
        last = calendar.monthrange(month.year, month.month)[1]
        return month.replace(day=min(self.day_of_month, last))


class MeetingKind(models.TextChoices):
    REGULAR = "regular", _("Thường kỳ")
    THEMATIC = "thematic", _("Chuyên đề")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Theo lịch")
    CANCELLED = "cancelled", _("Đã hủy")


class Rating(models.TextChoices):
    """The four ratings of a cell meeting, best first (Hướng dẫn 12-HD/BTCTW)."""

    GOOD = "good", _("Tốt")
    FAIR = "fair", _("Khá")
    AVERAGE = "average", _("Trung bình")
    POOR = "poor", _("Kém")

    @property
    def rank(self) -> int:
        return list(Rating).index(self)


def diverging_visits() -> Any:
    """The visits to the outer meeting whose rating differs from the cell's own."""
    return Visit.objects.filter(meeting=OuterRef("pk"), rating__gt="").exclude(
        rating=OuterRef("self_rating")
    )


class MeetingQuerySet(ScopedQuerySet):
    unit_path_lookup = "cell__path"

    def as_rows(self) -> Self:
        """The meetings as lists show them (day, time, place, kind, status, the cell's own
        rating, the cell and its parent's name), with only those columns selected (see
        ``VisitQuerySet.as_rows``)."""
        return self.select_related("cell", "cell__parent").only(
            "date", "time", "place", "kind", "status", "self_rating", "cell",
            "cell__name", "cell__code", "cell__parent__name",
        )  # fmt: skip

    def in_month(self, month: datetime.date) -> Self:
        return self.filter(month=month_start(month))

    def between(self, start: datetime.date, end: datetime.date) -> Self:
        return self.filter(date__gte=start, date__lte=end)

    def held(self) -> Self:
        return self.exclude(status=MeetingStatus.CANCELLED)

    def with_diverging_ratings(self) -> Self:
        """Meetings whose own rating and a visiting member's differ by a level or more, from
        the raw rows (``ratings_diverge`` is the same answer, kept)."""
        return self.filter(self_rating__gt="").filter(Exists(diverging_visits()))


class MeetingManager(models.Manager.from_queryset(MeetingQuerySet)):  # type: ignore[misc]
    def cells_missing_thematic(self, units: UnitQuerySet, day: datetime.date) -> UnitQuerySet:
        """The active cells among ``units`` with no thematic meeting held in ``day``'s quarter."""
        start, end = Period.QUARTER.bounds(day)
        thematic = self.filter(
            cell=OuterRef("pk"), kind=MeetingKind.THEMATIC, date__gte=start, date__lte=end
        ).held()
        return units.active().filter(level=Level.CELL).exclude(Exists(thematic))

    def plan_month(self, month: datetime.date, cells: Any = None) -> int:
        """Create the regular meetings of ``month`` from the cells' schedules; idempotent."""
        month = month_start(month)
        schedules = MeetingSchedule.objects.select_related("cell").filter(cell__is_active=True)
        if cells is not None:
            schedules = schedules.filter(cell__in=cells)
        planned = [
            Meeting(
                cell=schedule.cell,
                kind=MeetingKind.REGULAR,
                month=month,
                date=schedule.date_in(month),
                time=schedule.time,
                place=schedule.place,
            )
            for schedule in schedules
        ]
        before = self.filter(month=month, kind=MeetingKind.REGULAR).count()
        self.bulk_create(planned, ignore_conflicts=True, batch_size=2000)
        return self.filter(month=month, kind=MeetingKind.REGULAR).count() - before


class Meeting(models.Model):
    """One meeting of a party cell: the regular monthly one or a thematic one."""

    cell = models.ForeignKey(
        Unit,
        verbose_name=_("chi bộ"),
        on_delete=models.PROTECT,
        related_name="meetings",
        limit_choices_to={"level": Level.CELL},
    )
    kind = models.CharField(
        _("loại"), max_length=16, choices=MeetingKind.choices, default=MeetingKind.REGULAR
    )
    month = models.DateField(_("tháng"), help_text=_("Ngày đầu tháng mà buổi họp thuộc về."))
    date = models.DateField(_("ngày họp"))
    time = models.TimeField(_("giờ"), null=True, blank=True)
    place = models.CharField(_("địa điểm"), max_length=200, blank=True)
    topic = models.CharField(_("chủ đề"), max_length=255, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    original_date = models.DateField(_("ngày theo lịch"), null=True, blank=True)
    change_reason = models.CharField(_("lý do đổi/hủy"), max_length=255, blank=True)
    self_points = models.JSONField(_("điểm chi bộ tự chấm"), null=True, blank=True)
    self_total = models.PositiveSmallIntegerField(_("tổng điểm tự chấm"), null=True, blank=True)
    self_rating = models.CharField(
        _("chi bộ tự xếp loại"), max_length=16, choices=Rating.choices, blank=True
    )
    self_sheet = models.ForeignKey(
        "ScoreSheet",
        verbose_name=_("bảng chấm đã dùng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scored_meetings",
    )
    # Derived, never edited: whether a visiting member rated it otherwise than the cell did
    # (``with_diverging_ratings``), kept by ``visits.tallies`` with the rating summary, so the
    # quality report finds the few among a province's year of meetings without a semi-join.
    ratings_diverge = models.BooleanField(
        _("xếp loại khác với cấp ủy viên dự"), default=False, editable=False
    )

    objects = MeetingManager()
    history = HistoricalRecords(
        historical_queryset=scoped_history(MeetingQuerySet.unit_path_lookup)
    )

    class Meta:
        verbose_name = _("buổi sinh hoạt chi bộ")
        verbose_name_plural = _("buổi sinh hoạt chi bộ")
        ordering = ["date", "cell__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["cell", "month"],
                condition=Q(kind="regular"),
                name="meeting_one_regular_per_cell_month",
                violation_error_message=_("Chi bộ đã có buổi sinh hoạt thường kỳ trong tháng này."),
            )
        ]
        indexes = [
            models.Index(fields=["month", "cell"], name="meeting_month_idx"),
            # The quality report's few rows among a country's million meetings: the thematic
            # ones of a quarter, those a cell rated itself (Kém, or differently from a visitor).
            models.Index(
                fields=["date"], condition=Q(kind="thematic"), name="meeting_thematic_idx"
            ),
            models.Index(
                fields=["self_rating", "date"],
                condition=Q(self_rating__gt=""),
                name="meeting_self_rated_idx",
            ),
            models.Index(
                fields=["date"], condition=Q(ratings_diverge=True), name="meeting_diverging_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cell} — {self.date:%d/%m/%Y}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.date and not self.month:
            self.month = month_start(self.date)
        super().save(*args, **kwargs)

    @property
    def rights_unit(self) -> Unit:
        """Where a right must hold to act on this row (``accounts.rights.may``)."""
        return self.cell

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED

    def clean(self) -> None:
        if self.cell_id and self.cell.level != Level.CELL:
            raise ValidationError({"cell": _("Buổi sinh hoạt phải thuộc một chi bộ.")})
        if self.date and self.month and month_start(self.date) != self.month:
            raise ValidationError(
                {
                    "date": _("Ngày họp phải nằm trong tháng %(month)s.")
                    % {"month": f"{self.month:%m/%Y}"}
                }
            )


class ScoreSheet(InForce):
    """The scoring sheet of a cell meeting: criteria with points, and the rating thresholds.

    A province may keep its own sheets; those without a province are the default. A meeting is
    scored with the sheet in force on its date, and a sheet that has scored a meeting is not
    changed any more (``is_used``): a new rule is a new sheet from a day on.
    """

    name = models.CharField(_("tên"), max_length=200)
    province = models.ForeignKey(
        Unit,
        verbose_name=_("tỉnh áp dụng"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        limit_choices_to={"level": Level.PROVINCE},
        related_name="score_sheets",
        help_text=_("Để trống: bảng mặc định cho mọi tỉnh chưa có bảng riêng."),
    )
    basis = models.CharField(
        _("căn cứ"), max_length=200, blank=True, help_text=_("Ví dụ: Hướng dẫn 42-HD/BTCTW")
    )
    good_min = models.PositiveSmallIntegerField(_("điểm tối thiểu loại Tốt"), default=90)
    fair_min = models.PositiveSmallIntegerField(_("điểm tối thiểu loại Khá"), default=70)
    average_min = models.PositiveSmallIntegerField(_("điểm tối thiểu loại Trung bình"), default=50)

    objects = ProvinceRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("bảng chấm điểm sinh hoạt chi bộ")
        verbose_name_plural = _("bảng chấm điểm sinh hoạt chi bộ")
        constraints = [
            models.UniqueConstraint(
                Coalesce("province", Value(0)),
                Coalesce("valid_from", Value(datetime.date.min)),
                name="sheet_unique_from",
            ),
            models.CheckConstraint(
                condition=Q(good_min__gt=F("fair_min")) & Q(fair_min__gt=F("average_min")),
                name="sheet_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def for_unit(cls, unit: Unit, on: datetime.date | None = None) -> ScoreSheet:
        """The sheet in force on ``on`` (today by default) of the province ``unit`` lies in,
        else the default sheet in force that day."""
        sheets = (
            cls.objects.in_force(on or local_today()).applying_to(unit).prefetch_related("criteria")
        )
        # The province's own first; of two in force, the one that took effect last.
        return min(
            sheets,
            key=lambda sheet: (
                sheet.province_id is None,
                -(sheet.valid_from or datetime.date.min).toordinal(),
            ),
        )

    def is_used(self) -> bool:
        """Whether a meeting has been scored with this sheet (by a visiting member or by the
        cell itself): its criteria and thresholds then stay as they were."""
        return self.scored_visits.exists() or self.scored_meetings.exists()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and self._rules_changed() and self.is_used():
            raise ValidationError(USED_SHEET_MESSAGE)
        super().save(*args, **kwargs)

    def _rules_changed(self) -> bool:
        stored = ScoreSheet.objects.filter(pk=self.pk).values(*RULE_FIELDS).first()
        return stored is not None and any(stored[f] != getattr(self, f) for f in RULE_FIELDS)

    def evaluate(self, points: Mapping[str, int]) -> tuple[int, Rating]:
        """Total and rating of a filled sheet; refuses points outside a criterion's range."""
        criteria = list(self.criteria.all())
        errors = {}
        for criterion in criteria:
            value = points.get(criterion.code)
            if value is None or not 0 <= value <= criterion.max_points:
                errors[f"score_{criterion.code}"] = _("“%(name)s”: từ 0 đến %(max)s điểm.") % {
                    "name": criterion.name,
                    "max": criterion.max_points,
                }
        unknown = set(points) - {c.code for c in criteria}
        if unknown:
            errors["score"] = _("Tiêu chí không có trong bảng: %(codes)s") % {
                "codes": ", ".join(sorted(unknown))
            }
        if errors:
            raise ValidationError(errors)
        total = sum(points[c.code] for c in criteria)
        all_full = all(points[c.code] == c.max_points for c in criteria if c.must_be_full)
        if total >= self.good_min and all_full:
            return total, Rating.GOOD
        if total >= self.fair_min:
            return total, Rating.FAIR
        if total >= self.average_min:
            return total, Rating.AVERAGE
        return total, Rating.POOR


ALREADY_LOGGED_MESSAGE = _("Bạn đã ghi nhận buổi sinh hoạt này rồi.")
REPLAY_CONFLICT_MESSAGE = _("Mã gửi này đã dùng cho một bản ghi khác nội dung: %(fields)s.")


def _sha256(file: Any) -> str | None:
    """The digest of an uploaded or stored file's bytes; None for no file."""
    if not file:
        return None
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


RULE_FIELDS = ("good_min", "fair_min", "average_min", "valid_from")
USED_SHEET_MESSAGE = _(
    "Bảng đã dùng để chấm điểm, không sửa được: hãy cho bảng này hết hiệu lực và tạo bảng mới "
    "có hiệu lực từ ngày áp dụng."
)


class Criterion(models.Model):
    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(_("mã"), max_length=32)
    name = models.CharField(_("tiêu chí"), max_length=255)
    max_points = models.PositiveSmallIntegerField(_("điểm tối đa"))
    must_be_full = models.BooleanField(_("phải đạt điểm tối đa để xếp loại Tốt"), default=False)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("tiêu chí chấm điểm")
        verbose_name_plural = _("tiêu chí chấm điểm")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "code"], name="criterion_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.max_points})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.sheet.is_used():
            raise ValidationError(USED_SHEET_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.sheet.is_used():
            raise ValidationError(USED_SHEET_MESSAGE)
        return super().delete(*args, **kwargs)


class VisitKind(models.TextChoices):
    MEETING = "meeting", _("Dự sinh hoạt chi bộ")
    FIELD = "field", _("Đi cơ sở")


class FieldVisitType(models.TextChoices):
    INSPECTION = "inspection", _("Kiểm tra")
    FACT_FINDING = "fact_finding", _("Nắm tình hình")
    DIALOGUE = "dialogue", _("Đối thoại")


class VisitStatus(models.TextChoices):
    DRAFT = "draft", _("Nháp")
    SUBMITTED = "submitted", _("Chờ duyệt")
    ACCEPTED = "accepted", _("Đã duyệt")
    RETURNED = "returned", _("Bị trả lại")

    @classmethod
    def editable(cls) -> list[str]:
        return [cls.DRAFT, cls.RETURNED]


class VisitQuerySet(ScopedQuerySet):
    owner_lookup = "member"

    def as_rows(self) -> Self:
        """The visits as the portal's lists show them: date, kind, status, rating, the
        review's comment, the member's name, the unit and its parent's name. Only those
        columns are selected: ``select_related`` alone reads every column of the four tables
        (56 to 82), and Django's compiling and loading of them cost more than the SQL (in
        process: ``/my/`` 19–21 → 15–16 ms, Hà Nội's ``/visits/`` 29 → 25–28 ms)."""
        return self.select_related("member", "unit", "unit__parent").only(
            "date", "kind", "status", "rating", "review_comment", "member", "unit", "meeting",
            *name_fields("member"), "unit__name", "unit__code", "unit__parent__name",
        )  # fmt: skip

    def logged(self) -> Self:
        """Visits the member has sent (submitted, accepted, or sent back for changes)."""
        return self.exclude(status=VisitStatus.DRAFT)

    def awaiting_review_by(self, reviewer: Any) -> Self:
        """Submitted visits of others that ``reviewer`` sees and may review: within the
        subtrees of the positions that give them the right, not all of their working tenant."""
        waiting = (
            self.visible_to(reviewer).filter(status=VisitStatus.SUBMITTED).exclude(member=reviewer)
        )
        if reviewer.is_superuser:
            return waiting
        return waiting.within(*units_where(reviewer, "visits.review_visit"))


class Visit(models.Model):
    """A member's record of attending a cell meeting, or of a field visit, and its review."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cấp ủy viên"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ghi"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Khác cấp ủy viên khi văn phòng ghi thay."),
    )
    kind = models.CharField(_("loại"), max_length=16, choices=VisitKind.choices)
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("buổi sinh hoạt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="visits"
    )
    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("theo phân công"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="visits",
        help_text=_("Phân công phụ trách mà lần dự này được tính vào."),
    )
    date = models.DateField(_("ngày"))
    field_type = models.CharField(
        _("hình thức"), max_length=16, choices=FieldVisitType.choices, blank=True
    )
    members_present = models.PositiveSmallIntegerField(_("đảng viên có mặt"), null=True, blank=True)
    members_total = models.PositiveSmallIntegerField(_("tổng số đảng viên"), null=True, blank=True)
    findings = models.TextField(_("nhận xét, tình hình nắm được"), blank=True)
    recommendations = models.TextField(_("kiến nghị, đề xuất"), blank=True)
    follow_up_needed = models.BooleanField(_("cần theo dõi tiếp"), default=False)
    attachment = AttachmentField(
        _("ảnh hoặc biên bản"),
        upload_to="visits/%Y/%m/",
        blank=True,
    )
    score_points = models.JSONField(_("điểm chấm"), null=True, blank=True)
    score_total = models.PositiveSmallIntegerField(_("tổng điểm"), null=True, blank=True)
    score_sheet = models.ForeignKey(
        "ScoreSheet",
        verbose_name=_("bảng chấm đã dùng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scored_visits",
    )
    rating = models.CharField(_("xếp loại"), max_length=16, choices=Rating.choices, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người duyệt"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("duyệt lúc"), null=True, blank=True)
    # Judged once, when accepted, under the closing day then in force: a later change of the
    # setting does not rewrite whether last year's visits were on time.
    accepted_late = models.BooleanField(_("duyệt sau khi khóa sổ tháng"), default=False)
    review_comment = models.TextField(_("ý kiến người duyệt"), blank=True)
    client_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisitQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        historical_queryset=scoped_history(VisitQuerySet.unit_path_lookup),
    )

    class Meta:
        verbose_name = _("lần dự/đi cơ sở")
        verbose_name_plural = _("lần dự/đi cơ sở")
        ordering = ["-date", "-pk"]
        permissions = [
            ("review_visit", _("Duyệt các lần dự sinh hoạt, đi cơ sở")),
            ("log_visit_on_behalf", _("Ghi thay cấp ủy viên")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "meeting"],
                condition=Q(meeting__isnull=False),
                name="visit_one_per_member_and_meeting",
                violation_error_message=ALREADY_LOGGED_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(kind="field") | Q(meeting__isnull=False),
                name="visit_meeting_kind_has_meeting",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "date"], name="visit_status_idx"),
            models.Index(fields=["member", "date"], name="visit_member_idx"),
            models.Index(fields=["assignment", "date"], name="visit_assignment_idx"),
            # Lists newest first, a page at a time by key (``oversight.paging``).
            models.Index(fields=["date", "id"], name="visit_date_idx"),
        ]

    # Where the visit was counted (assignment, unit, date, meeting): a save that moves it
    # recounts both places (``visits.tallies``).
    loaded_place: tuple[int | None, int | None, datetime.date | None, int | None] = (
        None,
        None,
        None,
        None,
    )

    def __str__(self) -> str:
        return f"{self.member} — {self.unit} — {self.date:%d/%m/%Y}"

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Visit:
        visit = super().from_db(db, field_names, values, **kwargs)
        known = visit.__dict__
        visit.loaded_place = (
            known.get("assignment_id"),
            known.get("unit_id"),
            known.get("date"),
            known.get("meeting_id"),
        )
        return visit

    @property
    def rights_unit(self) -> Unit:
        """Where a right must hold to act on this row (``accounts.rights.may``)."""
        return self.unit

    @property
    def is_editable(self) -> bool:
        return self.status in VisitStatus.editable()

    @property
    def is_on_behalf(self) -> bool:
        return self.logged_by_id != self.member_id

    def follow_meeting(self) -> None:
        """A visit to a meeting takes its cell and date from the meeting."""
        if self.kind == VisitKind.MEETING and self.meeting is not None:
            self.unit, self.date = self.meeting.cell, self.meeting.date

    def clean_fields(self, exclude: Any = None) -> None:
        self.follow_meeting()
        super().clean_fields(exclude)

    def clean(self) -> None:
        """The rules of a visit: the right shape, not in the future, within an assignment."""
        errors: dict[str, Any] = {}
        self.follow_meeting()
        if self.kind == VisitKind.MEETING:
            if self.meeting is None:
                errors["meeting"] = _("Hãy chọn buổi sinh hoạt đã dự.")
            else:
                if self.meeting.is_cancelled:
                    errors["meeting"] = _("Buổi sinh hoạt này đã bị hủy.")
        elif self.kind == VisitKind.FIELD:
            self.meeting = None
            if not self.field_type:
                errors["field_type"] = _(
                    "Hãy chọn hình thức: kiểm tra, nắm tình hình hay đối thoại."
                )
        if self.date and self.date > local_today():
            errors["date"] = _("Không ghi nhận trước một ngày chưa tới (%(date)s).") % {
                "date": f"{self.date:%d/%m/%Y}"
            }
        present, total = self.members_present, self.members_total
        if present is not None and total is not None and present > total:
            errors["members_present"] = _("Số có mặt không thể lớn hơn tổng số đảng viên.")
        if self.member_id and self.unit_id and self.date and "date" not in errors:
            # The most specific assignment in force that day is the one the visit answers to.
            self.assignment = (
                Assignment.objects.filter(member_id=self.member_id)
                .covering(self.unit)
                .open_on(self.date)
                .order_by("-unit__path")
                .first()
            )
            if self.assignment is None:
                errors["unit" if self.kind == VisitKind.FIELD else "meeting"] = _(
                    "Ngày %(date)s cấp ủy viên không được phân công phụ trách %(unit)s."
                ) % {"date": f"{self.date:%d/%m/%Y}", "unit": self.unit}
        if errors:
            raise ValidationError(errors)

    def closes_at(self) -> datetime.datetime:
        """When this visit's month closes: the end of the closing day of the following month."""
        end_of_day = datetime.datetime.combine(closing_day(self.date), datetime.time.max)
        return timezone.make_aware(end_of_day)

    def replay_differences(self, values: Mapping[str, Any]) -> list[str]:
        """The fields in which a record sent again under this visit's client id differs from
        it (none: the same record, landed already; ODK Central's rule). An ``attachment`` is
        compared by the SHA-256 of its bytes."""
        differing = []
        for name, value in values.items():
            stored = getattr(self, name)
            if name == "attachment":
                stored, value = _sha256(stored), _sha256(value)
            if stored != value:
                differing.append(name)
        return differing

    def apply_score(
        self, points: Mapping[str, int] | None, sheet: ScoreSheet | None = None
    ) -> None:
        """Record the visiting member's score of the meeting and derive its rating, with the
        sheet in force on its day (``sheet``, when the caller has it already)."""
        self.follow_meeting()
        if not points:
            self.score_points, self.score_total, self.rating = None, None, ""
            self.score_sheet = None
            return
        sheet = sheet or ScoreSheet.for_unit(self.unit, on=self.date)
        total, rating = sheet.evaluate(points)
        self.score_points, self.score_total, self.rating = dict(points), total, rating
        self.score_sheet = sheet


class ReminderKind(models.TextChoices):
    UPCOMING_MEETING = "upcoming_meeting", _("Sắp đến buổi sinh hoạt chi bộ")
    MONTH_CLOSING = "month_closing", _("Sắp khóa sổ tháng, chưa đủ định mức")
    ESCALATION = "escalation", _("Đã khóa sổ: cấp ủy viên chưa đủ định mức")
    RETURNED_VISIT = "returned_visit", _("Ghi nhận bị trả lại")
    WEEKLY_DIGEST = "weekly_digest", _("Tổng hợp hằng tuần cho văn phòng")
    TASK_DEADLINE = "task_deadline", _("Việc đột phá sắp đến hạn")
    TASK_NO_PROGRESS = "task_no_progress", _("Việc đột phá lâu chưa báo cáo tiến độ")
    TASK_OVERDUE = "task_overdue", _("Việc đột phá quá hạn")

    @classmethod
    def mandatory(cls) -> list[str]:
        """Kinds a person cannot stop: office staff must hear about members left short."""
        return [cls.ESCALATION]


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Gửi lỗi")
    CANCELLED = "cancelled", _("Đã dừng")


class Reminder(models.Model):
    """One reminder to one person about one thing: planned once, sent once.

    ``subject`` names what it is about and the period (``meeting:42``, ``closing:2026-11``,
    ``visit:7:returned:3``); the unique constraint makes planning idempotent.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    kind = models.CharField(_("loại"), max_length=32, choices=ReminderKind.choices)
    subject = models.CharField(_("về việc"), max_length=100)
    context = models.JSONField(_("nội dung"), default=dict, blank=True)
    status = models.CharField(
        _("trạng thái"),
        max_length=16,
        choices=ReminderStatus.choices,
        default=ReminderStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("số lần thử"), default=0)
    claimed_at = models.DateTimeField(_("nhận gửi lúc"), null=True, blank=True)
    sent_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nhắc việc")
        verbose_name_plural = _("nhắc việc")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject"], name="reminder_once_per_subject"
            )
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="reminder_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.subject})"

    @property
    def message_id(self) -> str:
        """The email's Message-ID: the same for every attempt, so a re-send is recognisable."""
        return f"<reminder-{self.pk}@oversight.portal>"


class ReminderOptOut(models.Model):
    """A person who asked not to receive one kind of reminder."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_opt_outs"
    )
    kind = models.CharField(_("loại"), max_length=32, choices=ReminderKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("từ chối nhắc việc")
        verbose_name_plural = _("từ chối nhắc việc")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="opt_out_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"


class OutboxMessage(models.Model):
    """An email as the portal's own outbox keeps it (embedded mode and tests): readable by
    the administrator in the portal, one per Message-ID."""

    message_id = models.CharField(max_length=200, unique=True)
    to = models.TextField(_("người nhận"))
    subject = models.CharField(_("tiêu đề"), max_length=255)
    body = models.TextField(_("nội dung"))
    html = models.TextField(_("nội dung HTML"), blank=True)
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("thư trong hộp thư đi")
        verbose_name_plural = _("hộp thư đi")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class SummaryQuerySet(ScopedQuerySet):
    """The summaries' rows (``AttendanceTally``, ``RatingTally``), each of one unit."""

    def of_units_within(self, *units: Unit) -> Self:
        """The rows of the units in these subtrees, named by id (one array the database
        builds, ``__any``): for a province PostgreSQL then walks the index that leads with the
        unit instead of scanning the months' summary of the whole country to join it to the
        province's units (Hà Nội's attendance of a year 105 → 45 ms, its Kém ratings 34 →
        17 ms). Narrows ``within(*units)`` to the same rows."""
        return self.filter(unit_id__any=Unit.objects.within(*units).values("pk"))


class AttendanceTallyQuerySet(SummaryQuerySet):
    owner_lookup = "member"

    def in_columns(self, first: datetime.date, last: datetime.date) -> Self:
        """The periods that end in the months ``first`` … ``last`` (first days of months)."""
        return self.filter(column__gte=first, column__lte=last)


class AttendanceTally(models.Model):
    """One assignment's due period under the policy that judges it, with the meeting visits
    counted in it: the summary the compliance report reads instead of a million visits.

    Derived data, never edited: ``visits.tallies`` keeps it in the transaction of every write
    to the rows it comes from (visits, assignments, positions, policies) and rebuilds it from
    them (``manage.py rebuild_tallies``). A period whose policy asks nothing, or that the
    assignment did not cover for at least half, has no row. The counts are not capped: the
    report caps each row at ``required``, so two visits to one commune never make up for none
    in another.
    """

    # No index of their own on the three keys: the unique constraint and the (unit, column) and
    # (member, column) indexes lead with them, and every summary row written pays for each index.
    # The member and the unit are the assignment's, copied for the reports' indexes: the
    # assignment's own keys already guard them, so the database checks only the assignment's
    # (each key checked costs every row written: 10,000 imported assignments write 260,000).
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="tallies", db_index=False
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    period = models.CharField(max_length=8, choices=Period.choices)
    start = models.DateField()
    end = models.DateField()
    # The first day of the month the period ends in: the report's column, and the month
    # whose closing day closes the period.
    column = models.DateField()
    required = models.PositiveIntegerField()
    logged = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    objects = AttendanceTallyQuerySet.as_manager()

    class Meta:
        verbose_name = _("tổng hợp dự sinh hoạt theo kỳ")
        verbose_name_plural = _("tổng hợp dự sinh hoạt theo kỳ")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "period", "start"], name="tally_one_per_period"
            )
        ]
        indexes = [
            models.Index(fields=["column", "unit"], name="tally_column_idx"),
            models.Index(fields=["unit", "column"], name="tally_unit_idx"),
            models.Index(fields=["member", "column"], name="tally_member_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.assignment_id} {self.period} {self.start:%d/%m/%Y}: "
            f"{self.logged}/{self.required}"
        )


class TallyRefreshQuerySet(models.QuerySet):
    def pending(self) -> Self:
        return self.filter(finished_at__isnull=True)

    def pending_over(self, root: Unit | None) -> bool:
        """Whether a refresh still under way touches the units under ``root`` (the whole
        country for ``None``): one for the whole country, for a province above or below it."""
        pending = self.pending()
        if root is None:
            return pending.exists()
        return pending.filter(
            Q(province__isnull=True)
            | Q(province__path__startswith=root.path)
            | Q(province__path__in=root.ancestor_paths())
        ).exists()


class TallyRefresh(models.Model):
    """A recount of the attendance summary asked for and not yet finished: a change to a
    policy that judges more assignments than a request may recount
    (``TALLY_REFRESH_IN_REQUEST``; a default row judges the whole country) is recounted by a
    task (``visits.tasks.finish_tally_refreshes``), and the compliance report says its figures
    may still follow the old policy until then."""

    province = models.ForeignKey(
        Unit, verbose_name=_("tỉnh"), null=True, blank=True, on_delete=models.CASCADE
    )
    requested_at = models.DateTimeField(_("yêu cầu lúc"), auto_now_add=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    objects = TallyRefreshQuerySet.as_manager()

    class Meta:
        verbose_name = _("tính lại tổng hợp dự sinh hoạt")
        verbose_name_plural = _("tính lại tổng hợp dự sinh hoạt")
        indexes = [
            models.Index(
                fields=["requested_at"],
                condition=Q(finished_at__isnull=True),
                name="tally_refresh_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.province or _('Cả nước')}: {self.requested_at:%d/%m/%Y %H:%M}"


class RatingTally(models.Model):
    """How many visiting members rated a cell's regular meetings of a month, by rating: the
    summary the quality report reads. Derived data, kept and rebuilt with ``AttendanceTally``
    (``visits.tallies``)."""

    # Its own index would repeat the unique constraint's, which leads with it.
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    rating = models.CharField(max_length=16, choices=Rating.choices)
    visits = models.PositiveIntegerField()

    objects = SummaryQuerySet.as_manager()

    class Meta:
        verbose_name = _("tổng hợp xếp loại sinh hoạt theo tháng")
        verbose_name_plural = _("tổng hợp xếp loại sinh hoạt theo tháng")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month", "rating"], name="rating_tally_once")
        ]
        indexes = [models.Index(fields=["month", "rating"], name="rating_tally_month_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%m/%Y} {self.rating}: {self.visits}"
