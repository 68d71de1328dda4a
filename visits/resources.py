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
