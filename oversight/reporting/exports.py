"""Spreadsheets out of the portal: XLSX and CSV with Vietnamese headers, safe to open in Excel.

A text cell that begins with = + - @ (or a tab or carriage return) would run as a formula in
a spreadsheet program; every such cell gets a leading apostrophe. django-import-export's own
escaping covers only a leading "=", so every export goes through ``safe_cell`` instead.
"""

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

import tablib
from django.http import HttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet should hold it: dates dd/mm/yyyy, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%H:%M %d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "") -> tablib.Dataset:
    data = tablib.Dataset(headers=[str(h) for h in headers], title=title[:31] or None)
    for row in rows:
        data.append([safe_cell(value) for value in row])
    return data


def download(data: tablib.Dataset, file_format: str, filename: str) -> HttpResponse:
    """The dataset as an attachment; CSV carries a BOM so that Excel reads the accents."""
    if file_format == "xlsx":
        body: bytes = data.export("xlsx")
    else:
        body = ("\ufeff" + data.export("csv")).encode("utf-8")
        file_format = "csv"
    return attachment(body, file_format, filename)


def attachment(body: bytes, file_format: str, filename: str) -> HttpResponse:
    """A file of the portal's making to save, never sniffed nor kept by a shared cache: the
    reports and documents hold a tenant's data."""
    response = HttpResponse(body, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
