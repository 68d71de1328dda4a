import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment
from oversight.forms import ModelErrorsAboveMixin, attach_errors, style_for_bootstrap
from oversight.models import Unit
from visits.models import (
    AttendancePolicy,
    Criterion,
    Meeting,
    MeetingSchedule,
    ScoreSheet,
    Visit,
    VisitKind,
)


class ScoreFieldsMixin(forms.Form):
    """One number per criterion of the sheet that applies to the meeting's cell."""

    criteria: list[Criterion]

    def add_score_fields(
        self, unit: Unit, initial: dict[str, int] | None, on: datetime.date | None
    ) -> None:
        """The criteria of the sheet in force on the meeting's day (today for a visit whose
        meeting is not chosen yet)."""
        self.criteria = list(ScoreSheet.for_unit(unit, on=on).criteria.all())
        for criterion in self.criteria:
            self.fields[f"score_{criterion.code}"] = forms.IntegerField(
                label=criterion.name,
                min_value=0,
                max_value=criterion.max_points,
                required=False,
                initial=(initial or {}).get(criterion.code),
                help_text=_("tối đa %(max)s%(full)s")
                % {
                    "max": criterion.max_points,
                    "full": _(", phải đủ điểm để đạt loại Tốt") if criterion.must_be_full else "",
                },
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "form-control"}),
            )

    def score_points(self) -> dict[str, int] | None:
        """The points given, or None when the sheet was left empty; half a sheet is refused."""
        values = {c.code: self.cleaned_data.get(f"score_{c.code}") for c in self.criteria}
        given = {code: value for code, value in values.items() if value is not None}
        if not given:
            return None
        missing = [c for c in self.criteria if values[c.code] is None]
        for criterion in missing:
            self.add_error(
                f"score_{criterion.code}", _("Chấm đủ mọi tiêu chí, hoặc bỏ trống cả bảng.")
            )
        return None if missing else given

    def score_field_names(self) -> list[str]:
        return [f"score_{c.code}" for c in self.criteria]


class VisitForm(ModelErrorsAboveMixin, ScoreFieldsMixin, forms.ModelForm):
    """What a member writes down after a meeting or a field visit."""

    class Meta:
        model = Visit
        # What was found comes first: it is what the member came to write.
        fields = [
            "unit",
            "date",
            "field_type",
            "findings",
            "recommendations",
            "members_present",
            "members_total",
            "follow_up_needed",
            "attachment",
        ]
        widgets = {
            "date": forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}),
            "findings": forms.Textarea(attrs={"rows": 5}),
            "recommendations": forms.Textarea(attrs={"rows": 3}),
            "members_present": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "members_total": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, instance: Visit, **kwargs: Any) -> None:
        super().__init__(*args, instance=instance, **kwargs)  # type: ignore[misc]
        if instance.kind == VisitKind.MEETING:
            for name in ("unit", "date", "field_type"):
                del self.fields[name]
            assert instance.meeting is not None
            self.add_score_fields(
                instance.meeting.cell, instance.score_points, instance.meeting.date
            )
        else:
            self.criteria = []
            for name in ("members_present", "members_total"):
                del self.fields[name]
            assigned = Assignment.objects.filter(member=instance.member).open_on()
            unit_field = self.fields["unit"]
            assert isinstance(unit_field, forms.ModelChoiceField)
            unit_field.queryset = Unit.objects.filter(assignments__in=assigned).distinct()
            self.fields["field_type"].required = True
        style_for_bootstrap(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.kind == VisitKind.MEETING:
            try:
                self.instance.apply_score(self.score_points())
            except forms.ValidationError as error:
                attach_errors(self, error)
        return cleaned


class ReturnForm(forms.Form):
    review_comment = forms.CharField(
        label=_("Lý do trả lại"), widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"})
    )


class MeetingChangeForm(forms.Form):
    new_date = forms.DateField(
        label=_("Ngày mới"),
        required=False,
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "class": "form-control"}),
    )
    change_reason = forms.CharField(
        label=_("Lý do"), max_length=255, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class MeetingScoreForm(ScoreFieldsMixin, forms.Form):
    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_score_fields(meeting.cell, meeting.self_points, meeting.date)
        for name in self.score_field_names():
            self.fields[name].required = True


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = MeetingSchedule
        fields = ["day_of_month", "time", "place"]
        widgets = {
            "day_of_month": forms.NumberInput(
                attrs={"inputmode": "numeric", "class": "form-control"}
            ),
            "time": forms.TimeInput(
                format="%H:%M", attrs={"placeholder": "19:30", "class": "form-control"}
            ),
            "place": forms.TextInput(attrs={"class": "form-control"}),
        }


class ThematicMeetingForm(forms.Form):
    """A thematic meeting of a cell: when, where and on what."""

    date = forms.DateField(
        label=_("Ngày họp"),
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy", "class": "form-control"}),
    )
    time = forms.TimeField(
        label=_("Giờ"),
        required=False,
        widget=forms.TimeInput(attrs={"placeholder": "19:30", "class": "form-control"}),
    )
    place = forms.CharField(
        label=_("Địa điểm"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    topic = forms.CharField(
        label=_("Chủ đề"), max_length=255, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class PolicyForm(forms.ModelForm):
    """A province's own attendance policy from a day on (``do_set_policy`` checks the rest)."""

    class Meta:
        model = AttendancePolicy
        fields = ["level", "role", "period", "required_meetings", "valid_from", "note"]
        help_texts = {"valid_from": _("Hôm nay hoặc muộn hơn (dd/mm/yyyy).")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].required = True
        style_for_bootstrap(self)

    def validate_unique(self) -> None:
        """The service writes the row with its province; uniqueness is checked there."""
