import datetime
from typing import Any

from django.utils.translation import gettext as _
from import_export import widgets


class DayMonthYearWidget(widgets.DateWidget):
    """Dates as Vietnamese spreadsheets write them (dd/mm/yyyy), or as Excel stores them."""

    def __init__(self) -> None:
        super().__init__(format="%d/%m/%Y")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> datetime.date | None:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date) or not value:
            return value or None
        try:
            return datetime.datetime.strptime(str(value).strip(), "%d/%m/%Y").date()
        except ValueError:
            raise ValueError(
                _("Ngày “%(value)s” không đúng dạng dd/mm/yyyy.") % {"value": value}
            ) from None
