"""Who oversees what: a committee member is assigned to a unit and thereby to its subtree."""

from __future__ import annotations

import datetime
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import name_fields
from oversight.clock import local_today
from oversight.models import Level, ScopedQuerySet, Unit, scoped_history
from oversight.uploads import AttachmentField

#: Sent with the ids of assignments written without ``save()`` (a bulk import): what is kept
#: from them above this app (the attendance summary, ``visits.tallies``) follows.
assignments_written = Signal()


class AssignmentKind(models.TextChoices):
    IN_CHARGE = "in_charge", _("Phụ trách")
    MONITOR = "monitor", _("Theo dõi")


def in_force_between(start: datetime.date, end: datetime.date, prefix: str = "") -> Q:
    """That an assignment (reached from another row by ``prefix``, e.g. ``"assignment__"``)
    was in force on at least one day of ``start`` … ``end``."""
    return Q(**{f"{prefix}start_date__lte": end}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": start})
    )


class AssignmentQuerySet(ScopedQuerySet):
    owner_lookup = "member"

    def as_rows(self) -> Self:
        """The assignments as lists show them (member's name, kind, unit, dates), with only
        those columns selected (see ``VisitQuerySet.as_rows``)."""
        return self.select_related("member", "unit").only(
            "kind", "start_date", "end_date", "member", "unit",
            *name_fields("member"), "unit__name", "unit__code",
        )  # fmt: skip

    def open_on(self, day: datetime.date | None = None) -> Self:
        """Assignments in force on ``day`` (today by default)."""
        day = day or local_today()
        return self.filter(Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gte=day))

    def overlapping(self, start: datetime.date, end: datetime.date) -> Self:
        """Assignments in force on at least one day of ``start`` … ``end``."""
        return self.filter(in_force_between(start, end))

    def covering(self, unit: Unit) -> Self:
        """Assignments to ``unit`` or to a unit above it: assigned to a commune covers its cells."""
        return self.filter(unit__path__in=unit.ancestor_paths())


