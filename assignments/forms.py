from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Position, User
from assignments.models import AssignmentKind
from oversight.forms import style_for_bootstrap


class AssignForm(forms.Form):
    """Assign a member holding a position in the assigner's scope to the unit on the page."""

    member = forms.ModelChoiceField(label=_("Cấp ủy viên"), queryset=User.objects.none())
    kind = forms.ChoiceField(
        label=_("Hình thức"), choices=AssignmentKind.choices, initial=AssignmentKind.IN_CHARGE
    )
    start_date = forms.DateField(
        label=_("Từ ngày"),
        required=False,
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}),
        help_text=_("Để trống: hôm nay."),
    )
    replace = forms.BooleanField(
        label=_("Giao lại: kết thúc phân công hiện có cùng hình thức từ hôm trước"),
        required=False,
    )

    def __init__(self, *args: Any, assigner: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        holders = Position.objects.visible_to(assigner).current().values("user")
        member_field = self.fields["member"]
        assert isinstance(member_field, forms.ModelChoiceField)
        member_field.queryset = User.objects.filter(pk__in=holders, is_active=True).order_by(
            "full_name"
        )
        style_for_bootstrap(self)
