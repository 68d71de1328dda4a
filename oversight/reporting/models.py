"""The register of documents issued (sổ văn bản đi) and the counters that number them.

An issued document is never changed: its files and their checksums are written once, in the
transaction that takes its number, and a correction is a new document, with a new number, that
names the one it replaces. Numbers run from 01 for each kind of document (its type code, "BC")
within a committee's term (36-HD/VPTW) and are never reused.
"""

from __future__ import annotations

import hashlib
from typing import Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from oversight.models import ScopedQuerySet, Term, Unit, scoped_history
from oversight.reporting.documents.layout import reference


class DocumentKind(models.TextChoices):
    ATTENDANCE_REPORT = "attendance_report", _("Báo cáo kết quả cấp ủy viên dự sinh hoạt chi bộ")
    TASKS_REPORT = "tasks_report", _("Báo cáo kết quả thực hiện việc đột phá, đặt hàng")
    REGISTER = "register", _("Sổ theo dõi dự sinh hoạt chi bộ")
    SCORE_SHEET = "score_sheet", _("Phiếu đánh giá chất lượng sinh hoạt chi bộ")

    @classmethod
    def issued(cls) -> list[DocumentKind]:
        """The kinds that are numbered and issued: the reports. A register and a score sheet
        are forms the office prints, with no number of their own."""
        return [cls.ATTENDANCE_REPORT, cls.TASKS_REPORT]


class DocumentCounter(models.Model):
    """The last number given to a kind of document by a committee within a term; locked while
    the next one is taken, so two offices issuing at once get two numbers."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+")
    type_code = models.CharField(max_length=8)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "term", "type_code"], name="document_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type_code}/{self.unit_id}/{self.term_id}: {self.last}"


class IssuedDocumentQuerySet(ScopedQuerySet):
    def matching(self, kind: str = "", year: int | None = None, unit: Unit | None = None) -> Self:
        """The register narrowed to a kind, a year of issue and an issuing committee (each
        left out when not given)."""
        documents = self
        if kind:
            documents = documents.filter(kind=kind)
        if year:
            documents = documents.filter(issued_on__year=year)
        if unit is not None:
            documents = documents.filter(unit=unit)
        return documents


class IssuedDocument(models.Model):
    """A document issued by a committee: its number, what it is about, who issued it, and its
    DOCX and PDF as they went out, with their SHA-256."""

    unit = models.ForeignKey(
        Unit,
        verbose_name=_("cấp ủy ban hành"),
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    term = models.ForeignKey(Term, verbose_name=_("nhiệm kỳ"), on_delete=models.PROTECT)
    kind = models.CharField(_("loại văn bản"), max_length=32, choices=DocumentKind.choices)
    type_code = models.CharField(_("ký hiệu loại"), max_length=8)
    number = models.PositiveIntegerField(_("số"))
    symbol = models.CharField(_("ký hiệu cơ quan"), max_length=8)
    subject = models.CharField(_("trích yếu"), max_length=255)
    period_start = models.DateField(_("từ ngày"), null=True, blank=True)
    period_end = models.DateField(_("đến ngày"), null=True, blank=True)
    issued_on = models.DateField(_("ngày ban hành"))
    signer = models.CharField(_("người ký"), max_length=200)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ban hành"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("ban hành lúc"), auto_now_add=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("thay thế văn bản"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
    )
    docx = models.FileField(_("tệp DOCX"), upload_to="documents/")
    pdf = models.FileField(_("tệp PDF"), upload_to="documents/")
    docx_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)

    objects = IssuedDocumentQuerySet.as_manager()
    history = HistoricalRecords(
        historical_queryset=scoped_history(IssuedDocumentQuerySet.unit_path_lookup)
    )

    class Meta:
        verbose_name = _("văn bản đã ban hành")
        verbose_name_plural = _("sổ văn bản đi")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "term", "type_code", "number"], name="issued_document_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError(LOCKED_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError(LOCKED_MESSAGE)

    @property
    def reference(self) -> str:
        """The number and symbol as printed: "Số 05-BC/TU"."""
        return reference(self.number, self.type_code, self.symbol)

    def content(self, file_format: str) -> bytes:
        """The bytes of the issued file, refused if they are not the ones issued."""
        stored, digest = (
            (self.pdf, self.pdf_sha256) if file_format == "pdf" else (self.docx, self.docx_sha256)
        )
        with stored.open("rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != digest:
            raise ValidationError(TAMPERED_MESSAGE % {"reference": self.reference})
        return data


LOCKED_MESSAGE = _(
    "Văn bản đã ban hành không sửa, không xóa được; muốn sửa, hãy ban hành văn bản thay thế."
)
TAMPERED_MESSAGE = _("Tệp của văn bản %(reference)s không còn như khi ban hành.")
