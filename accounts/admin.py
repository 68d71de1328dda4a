from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from accounts.models import Position, User
from accounts.resources import PositionImportResource
from oversight.admin import ScopedAdminMixin


class PositionInline(admin.TabularInline):
    model = Position
    fk_name = "user"
    extra = 0
    raw_id_fields = ["unit"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Cán bộ"), {"fields": ("full_name", "staff_number", "phone", "current_tenant")}),
    )
    list_display = ["username", "full_name", "email", "staff_number", "is_active"]
    search_fields = ["username", "full_name", "email", "staff_number"]
    raw_id_fields = ["current_tenant"]
    inlines = [PositionInline]


@admin.register(Position)
class PositionAdmin(ScopedAdminMixin, ImportExportMixin, admin.ModelAdmin):
    resource_classes = [PositionImportResource]
    rollback_on_validation_errors = True
    list_display = ["user", "role", "unit", "term", "start_date", "end_date"]
    list_filter = ["role", "term"]
    search_fields = ["user__full_name", "user__username", "unit__name", "unit__code"]
    list_select_related = ["user", "unit", "term"]
    raw_id_fields = ["user", "unit"]
