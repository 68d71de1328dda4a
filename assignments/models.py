"""Who oversees what: a committee member is assigned to a unit and thereby to its subtree."""

from __future__ import annotations

import datetime
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from oversight.models import Level, ScopedQuerySet, Unit


class AssignmentKind(models.TextChoices):
    IN_CHARGE = "in_charge", _("Phụ trách")
    MONITOR = "monitor", _("Theo dõi")


class AssignmentQuerySet(ScopedQuerySet):
    owner_lookup = "member"

    def open_on(self, day: datetime.date | None = None) -> Self:
        """Assignments in force on ``day`` (today by default)."""
        day = day or timezone.localdate()
        return self.filter(Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gte=day))

    def overlapping(self, start: datetime.date, end: datetime.date) -> Self:
        """Assignments in force on at least one day of ``start`` … ``end``."""
        return self.filter(
            Q(start_date__lte=end), Q(end_date__isnull=True) | Q(end_date__gte=start)
        )

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
    history = HistoricalRecords()

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
    def is_open(self) -> bool:
        return self.end_date is None or self.end_date >= timezone.localdate()

    def clean(self) -> None:
        errors: dict[str, list[object]] = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors.setdefault("end_date", []).append(_("Ngày kết thúc phải sau ngày bắt đầu."))
        if self.unit_id and self.unit.level == Level.PROVINCE:
            errors.setdefault("unit", []).append(
                _("Phân công phụ trách xã, huyện hoặc chi bộ, không phải cả tỉnh.")
            )
        if self.member_id and self.unit_id and self.start_date:
            clash = (
                Assignment.objects.filter(member_id=self.member_id, unit_id=self.unit_id)
                .overlapping(self.start_date, self.end_date or datetime.date.max)
                .exclude(pk=self.pk)
            )
            if clash.exists():
                errors.setdefault("unit", []).append(
                    _("Cấp ủy viên này đã được phân công tại địa bàn này trong thời gian đó.")
                )
        if errors:
            raise ValidationError(errors)
