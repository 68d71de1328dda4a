from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from oversight.models import Unit


class TenantSwitchForm(forms.Form):
    """Choose one of the units where the person holds a position, by its official code."""

    unit = forms.CharField(label=_("Đơn vị"), max_length=32)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_unit(self) -> Unit:
        code = self.cleaned_data["unit"]
        for tenant in self.user.tenants():
            if tenant.code == code:
                return tenant
        raise forms.ValidationError(
            _("Bạn không giữ chức vụ nào tại đơn vị mã “%(code)s”."), params={"code": code}
        )


class CodeForm(forms.Form):
    """The six digits the authenticator app shows."""

    code = forms.RegexField(
        label=_("Mã xác thực"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Mã gồm 6 chữ số.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )
