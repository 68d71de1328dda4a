"""The common ground of every spreadsheet import (django-import-export), admin or staff page.

Rows name units by official code and people by staff number, email or username, never by
database id. Every row must lie inside the importing person's scope; one that does not, or
names what does not exist, is refused with its reason, and the file is all or nothing.
Lookups are loaded once per file, not once per row.
"""

from collections.abc import Iterable
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, TextChoices
from django.utils.translation import gettext as _
from import_export import resources

from accounts.models import User
from accounts.rights import may
from oversight.bulk import cycle_collector_paused
from oversight.models import Unit


def choice_from(choices: type[TextChoices], text: str) -> str | None:
    """The value of a choice written either as its code or as its Vietnamese name."""
    wanted = text.strip().lower()
    for choice in choices:
        if wanted in (choice.value, str(choice.label).lower()):
            return str(choice.value)
    return None


class ScopedImportResource(resources.ModelResource):
    """Base of the imports: the importer's scope, cached lookups and Vietnamese reasons."""

    unit_column = "unit_code"
    # The right each row needs at its unit (``accounts.rights.may``): holding it somewhere
    # opens the import page, but a row outside that position's subtree is refused.
    row_permission: ClassVar[str]
    # Foreign keys the resource resolves itself from the file's natural keys, once per file:
    # validating them again would cost a query per row and per key.
    resolved_fields: ClassVar[list[str]] = []
    # Whether the model's constraints are checked per row (off where clean() already does).
    validate_constraints: ClassVar[bool] = True

    def import_data(self, *args: Any, **kwargs: Any) -> Any:
        """The file imported (``import_data``), without the cycle collector's passes over the
        whole file's rows while it is read (``cycle_collector_paused``)."""
        with cycle_collector_paused():
            return super().import_data(*args, **kwargs)

    def validate_instance(
        self, instance: Any, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        """The model's rules (``full_clean``), less the lookups of keys already resolved."""
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude=self.resolved_fields,
                validate_unique=validate_unique and self.validate_constraints,
                validate_constraints=self.validate_constraints,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        if len(dataset) > settings.IMPORT_MAX_ROWS:
            raise ValidationError(
                _("Tệp có %(rows)s dòng, tối đa %(limit)s dòng.")
                % {"rows": len(dataset), "limit": settings.IMPORT_MAX_ROWS}
            )
        self.importer: User = kwargs["user"]
        codes = {str(v).strip() for v in self._column(dataset, self.unit_column) if v}
        self.units = {
            unit.code: unit
            # A code may be borne by a living unit and by abolished ones: the living one is last.
            for unit in Unit.objects.visible_to(self.importer)
            .filter(code__any=codes)
            .order_by("is_active")
        }

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        # Empty spreadsheet cells arrive as None from XLSX and as "" from CSV: make them alike,
        # so that a blank note is an empty text, not a NULL the database refuses.
        for column, value in row.items():
            if value is None:
                row[column] = ""

    @staticmethod
    def _column(dataset: Any, name: str) -> list[Any]:
        return list(dataset[name]) if name in (dataset.headers or []) else []

    def unit_in_scope(self, row: Any) -> Unit:
        code = str(row.get(self.unit_column) or "").strip()
        unit = self.units.get(code)
        if unit is None:
            raise ValidationError(
                {
                    self.unit_column: _("Không có đơn vị mã “%(code)s” trong phạm vi của bạn.")
                    % {"code": code}
                }
            )
        self.check_right(unit, self.unit_column)
        return unit

    def check_right(self, unit: Unit, column: str) -> None:
        """The importer's right at ``unit``, or the row's error naming ``column``."""
        if not may(self.importer, self.row_permission, unit):
            raise ValidationError(
                {
                    column: _("Bạn không có quyền nhập dữ liệu cho đơn vị “%(name)s”.")
                    % {"name": unit.name}
                }
            )

    @staticmethod
    def people_by_key(keys: Iterable[str]) -> dict[str, User]:
        """People found by any of their natural keys: staff number, email or username."""
        wanted = {key.strip() for key in keys if key and key.strip()}
        found: dict[str, User] = {}
        people = User.objects.filter(
            Q(staff_number__any=wanted) | Q(email__any=wanted) | Q(username__any=wanted)
        )
        for person in people:
            for key in (person.staff_number, person.email, person.username):
                if key in wanted:
                    found[key] = person
        return found