class Assignment(models.Model):
    """A member is put in charge of (or asked to monitor) a unit for a term."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cấp ủy viên"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("địa bàn"), on_delete=models.PROTECT, related_name="assignments"
    )
    term = models.ForeignKey("oversight.Term", verbose_name=_("nhiệm kỳ"), on_delete=models.PROTECT)
    kind = models.CharField(
        _("hình thức"),
        max_length=16,
        choices=AssignmentKind.choices,
        default=AssignmentKind.IN_CHARGE,
    )
    start_date = models.DateField(_("từ ngày"))
    end_date = models.DateField(_("đến ngày"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người phân công"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("ghi chú"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()
    history = HistoricalRecords(
        historical_queryset=scoped_history(AssignmentQuerySet.unit_path_lookup)
    )

    class Meta:
        verbose_name = _("phân công")
        verbose_name_plural = _("phân công")
        ordering = ["unit__path", "start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "unit"],
                condition=Q(end_date__isnull=True),
                name="assignment_one_open_per_member_and_unit",
                violation_error_message=_("Cấp ủy viên này đang được phân công tại địa bàn này."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_date_range",
            ),
        ]
        indexes = [models.Index(fields=["member", "end_date"], name="assignment_member_idx")]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_kind_display()} {self.unit}"

    @property
    def rights_unit(self) -> Unit:
        """Where a right must hold to act on this row (``accounts.rights.may``)."""
        return self.unit

    @property
    def is_open(self) -> bool:
        return self.end_date is None or self.end_date >= local_today()

    def in_force_during(self, start: datetime.date, end: datetime.date) -> bool:
        """``in_force_between`` for this row, without a query."""
        return self.start_date <= end and (self.end_date is None or self.end_date >= start)

    # The member's other assignments to the unit, when the caller has read them already (an
    # import checks thousands of rows against what it loaded once); None: ask the database.
    known_siblings: list[Assignment] | None = None

    def clashes(self) -> bool:
        """Whether another assignment of the member to the unit overlaps this one."""
        last = self.end_date or datetime.date.max
        if self.known_siblings is not None:
            return any(
                other is not self
                and (self.pk is None or other.pk != self.pk)
                and other.in_force_during(self.start_date, last)
                for other in self.known_siblings
            )
        return (
            Assignment.objects.filter(member_id=self.member_id, unit_id=self.unit_id)
            .overlapping(self.start_date, last)
            .exclude(pk=self.pk)
            .exists()
        )

    def clean(self) -> None:
        errors: dict[str, list[object]] = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors.setdefault("end_date", []).append(_("Ngày kết thúc phải sau ngày bắt đầu."))
        if self.unit_id and self.unit.level == Level.PROVINCE:
            errors.setdefault("unit", []).append(
                _("Phân công phụ trách xã, huyện hoặc chi bộ, không phải cả tỉnh.")
            )
        # A unit abolished by a reorganisation (or not formed yet) takes no new overseer.
        problem = (
            self.unit.lifetime_error(self.start_date) if self.unit_id and self.start_date else ""
        )
        if problem and not self.pk:
            errors.setdefault("unit", []).append(problem)
        if self.member_id and self.unit_id and self.start_date and self.clashes():
            errors.setdefault("unit", []).append(
                _("Cấp ủy viên này đã được phân công tại địa bàn này trong thời gian đó.")
            )
        if errors:
            raise ValidationError(errors)


class TaskKind(models.TextChoices):
    REGISTERED = "registered", _("Cán bộ đăng ký")
    COMMISSIONED = "commissioned", _("Ban Thường vụ đặt hàng")


class TaskStatus(models.TextChoices):
    PROPOSED = "proposed", _("Đề xuất")
    APPROVED = "approved", _("Đã phê duyệt")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    EXTENDED = "extended", _("Được gia hạn")
    DONE = "done", _("Hoàn thành")
    NOT_DONE = "not_done", _("Không hoàn thành")

    @classmethod
    def closed(cls) -> list[str]:
        return [cls.DONE, cls.NOT_DONE]


class TaskResult(models.TextChoices):
    COMPLETED = "completed", _("Hoàn thành")
    COMPLETED_LATE = "completed_late", _("Hoàn thành chậm")
    NOT_COMPLETED = "not_completed", _("Không hoàn thành")


class BreakthroughTaskQuerySet(ScopedQuerySet):
    """Scoped by the unit of the cadre responsible: a district sees its own cadres' tasks."""

    unit_path_lookup = "owner_unit__path"
    owner_lookup = "cadre"

    def open(self) -> Self:
        return self.exclude(status__in=TaskStatus.closed())

    def overdue(self, on: datetime.date | None = None) -> Self:
        return self.open().filter(deadline__lt=on or local_today())

    def due_soon(self, on: datetime.date | None = None) -> Self:
        """Open tasks not yet late whose deadline comes within the days the deadline reminder
        warns ahead (``REMINDER_DAYS_BEFORE_TASK_DEADLINE``)."""
        day = on or local_today()
        window = datetime.timedelta(days=settings.REMINDER_DAYS_BEFORE_TASK_DEADLINE)
        return self.open().filter(deadline__gte=day, deadline__lte=day + window)


