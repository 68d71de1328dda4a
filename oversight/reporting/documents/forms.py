"""What a document is about and who signs it, as the office fills it in before previewing."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from oversight.clock import local_today
from oversight.http import unit_or_404
from oversight.models import Level, Unit
from oversight.reporting.documents.content import Request, SignOff, Span, default_sign_off
from oversight.reporting.documents.layout import Signature, nfc
from oversight.reporting.models import DocumentKind, IssuedDocument
from oversight.reporting.reports import default_root
from visits.models import Meeting

SPANS = [("quarter", _("Quý")), ("half", _("6 tháng")), ("year", _("Năm"))]
PARTS = {"quarter": 4, "half": 2, "year": 1}
COMMITTEE_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
MAX_RECIPIENTS = 20


class DocumentForm(forms.Form):
    """The committee (a unit's code in the person's scope), the period, and the sign-off:
    the date, on whose behalf, the signer's title and name, the recipients one per line."""

    unit = forms.CharField(label=_("Cấp ủy (mã đơn vị)"), required=False, max_length=32)
    span = forms.ChoiceField(label=_("Kỳ báo cáo"), choices=SPANS, required=False)
    part = forms.TypedChoiceField(
        label=_("Quý / nửa năm thứ"),
        choices=[(n, str(n)) for n in range(1, 5)],
        coerce=int,
        required=False,
    )
    year = forms.IntegerField(label=_("Năm"), min_value=2000, max_value=2100)
    member = forms.ModelChoiceField(
        label=_("Cấp ủy viên"), queryset=User.objects.none(), required=False
    )
    date = forms.DateField(
        label=_("Ngày văn bản"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    on_behalf = forms.CharField(label=_("Thay mặt"), max_length=100, required=False)
    signer_title = forms.CharField(label=_("Chức vụ người ký"), max_length=100)
    signer_name = forms.CharField(label=_("Họ và tên người ký"), max_length=200)
    recipients = forms.CharField(
        label=_("Nơi nhận (mỗi dòng một nơi)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )
    replaces = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: User, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.kind = user, kind
        if kind != DocumentKind.ATTENDANCE_REPORT:
            del self.fields["span"], self.fields["part"]
        if kind == DocumentKind.REGISTER:
            member = self.fields["member"]
            assert isinstance(member, forms.ModelChoiceField)
            member.queryset = (
                User.objects.visible_to(user).filter(assignments__isnull=False).distinct()
            )
            member.required = True
        else:
            del self.fields["member"]
        if kind not in DocumentKind.issued():
            del self.fields["replaces"]
        if kind == DocumentKind.SCORE_SHEET:  # the meeting gives the committee and the day
            del self.fields["unit"], self.fields["year"]
        for name, field in self.fields.items():
            if name != "replaces":
                field.widget.attrs.setdefault("class", "form-control")

    @classmethod
    def initial_for(
        cls,
        user: User,
        kind: str,
        unit: Unit | None,
        replaces: IssuedDocument | None = None,
    ) -> dict[str, Any]:
        """The form as it opens: the person's own committee, this year, the last quarter that
        has ended, today's date and the committee's secretary signing; to replace an issued
        document, its committee and period."""
        today = local_today()
        initial: dict[str, Any] = {"year": today.year, "date": today}
        quarter = (today.month - 1) // 3  # the last whole quarter
        initial.update(span="quarter", part=quarter or 4)
        if quarter == 0:
            initial["year"] = today.year - 1
        if replaces is not None:
            unit = replaces.unit
            initial["replaces"] = replaces.pk
            if replaces.period_start and replaces.period_end:
                initial.update(_span_of(replaces.period_start, replaces.period_end))
        unit = unit or default_root(user)
        if unit is not None and unit.level in COMMITTEE_LEVELS:
            initial["unit"] = unit.code
            sign_off = default_sign_off(unit, today)
            initial.update(
                on_behalf=sign_off.signature.on_behalf,
                signer_title=sign_off.signature.title,
                signer_name=sign_off.signature.name,
                recipients="\n".join(sign_off.recipients),
            )
        return initial

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data.get("unit", "").strip()
        if not code:
            root = default_root(self.user)
            if root is None:
                raise forms.ValidationError(_("Hãy nhập mã đơn vị của cấp ủy ban hành."))
            code = root.code
        unit = unit_or_404(Unit.objects.visible_to(self.user), code)
        if unit.level not in COMMITTEE_LEVELS:
            raise forms.ValidationError(
                _("“%(name)s” không phải một cấp ủy: chọn tỉnh, huyện hoặc xã."),
                params={"name": unit.name},
            )
        return unit

    def clean_recipients(self) -> list[str]:
        given = self.cleaned_data["recipients"].splitlines()
        lines = [nfc(line.strip().lstrip("-").strip()) for line in given]
        lines = [line for line in lines if line]
        if not lines:
            raise forms.ValidationError(_("Hãy ghi ít nhất một nơi nhận."))
        if len(lines) > MAX_RECIPIENTS:
            raise forms.ValidationError(_("Tối đa %(n)s nơi nhận."), params={"n": MAX_RECIPIENTS})
        return lines

    def clean_replaces(self) -> IssuedDocument | None:
        pk = self.cleaned_data.get("replaces")
        if pk is None:
            return None
        replaced = IssuedDocument.objects.visible_to(self.user).filter(pk=pk).first()
        if replaced is None:
            raise forms.ValidationError(_("Không có văn bản này trong phạm vi của bạn."))
        return replaced

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.kind == DocumentKind.ATTENDANCE_REPORT:
            span, part = cleaned.get("span") or "", cleaned.get("part")
            if not span:
                self.add_error("span", _("Hãy chọn kỳ báo cáo."))
            elif span == "year":
                cleaned["part"] = 1
            elif part is None or part > PARTS[span]:
                self.add_error(
                    "part",
                    _("Kỳ này có từ 1 đến %(n)s phần.") % {"n": PARTS[span]},
                )
        for name in ("on_behalf", "signer_title", "signer_name"):
            if cleaned.get(name):
                cleaned[name] = nfc(cleaned[name].strip())
        day = cleaned.get("date")
        if day is not None and day > local_today():
            self.add_error("date", _("Ngày văn bản không được sau hôm nay."))
        return cleaned

    def request_for(self, meeting: Meeting | None = None) -> Request:
        """The document asked for (the form is valid); a score sheet's is ``meeting``'s."""
        data = self.cleaned_data
        if meeting is not None:
            cell = meeting.cell
            return Request(self.kind, cell.parent or cell, meeting=meeting)
        span = None
        if self.kind == DocumentKind.ATTENDANCE_REPORT:
            span = Span(data["span"], data["year"], data["part"])
        return Request(
            kind=self.kind,
            unit=data["unit"],
            span=span,
            year=data["year"],
            member=data.get("member"),
        )

    def sign_off(self) -> SignOff:
        data = self.cleaned_data
        return SignOff(
            date=data["date"],
            signature=Signature(data["on_behalf"], data["signer_title"], data["signer_name"]),
            recipients=data["recipients"],
        )


def _span_of(first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """The form's period fields for an issued report's period."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    span = {3: "quarter", 6: "half"}.get(months, "year")
    size = {"quarter": 3, "half": 6, "year": 12}[span]
    return {"span": span, "part": (first.month - 1) // size + 1, "year": first.year}
