from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from oversight.admin import ScopedAdminMixin
from visits.models import (
    AttendancePolicy,
    Criterion,
    Meeting,
    MeetingSchedule,
    OutboxMessage,
    Reminder,
    ReminderStatus,
    ScoreSheet,
    Visit,
)
from visits.resources import MeetingScheduleResource
from visits.tasks import dispatch_pending


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


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Reminders sent, pending and failed, with the error; a failed one can be sent again."""

    list_display = ["created_at", "kind", "recipient", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__full_name", "recipient__username", "subject", "last_error"]
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in Reminder._meta.fields]
    actions = ["send_again"]

    @admin.action(description=_("Gửi lại các nhắc việc lỗi đã chọn"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        queryset.filter(status=ReminderStatus.FAILED).update(status=ReminderStatus.PENDING)
        transaction.on_commit(dispatch_pending)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The portal's own outbox (when no mail server is configured): read what was sent."""

    list_display = ["created_at", "to", "subject"]
    search_fields = ["to", "subject", "body"]
    readonly_fields = ["created_at", "message_id", "to", "subject", "body", "html"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
