from django.contrib import admin
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from assignments.models import (
    Assignment,
    BreakthroughTask,
    ExtensionRequest,
    TaskMilestone,
    TaskProgress,
)
from assignments.resources import AssignmentImportResource
from oversight.admin import ScopedAdminMixin


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdminMixin, ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [AssignmentImportResource]
    rollback_on_validation_errors = True
    list_display = ["member", "kind", "unit", "term", "start_date", "end_date"]
    list_filter = ["kind", "term"]
    search_fields = ["member__full_name", "member__username", "unit__name", "unit__code"]
    list_select_related = ["member", "unit", "term"]
    raw_id_fields = ["member", "unit", "assigned_by"]


class TaskProgressInline(admin.TabularInline):
    model = TaskProgress
    extra = 0
    raw_id_fields = ["reported_by"]


class TaskMilestoneInline(admin.TabularInline):
    model = TaskMilestone
    extra = 0


class ExtensionRequestInline(admin.TabularInline):
    model = ExtensionRequest
    extra = 0
    raw_id_fields = ["requested_by", "decided_by"]


@admin.register(BreakthroughTask)
class BreakthroughTaskAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "kind", "cadre", "year", "deadline", "status", "result"]
    list_filter = ["year", "kind", "status", "result"]
    search_fields = ["title", "cadre__full_name", "decision_number"]
    list_select_related = ["cadre"]
    raw_id_fields = ["cadre", "position", "owner_unit", "evaluated_by"]
    filter_horizontal = ["units"]
    inlines = [TaskMilestoneInline, TaskProgressInline, ExtensionRequestInline]