class BreakthroughTask(models.Model):
    """A breakthrough task ("việc đột phá") or a commissioned one ("đặt hàng"), judged by result."""

    title = models.CharField(_("tên nhiệm vụ"), max_length=255)
    description = models.TextField(_("nội dung"), blank=True)
    kind = models.CharField(_("loại"), max_length=16, choices=TaskKind.choices)
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cán bộ chịu trách nhiệm"),
        on_delete=models.PROTECT,
        related_name="breakthrough_tasks",
    )
    position = models.ForeignKey(
        "accounts.Position",
        verbose_name=_("chức vụ của cán bộ"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị của cán bộ"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Nơi cán bộ giữ chức vụ; quyết định ai được xem nhiệm vụ."),
    )
    units = models.ManyToManyField(
        Unit, verbose_name=_("địa bàn liên quan"), blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("năm"))
    deadline = models.DateField(_("hạn hoàn thành"))
    expected_result = models.TextField(_("sản phẩm cần đạt"))
    target = models.CharField(_("chỉ tiêu đo được"), max_length=255, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.PROPOSED
    )
    decision_number = models.CharField(_("số quyết định"), max_length=64, blank=True)
    decision_date = models.DateField(_("ngày quyết định"), null=True, blank=True)
    decision_file = AttachmentField(
        _("bản quyết định"),
        upload_to="tasks/decisions/%Y/",
        blank=True,
    )
    result = models.CharField(_("kết quả"), max_length=16, choices=TaskResult.choices, blank=True)
    evaluation = models.TextField(_("nhận xét đánh giá"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BreakthroughTaskQuerySet.as_manager()
    history = HistoricalRecords(
        historical_queryset=scoped_history(BreakthroughTaskQuerySet.unit_path_lookup)
    )

    class Meta:
        verbose_name = _("nhiệm vụ đột phá")
        verbose_name_plural = _("nhiệm vụ đột phá")
        ordering = ["year", "deadline", "pk"]
        permissions = [("evaluate_task", _("Phê duyệt, gia hạn, đánh giá nhiệm vụ đột phá"))]

    def __str__(self) -> str:
        return self.title

    @property
    def rights_unit(self) -> Unit:
        """Where a right must hold to act on this row (``accounts.rights.may``)."""
        return self.owner_unit

    @property
    def is_closed(self) -> bool:
        return self.status in TaskStatus.closed()

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.deadline < local_today()

    @property
    def latest_percent(self) -> int:
        reports = list(self.progress_reports.all())
        return max((r.percent for r in reports), default=0)


#: a progress report, milestone or extension request belongs where its task does
TASK_RECORD_UNIT_PATH = f"task__{BreakthroughTaskQuerySet.unit_path_lookup}"


class TaskProgress(models.Model):
    """A progress report by the cadre: how far, what was done, the evidence."""

    task = models.ForeignKey(
        BreakthroughTask, on_delete=models.CASCADE, related_name="progress_reports"
    )
    date = models.DateField(_("ngày"))
    percent = models.PositiveSmallIntegerField(
        _("tiến độ (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    narrative = models.TextField(_("kết quả đạt được"))
    evidence = AttachmentField(
        _("minh chứng"),
        upload_to="tasks/evidence/%Y/",
        blank=True,
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(historical_queryset=scoped_history(TASK_RECORD_UNIT_PATH))

    class Meta:
        verbose_name = _("báo cáo tiến độ")
        verbose_name_plural = _("báo cáo tiến độ")
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"{self.task}: {self.percent}%"


class TaskMilestone(models.Model):
    """A step on the way, with its date; marked done when reached."""

    task = models.ForeignKey(BreakthroughTask, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("mốc"), max_length=255)
    due_date = models.DateField(_("hạn"))
    done_on = models.DateField(_("hoàn thành ngày"), null=True, blank=True)

    history = HistoricalRecords(historical_queryset=scoped_history(TASK_RECORD_UNIT_PATH))

    class Meta:
        verbose_name = _("mốc tiến độ")
        verbose_name_plural = _("mốc tiến độ")
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.title


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Chờ quyết định")
    APPROVED = "approved", _("Đồng ý")
    REFUSED = "refused", _("Không đồng ý")


class ExtensionRequest(models.Model):
    task = models.ForeignKey(BreakthroughTask, on_delete=models.CASCADE, related_name="extensions")
    new_deadline = models.DateField(_("hạn mới đề nghị"))
    reason = models.TextField(_("lý do"))
    status = models.CharField(
        _("trạng thái"),
        max_length=16,
        choices=ExtensionStatus.choices,
        default=ExtensionStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(_("ý kiến"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(historical_queryset=scoped_history(TASK_RECORD_UNIT_PATH))

    class Meta:
        verbose_name = _("đề nghị gia hạn")
        verbose_name_plural = _("đề nghị gia hạn")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.task}: {self.new_deadline:%d/%m/%Y}"
