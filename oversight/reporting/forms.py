import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from oversight.clock import local_today
from oversight.http import unit_or_404
from oversight.models import Unit, scope_for
from oversight.reporting.reports import default_root
from visits.models import add_months
from visits.tallies import horizon

MAX_MONTHS = 24


class MonthField(forms.Field):
    """A month written as YYYY-MM (what <input type="month"> sends)."""

    def to_python(self, value: Any) -> datetime.date | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return datetime.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(
                _("“%(value)s” không phải một tháng (định dạng YYYY-MM)."), params={"value": text}
            ) from None


class ReportForm(forms.Form):
    """Which unit (by code, within the person's scope) and which months a report covers, and
    optionally the day whose tree it is read in (before a reorganisation)."""

    # Declared first: the unit's code is looked up in the tree of that day.
    structure = forms.DateField(
        label=_("Cơ cấu tại ngày"),
        required=False,
        help_text=_("Để trống: cơ cấu hiện nay (đơn vị đã giải thể: cơ cấu ngày cuối của nó)."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    unit = forms.CharField(label=_("Đơn vị (mã)"), required=False, max_length=32)
    start = MonthField(
        label=_("Từ tháng"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    end = MonthField(
        label=_("Đến tháng"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    months = forms.IntegerField(
        label=_("Số tháng gần nhất"), required=False, min_value=1, max_value=MAX_MONTHS
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def clean_unit(self) -> Unit | None:
        """The unit asked for; without one, the tenant the person works in, or for an
        administrator (None) everything."""
        code = self.cleaned_data.get("unit", "").strip()
        visible = Unit.objects.visible_to(self.user)
        if not code:
            if scope_for(self.user).everything:
                return None
            root = default_root(self.user)
            if root is None:
                raise forms.ValidationError(_("Bạn chưa có đơn vị nào trong phạm vi."))
            return root
        # A unit outside the scope is answered like a missing one, as everywhere: 404.
        return unit_or_404(visible, code, on=self.cleaned_data.get("structure"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        this_month = local_today().replace(day=1)
        end = cleaned.get("end") or this_month
        start = cleaned.get("start") or add_months(end, -5)
        if start > end:
            self.add_error("start", _("Tháng bắt đầu phải trước tháng kết thúc."))
        elif (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
            self.add_error("end", _("Báo cáo tối đa %(n)s tháng.") % {"n": MAX_MONTHS})
        elif end > (furthest := horizon().replace(day=1)):
            # The summaries hold periods up to there: a later month would show nothing owed.
            self.add_error(
                "end", _("Báo cáo xa nhất đến tháng %(month)s.") % {"month": f"{furthest:%m/%Y}"}
            )
        cleaned["start"], cleaned["end"] = start, end
        cleaned["months"] = cleaned.get("months") or 3
        return cleaned
