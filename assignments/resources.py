from collections import defaultdict
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields

from accounts.models import Position
from assignments.models import (
    Assignment,
    AssignmentKind,
    BreakthroughTask,
    TaskKind,
    assignments_written,
)
from oversight.bulk import record_history
from oversight.clock import local_today
from oversight.models import Term
from oversight.resources import ScopedImportResource, choice_from
from oversight.widgets import DayMonthYearWidget


class AssignmentImportResource(ScopedImportResource):
    """Assignments: member (staff number, email or username), unit_code, kind, start_date,
    end_date, note. A member already in charge of that unit has the row update the open
    assignment; otherwise a new one is made, checked by the same rules as the pages."""

    row_permission = "assignments.add_assignment"

    resolved_fields: ClassVar[list[str]] = ["member", "unit", "term", "assigned_by"]
    validate_constraints = False  # the open-assignment constraint is clean()'s overlap check
    member = fields.Field(column_name="member")
    unit_code = fields.Field(column_name="unit_code")
    start_date = fields.Field(
        attribute="start_date", column_name="start_date", widget=DayMonthYearWidget()
    )
    end_date = fields.Field(
        attribute="end_date", column_name="end_date", widget=DayMonthYearWidget()
    )

    class Meta:
        model = Assignment
        fields = ("member", "unit_code", "kind", "start_date", "end_date", "note")
        import_id_fields = ()
        clean_model_instances = True
        skip_diff = True  # a row-by-row HTML diff costs more than the import itself
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        # Rows are written a thousand at a time, with their history rows, and the summary of
        # what the new assignments owe is computed once per batch (``assignments_written``).
        use_bulk = True
        batch_size = 1000

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        self.people = self.people_by_key(str(v) for v in self._column(dataset, "member") if v)
        self.holders = set(
            Position.objects.visible_to(self.importer).current().values_list("user_id", flat=True)
        )
        self.terms = list(Term.objects.all())
        # Every assignment of the file's members to the file's units, and the file's own new
        # ones as they pass: the overlap rule is checked against them, not by a query a row.
        self.siblings: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
        for assignment in Assignment.objects.filter(
            member_id__any=[person.pk for person in self.people.values()],
            unit_id__any=[unit.pk for unit in self.units.values()],
        ):
            self.siblings[(assignment.member_id, assignment.unit_id)].append(assignment)
        self.open_assignments = {
            key: assignment
            for key, assignments in self.siblings.items()
            for assignment in assignments
            if assignment.end_date is None
        }

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        super().before_import_row(row, **kwargs)
        errors: dict[str, str] = {}
        key = str(row.get("member") or "").strip()
        person = self.people.get(key)
        if person is None:
            errors["member"] = _("Không có người nào có mã, email hay tên đăng nhập “%(key)s”.") % {
                "key": key
            }
        elif person.pk not in self.holders:
            errors["member"] = _("“%(key)s” không giữ chức vụ nào trong phạm vi của bạn.") % {
                "key": key
            }
        kind = choice_from(AssignmentKind, str(row.get("kind") or AssignmentKind.IN_CHARGE))
        if kind is None:
            errors["kind"] = _("Hình thức “%(value)s” không hợp lệ (Phụ trách / Theo dõi).") % {
                "value": row.get("kind")
            }
        else:
            row["kind"] = kind
        if not row.get("start_date"):
            row["start_date"] = local_today()
        try:
            self.unit_in_scope(row)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
        if errors:
            raise ValidationError(errors)

    def get_instance(self, instance_loader: Any, row: Any) -> Assignment | None:
        person = self.people[str(row["member"]).strip()]
        unit = self.units[str(row["unit_code"]).strip()]
        return self.open_assignments.get((person.pk, unit.pk))

    def init_instance(self, row: Any = None) -> Assignment:
        return Assignment(
            member=self.people[str(row["member"]).strip()],
            unit=self.units[str(row["unit_code"]).strip()],
            assigned_by=self.importer,
        )

    def import_instance(self, instance: Assignment, row: Any, **kwargs: Any) -> None:
        super().import_instance(instance, row, **kwargs)
        instance.known_siblings = self.siblings[(instance.member_id, instance.unit_id)]
        if not instance.term_id and instance.start_date:
            term = next(
                (t for t in self.terms if t.start_date <= instance.start_date <= t.end_date), None
            )
            if term is None:
                raise ValidationError({"start_date": _("Không có nhiệm kỳ nào chứa ngày bắt đầu.")})
            instance.term = term

    def before_save_instance(self, instance: Assignment, row: Any, **kwargs: Any) -> None:
        if instance.pk is None:
            self.siblings[(instance.member_id, instance.unit_id)].append(instance)

    def bulk_create(
        self, using_transactions: bool, dry_run: bool, *args: Any, **kwargs: Any
    ) -> None:
        created = list(self.create_instances)
        super().bulk_create(using_transactions, dry_run, *args, **kwargs)
        self._written(created, dry_run, update=False)

    def bulk_update(
        self, using_transactions: bool, dry_run: bool, *args: Any, **kwargs: Any
    ) -> None:
        updated = list(self.update_instances)
        super().bulk_update(using_transactions, dry_run, *args, **kwargs)
        self._written(updated, dry_run, update=True)

    def _written(self, assignments: list[Assignment], dry_run: bool, update: bool) -> None:
        """What ``save()`` would have done for rows written in bulk: their history (by the
        importer) and the signal that keeps what is derived from them. A dry run, rolled back
        whole, needs neither."""
        if dry_run or not assignments:
            return
        record_history(Assignment, assignments, self.importer, _("Nhập từ tệp"), created=not update)
        assignments_written.send(Assignment, ids=[a.pk for a in assignments])

    def dehydrate_member(self, assignment: Assignment) -> str:
        member = assignment.member
        return member.staff_number or member.email or member.username

    def dehydrate_unit_code(self, assignment: Assignment) -> str:
        return assignment.unit.code


