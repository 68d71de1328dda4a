from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin
from import_export import fields, resources, widgets
from import_export.admin import ImportExportModelAdmin

from accounts.rights import may
from oversight.importing import COLUMNS, ImportProblem, UnitImportError, import_units
from oversight.importing import rows_from_table as unit_rows_from_table
from oversight.models import Term, Unit, scope_for


class UnitResource(resources.ModelResource):
    """The admin's import and export of units, refusing what the command refuses.

    The whole file is checked by the same validator as ``import_units``, within the importing
    person's scope, before any row is touched; a row it refuses shows its reasons in the
    preview, and nothing is written.
    """

    parent_code = fields.Field(
        attribute="parent",
        column_name="parent_code",
        widget=widgets.ForeignKeyWidget(Unit, field="code"),
    )

    class Meta:
        model = Unit
        fields = COLUMNS
        import_id_fields = ["code"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        table = [list(dataset.headers or []), *[[str(v or "") for v in row] for row in dataset]]
        self._problems_by_row: dict[int, list[ImportProblem]] = {}
        try:
            import_units(unit_rows_from_table(table), dry_run=True, scope=scope_for(kwargs["user"]))
        except UnitImportError as error:
            for problem in error.problems:
                if problem.row is None or problem.row == 1:
                    raise ValidationError(str(problem)) from None
                self._problems_by_row.setdefault(problem.row, []).append(problem)

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        # import-export counts data rows from 1; the file's own numbering has the header as row 1.
        problems = self._problems_by_row.get(kwargs["row_number"] + 1, [])
        if problems:
            errors: dict[str, list[str]] = {}
            for problem in problems:
                errors.setdefault(problem.column or "code", []).append(str(problem))
            raise ValidationError(errors)


class ScopedAdminMixin:
    """Admin lists and forms see only what ``visible_to`` lets the person see, and change or
    delete a row only where one of the person's positions gives the right (``may``)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).visible_to(request.user)  # type: ignore[misc]

    def _may(self, request: HttpRequest, action: str, obj: Any) -> bool:
        opts = self.model._meta  # type: ignore[attr-defined]
        return obj is None or may(request.user, f"{opts.app_label}.{action}_{opts.model_name}", obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)  # type: ignore[misc]
        return bool(allowed) and self._may(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return bool(allowed) and self._may(request, "delete", obj)


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, ImportExportModelAdmin, GuardedModelAdmin):  # type: ignore[misc]
    resource_classes = [UnitResource]
    rollback_on_validation_errors = True
    list_display = ["tree_name", "code", "level", "division_type", "is_active"]
    list_filter = ["level", "is_active", "division_type"]
    search_fields = ["code", "name", "search_name"]
    raw_id_fields = ["parent", "merged_into"]
    readonly_fields = ["path"]
    ordering = ["path"]

    @admin.display(description=_("tên"), ordering="path")
    def tree_name(self, unit: Unit) -> str:
        """The name indented by depth, so the list reads as the tree it is."""
        return f"{'— ' * (unit.depth - 1)}{unit.name}"


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date"]
