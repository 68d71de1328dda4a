from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from oversight.admin import ScopedAdminMixin
from oversight.models import Level, Unit
from visits.models import AttendancePolicy, Criterion, Meeting, MeetingSchedule, ScoreSheet, Visit
from visits.services import do_set_schedule


@admin.register(AttendancePolicy)
class AttendancePolicyAdmin(admin.ModelAdmin):
    list_display = ["level", "role", "period", "required_meetings", "note"]
    list_editable = ["period", "required_meetings"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(ScoreSheet)
class ScoreSheetAdmin(admin.ModelAdmin):
    list_display = ["name", "province", "good_min", "fair_min", "average_min"]
    inlines = [CriterionInline]


class MeetingScheduleResource(resources.ModelResource):
    """Import of meeting days (cell_code, day_of_month, time, place), cell by official code.

    Every row must name a cell inside the importing person's scope; rows are written through
    ``do_set_schedule`` so that upcoming meetings follow the new day.
    """

    cell_code = fields.Field(
        attribute="cell", column_name="cell_code", widget=widgets.ForeignKeyWidget(Unit, "code")
    )

    class Meta:
        model = MeetingSchedule
        fields = ["cell_code", "day_of_month", "time", "place"]
        import_id_fields = ["cell_code"]
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        self._user = kwargs["user"]
        self._cells_in_scope = set(
            Unit.objects.visible_to(self._user)
            .filter(level=Level.CELL)
            .values_list("code", flat=True)
        )

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        code = str(row.get("cell_code") or "").strip()
        if code not in self._cells_in_scope:
            raise ValidationError(
                {
                    "cell_code": _("Không có chi bộ mã “%(code)s” trong phạm vi của bạn.")
                    % {"code": code}
                }
            )

    def save_instance(
        self, instance: MeetingSchedule, is_create: bool, row: Any, **kwargs: Any
    ) -> None:
        do_set_schedule(
            self._user, instance.cell, instance.day_of_month, instance.time, instance.place
        )


@admin.register(MeetingSchedule)
class MeetingScheduleAdmin(ScopedAdminMixin, ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [MeetingScheduleResource]
    rollback_on_validation_errors = True
    list_display = ["cell", "day_of_month", "time", "place"]
    search_fields = ["cell__name", "cell__code"]
    list_select_related = ["cell"]
    raw_id_fields = ["cell"]


@admin.register(Meeting)
class MeetingAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["cell", "date", "kind", "status", "self_rating"]
    list_filter = ["kind", "status", "month"]
    search_fields = ["cell__name", "cell__code", "topic"]
    list_select_related = ["cell"]
    raw_id_fields = ["cell"]
    date_hierarchy = "date"


@admin.register(Visit)
class VisitAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["member", "unit", "date", "kind", "status", "rating"]
    list_filter = ["status", "kind", "rating"]
    search_fields = ["member__full_name", "unit__name", "unit__code"]
    list_select_related = ["member", "unit"]
    raw_id_fields = ["member", "logged_by", "meeting", "unit", "reviewed_by"]
    date_hierarchy = "date"
