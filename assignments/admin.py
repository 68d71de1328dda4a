from django.contrib import admin
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from assignments.models import Assignment
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
