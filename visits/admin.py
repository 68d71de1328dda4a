from django.contrib import admin
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from oversight.admin import ScopedAdminMixin
from visits.models import AttendancePolicy, Criterion, Meeting, MeetingSchedule, ScoreSheet, Visit
from visits.resources import MeetingScheduleResource


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
