from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields

from accounts.models import Position, User
from accounts.roles import Role
from oversight.models import Term
from oversight.resources import ScopedImportResource, choice_from
from oversight.widgets import DayMonthYearWidget


class PositionImportResource(ScopedImportResource):
    """People with their positions, one row per position: username, full_name, email,
    staff_number, phone, unit_code, role, title, start_date. A person is found by staff
    number, email or username (in that order) and created when none matches."""

    row_permission = "accounts.add_position"

    username = fields.Field(column_name="username")
    full_name = fields.Field(column_name="full_name")
    email = fields.Field(column_name="email")
    staff_number = fields.Field(column_name="staff_number")
    phone = fields.Field(column_name="phone")
    unit_code = fields.Field(column_name="unit_code")
    start_date = fields.Field(
        attribute="start_date", column_name="start_date", widget=DayMonthYearWidget()
    )

    class Meta:
        model = Position
        fields = (
            "username", "full_name", "email", "staff_number", "phone", "unit_code", "role",
            "title", "start_date",
        )  # fmt: skip
        import_id_fields = ()
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        keys = [
            str(value)
            for column in ("staff_number", "email", "username")
            for value in self._column(dataset, column)
            if value
        ]
        self.people = self.people_by_key(keys)
        self.term = Term.objects.current().first()

    def person_for(self, row: Any) -> User | None:
        for column in ("staff_number", "email", "username"):
            key = str(row.get(column) or "").strip()
            if key and key in self.people:
                return self.people[key]
        return None

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        super().before_import_row(row, **kwargs)
        errors: dict[str, str] = {}
        role = choice_from(Role, str(row.get("role") or ""))
        if role is None:
            errors["role"] = _("Vai trò “%(value)s” không hợp lệ.") % {"value": row.get("role")}
        else:
            row["role"] = role
        person = self.person_for(row)
        if person is None and not str(row.get("username") or "").strip():
            errors["username"] = _("Người mới cần có tên đăng nhập.")
        if self.term is None:
            errors["start_date"] = _("Không có nhiệm kỳ hiện tại.")
        elif not row.get("start_date"):
            row["start_date"] = self.term.start_date
        try:
            self.unit_in_scope(row)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
        if errors:
            raise ValidationError(errors)

    def get_instance(self, instance_loader: Any, row: Any) -> Position | None:
        person = self.person_for(row)
        if person is None:
            return None
        unit = self.units[str(row["unit_code"]).strip()]
        return Position.objects.filter(
            user=person, unit=unit, role=row["role"], term=self.term
        ).first()

    def init_instance(self, row: Any = None) -> Position:
        person = self.person_for(row)
        if person is None:
            # A new person, written inside the import's transaction: a dry run leaves nothing.
            person = User(username=str(row["username"]).strip())
            person.set_unusable_password()
            person.save()
            self.people[person.username] = person
        return Position(user=person, unit=self.units[str(row["unit_code"]).strip()], term=self.term)

    PERSON_COLUMNS = ("full_name", "email", "phone", "staff_number")

    def _person_changes(self, person: User, row: Any) -> dict[str, str]:
        changes = {}
        for column in self.PERSON_COLUMNS:
            value = str(row.get(column) or "").strip()
            if value and value != (getattr(person, column) or ""):
                changes[column] = value
        return changes

    def skip_row(self, instance: Position, original: Any, row: Any, *args: Any) -> bool:
        """Unchanged only when the position and the person's own details are both unchanged."""
        if instance.user_id and self._person_changes(instance.user, row):
            return False
        return bool(super().skip_row(instance, original, row, *args))

    def before_save_instance(self, instance: Position, row: Any, **kwargs: Any) -> None:
        person = instance.user
        for column, value in self._person_changes(person, row).items():
            setattr(person, column, value)
        person.full_clean(exclude=["password"])
        person.save()

    def dehydrate_username(self, position: Position) -> str:
        return position.user.username

    def dehydrate_full_name(self, position: Position) -> str:
        return position.user.full_name

    def dehydrate_email(self, position: Position) -> str:
        return position.user.email

    def dehydrate_staff_number(self, position: Position) -> str:
        return position.user.staff_number or ""

    def dehydrate_phone(self, position: Position) -> str:
        return position.user.phone

    def dehydrate_unit_code(self, position: Position) -> str:
        return position.unit.code
