"""The upload form of a reorganisation plan."""

import csv
import io
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from oversight.forms import style_for_bootstrap
from oversight.importing import COLUMNS, UnitImportError, read_table, records
from oversight.models import check_basis_date
from oversight.reform.plan import CROSSWALK_COLUMNS
from oversight.reform.services import PlanFiles


class PlanUploadForm(forms.Form):
    effective_date = forms.DateField(label=_("Ngày có hiệu lực"), help_text=_("dd/mm/yyyy"))
    basis_number = forms.CharField(
        label=_("Số nghị quyết"),
        max_length=100,
        help_text=_("Ví dụ: 1676/NQ-UBTVQH15"),
    )
    basis_date = forms.DateField(label=_("Ngày ban hành nghị quyết"), help_text=_("dd/mm/yyyy"))
    tree = forms.FileField(
        label=_("Cây đơn vị mới (CSV hoặc XLSX)"),
        help_text=_("Cột: code, name, level, division_type, parent_code"),
    )
    crosswalk = forms.FileField(
        label=_("Bảng chuyển đổi xã cũ → xã mới (CSV hoặc XLSX)"),
        help_text=_("Mẫu của Tổng cục Thống kê, có cột share"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_for_bootstrap(self)

    def clean_tree(self) -> tuple[str, str]:
        return _as_text(self.cleaned_data["tree"], COLUMNS)

    def clean_crosswalk(self) -> tuple[str, str]:
        return _as_text(self.cleaned_data["crosswalk"], CROSSWALK_COLUMNS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            check_basis_date(cleaned.get("basis_date"), cleaned.get("effective_date"))
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def files_given(self) -> PlanFiles:
        tree_name, tree_text = self.cleaned_data["tree"]
        crosswalk_name, crosswalk_text = self.cleaned_data["crosswalk"]
        return PlanFiles(tree_name, tree_text, crosswalk_name, crosswalk_text)


def _as_text(upload: UploadedFile, columns: tuple[str, ...]) -> tuple[str, str]:
    """The file's name and its table as CSV text (an XLSX is read and written back as CSV), or
    the reason it cannot be read or lacks a column."""
    if upload.size and upload.size > settings.UNIT_IMPORT_MAX_BYTES:
        raise forms.ValidationError(_("Tệp quá lớn."))
    try:
        table = read_table(upload, upload.name or "")
        records(table, columns)
    except UnitImportError as error:
        raise forms.ValidationError([str(problem) for problem in error.problems]) from None
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return upload.name or "", out.getvalue()
