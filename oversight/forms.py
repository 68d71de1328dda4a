from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from oversight.models import Unit


def attach_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a model or service ValidationError on ``form``: under the field it names when the
    form has that field, above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        form.add_error(target, messages)


class ModelErrorsAboveMixin:
    """A model form whose model's rules may name a field the form does not show (the meeting of
    a prefilled visit): Django would raise a ValueError (a 500) for it; the error is shown above
    the form instead, so the person still reads why the row was refused."""

    def add_error(self, field: str | None, error: Any) -> None:
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            shown = self.fields  # type: ignore[attr-defined]
            moved = [
                e for name, errs in error.error_dict.items() if name not in shown for e in errs
            ]
            kept = {name: errs for name, errs in error.error_dict.items() if name in shown}
            if moved:
                super().add_error(None, moved)  # type: ignore[misc]
            if not kept:
                return
            error = ValidationError(kept)
        super().add_error(field, error)  # type: ignore[misc]


def style_for_bootstrap(form: forms.BaseForm) -> None:
    """Give every widget of ``form`` Bootstrap's class, unless it already has one."""
    for field in form.fields.values():
        css = (
            "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
        )
        field.widget.attrs.setdefault("class", css)


def unit_in_scope(user: Any, code: str) -> Unit | None:
    """A form's filter by unit code: the unit bearing ``code`` in the person's scope, None when
    no code is given, a form error naming the code when none there bears it."""
    code = code.strip()
    if not code:
        return None
    unit = Unit.objects.visible_to(user).holding(code)
    if unit is None:
        raise forms.ValidationError(
            _("Không có đơn vị mã “%(code)s” trong phạm vi của bạn."), params={"code": code}
        )
    return unit
