from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def attach_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a model or service ValidationError on ``form``: under the field it names when the
    form has that field, above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        form.add_error(target, messages)


def style_for_bootstrap(form: forms.BaseForm) -> None:
    """Give every widget of ``form`` Bootstrap's class, unless it already has one."""
    for field in form.fields.values():
        css = (
            "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
        )
        field.widget.attrs.setdefault("class", css)
