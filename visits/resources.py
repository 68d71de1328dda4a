from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, widgets

from oversight.models import Level, Unit
from oversight.resources import ScopedImportResource
from visits.models import MeetingSchedule
from visits.services import do_set_schedule


class MeetingScheduleResource(ScopedImportResource):
    """Meeting days: cell_code, day_of_month, time, place. Each row is written through
    ``do_set_schedule``, so the cell's upcoming meetings follow the new day."""

    row_permission = "visits.change_meetingschedule"

    unit_column = "cell_code"
    cell_code = fields.Field(
        attribute="cell", column_name="cell_code", widget=widgets.ForeignKeyWidget(Unit, "code")
    )

    class Meta:
        model = MeetingSchedule
        fields = ["cell_code", "day_of_month", "time", "place"]
        import_id_fields = ["cell_code"]
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        super().before_import_row(row, **kwargs)
        unit = self.unit_in_scope(row)
        if unit.level != Level.CELL:
            raise ValidationError(
                {"cell_code": _("“%(code)s” không phải chi bộ.") % {"code": unit.code}}
            )

    def save_instance(
        self, instance: MeetingSchedule, is_create: bool, row: Any, **kwargs: Any
    ) -> None:
        do_set_schedule(
            self.importer, instance.cell, instance.day_of_month, instance.time, instance.place
        )


class CellResource(ScopedImportResource):
    """New or renamed cells with their meeting day: code, name, commune_code, day_of_month,
    time, place. The commune must lie in the importer's scope; the cell's path follows it."""

    row_permission = "oversight.add_unit"

    unit_column = "commune_code"
    day_of_month = fields.Field(column_name="day_of_month", widget=widgets.IntegerWidget())
    time = fields.Field(column_name="time", widget=widgets.TimeWidget(format="%H:%M"))
    place = fields.Field(column_name="place")

    class Meta:
        model = Unit
        fields = ["code", "name", "commune_code", "day_of_month", "time", "place"]
        import_id_fields = ["code"]
        clean_model_instances = True
        use_transactions = True
        skip_diff = True

    commune_code = fields.Field(column_name="commune_code")

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        super().before_import_row(row, **kwargs)
        commune = self.unit_in_scope(row)
        if commune.level != Level.COMMUNE:
            raise ValidationError(
                {"commune_code": _("“%(code)s” không phải xã.") % {"code": commune.code}}
            )
        existing = Unit.objects.holding(str(row.get("code") or "").strip())
        if existing is not None and not existing.path.startswith(commune.path):
            raise ValidationError(
                {"code": _("Mã “%(code)s” đã là một đơn vị khác.") % {"code": existing.code}}
            )

    def import_instance(self, instance: Unit, row: Any, **kwargs: Any) -> None:
        super().import_instance(instance, row, **kwargs)
        instance.parent = self.units[str(row["commune_code"]).strip()]
        instance.level = Level.CELL
        instance.division_type = instance.division_type or "chi bộ"

    def after_save_instance(self, instance: Unit, row: Any, **kwargs: Any) -> None:
        day = row.get("day_of_month")
        if day not in ("", None):
            time = widgets.TimeWidget(format="%H:%M").clean(row.get("time") or None)
            do_set_schedule(self.importer, instance, int(day), time, str(row.get("place") or ""))
