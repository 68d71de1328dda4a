"""What a document is about and who signs it, as the office fills it in before previewing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from oversight.clock import local_today
from oversight.forms import attach_errors
from oversight.http import unit_or_404
from oversight.models import Level, Unit
from oversight.reporting.documents.content import (
    Request,
    SignOff,
    Span,
    committee_of,
    default_sign_off,
)
from oversight.reporting.documents.layout import Signature, nfc
from oversight.reporting.models import DocumentKind, IssuedDocument
from oversight.reporting.reports import default_root
from visits.models import Meeting

SPANS = [("quarter", _("Quý")), ("half", _("6 tháng")), ("year", _("Năm"))]
COMMITTEE_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)


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
        span = Span.last_quarter(today)
        if replaces is not None:
            unit = replaces.unit
            if replaces.period_start and replaces.period_end:
                span = Span.covering(replaces.period_start, replaces.period_end)
        initial: dict[str, Any] = {
            "date": today,
            "span": span.kind,
            "part": span.part,
            "year": span.year,
        }
        if replaces is not None:
            initial["replaces"] = replaces.pk
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
        """One recipient a line, the list dashes the person may have typed taken off."""
        given = self.cleaned_data["recipients"].splitlines()
        lines = [nfc(line.strip().lstrip("-").strip()) for line in given]
        return [line for line in lines if line]

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
            elif part is None or part > Span.parts(span):
                self.add_error(
                    "part", _("Kỳ này có từ 1 đến %(n)s phần.") % {"n": Span.parts(span)}
                )
        for name in ("on_behalf", "signer_title", "signer_name"):
            if cleaned.get(name):
                cleaned[name] = nfc(cleaned[name].strip())
        if all(name in cleaned for name in ("date", "signer_title", "signer_name", "recipients")):
            try:
                self.sign_off().check()
            except forms.ValidationError as error:
                attach_errors(self, error)
        return cleaned

    def request_for(self, meeting: Meeting | None = None) -> Request:
        """The document asked for (the form is valid); a score sheet's is ``meeting``'s."""
        data = self.cleaned_data
        if meeting is not None:
            return Request(self.kind, committee_of(meeting), meeting=meeting)
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
            signature=Signature(
                data.get("on_behalf", ""), data["signer_title"], data["signer_name"]
            ),
            recipients=data["recipients"],
        )