class BreakthroughTaskImportResource(ScopedImportResource):
    """A year's list of tasks: title, kind, cadre (staff number, email or username), year,
    deadline, expected_result, target, decision_number, decision_date. The task belongs to the
    unit where the cadre holds their highest position, which must lie in the importer's scope."""

    row_permission = "assignments.add_breakthroughtask"

    unit_column = ""
    resolved_fields: ClassVar[list[str]] = ["cadre", "position", "owner_unit", "evaluated_by"]
    cadre = fields.Field(column_name="cadre")
    deadline = fields.Field(
        attribute="deadline", column_name="deadline", widget=DayMonthYearWidget()
    )
    decision_date = fields.Field(
        attribute="decision_date", column_name="decision_date", widget=DayMonthYearWidget()
    )

    class Meta:
        model = BreakthroughTask
        fields = (
            "title", "kind", "cadre", "year", "deadline", "expected_result", "target",
            "decision_number", "decision_date",
        )  # fmt: skip
        import_id_fields = ()
        clean_model_instances = True
        skip_diff = True
        use_transactions = True

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        self.people = self.people_by_key(str(v) for v in self._column(dataset, "cadre") if v)
        self.positions: dict[int, Position] = {}
        in_scope = Position.objects.visible_to(self.importer).current().select_related("unit")
        for position in in_scope.filter(user__in=self.people.values()).order_by("unit__path"):
            self.positions.setdefault(position.user_id, position)

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        super().before_import_row(row, **kwargs)
        errors: dict[str, str] = {}
        key = str(row.get("cadre") or "").strip()
        person = self.people.get(key)
        if person is None or person.pk not in self.positions:
            errors["cadre"] = _("“%(key)s” không giữ chức vụ nào trong phạm vi của bạn.") % {
                "key": key
            }
        else:
            try:
                self.check_right(self.positions[person.pk].unit, "cadre")
            except ValidationError as error:
                errors.update({name: " ".join(m) for name, m in error.message_dict.items()})
        kind = choice_from(TaskKind, str(row.get("kind") or ""))
        if kind is None:
            errors["kind"] = _(
                "Loại “%(value)s” không hợp lệ (Cán bộ đăng ký / Ban Thường vụ đặt hàng)."
            ) % {"value": row.get("kind")}
        else:
            row["kind"] = kind
        if errors:
            raise ValidationError(errors)

    def get_instance(self, instance_loader: Any, row: Any) -> BreakthroughTask | None:
        return None  # every row is a new task

    def init_instance(self, row: Any = None) -> BreakthroughTask:
        position = self.positions[self.people[str(row["cadre"]).strip()].pk]
        return BreakthroughTask(cadre=position.user, position=position, owner_unit=position.unit)
