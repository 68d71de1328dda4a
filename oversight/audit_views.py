"""The audit trail page: the provincial (or any) office reads who changed what in its subtree."""

import datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from oversight import audit
from oversight.forms import unit_in_scope
from oversight.http import PortalRequest
from oversight.models import Unit
from oversight.reporting.exports import download, table

PER_PAGE = 50
EXPORT_LIMIT = 20_000


class AuditFilterForm(forms.Form):
    """Who made the change (login name), in which unit (code), between which dates, of what."""

    person = forms.CharField(label=gettext_lazy("Người thực hiện (tên đăng nhập)"), required=False)
    unit = forms.CharField(label=gettext_lazy("Đơn vị (mã)"), required=False, max_length=32)
    since = forms.DateField(label=gettext_lazy("Từ ngày"), required=False)
    until = forms.DateField(label=gettext_lazy("Đến ngày"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Loại"), required=False)

    def __init__(self, *args: Any, reader: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = reader
        choices = [("", _("Tất cả"))] + [(t.kind, t.label) for t in audit.tracked()]
        self.fields["kind"].choices = choices  # type: ignore[attr-defined]
        for name in ("since", "until"):
            self.fields[name].widget.attrs["placeholder"] = "dd/mm/yyyy"

    def clean_person(self) -> User | None:
        username = self.cleaned_data["person"].strip()
        if not username:
            return None
        # Only people the reader may see; anyone else reads as unknown.
        person = User.objects.visible_to(self.reader).filter(username=username).first()
        if person is None:
            raise forms.ValidationError(
                _("Không có người dùng “%(name)s” trong phạm vi của bạn."),
                params={"name": username},
            )
        return person

    def clean_unit(self) -> Unit | None:
        return unit_in_scope(self.reader, self.cleaned_data["unit"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if isinstance(since, datetime.date) and isinstance(until, datetime.date) and since > until:
            self.add_error("until", _("Ngày kết thúc phải sau ngày bắt đầu."))
        return cleaned


@login_required
@permission_required("accounts.view_audit", raise_exception=True)
def audit_log(request: PortalRequest) -> HttpResponse:
    """Every change in the reader's scope, newest first; filters; XLSX/CSV of the filtered list."""
    form = AuditFilterForm(request.GET or None, reader=request.user)
    if request.GET and not form.is_valid():
        return render(request, "oversight/audit.html", {"form": form}, status=400)
    data = form.cleaned_data if request.GET else {}
    rows = audit.trail(
        request.user,
        person=data.get("person"),
        unit=data.get("unit"),
        since=data.get("since"),
        until=data.get("until"),
        kinds=[data["kind"]] if data.get("kind") else [],
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    file_format = request.GET.get("format")
    if file_format in ("xlsx", "csv"):
        headers = [_("Thời điểm"), _("Người thực hiện"), _("Thao tác"), _("Loại"),
                   _("Bản ghi"), _("Đơn vị"), _("Trường thay đổi")]  # fmt: skip
        lines = [
            [c.when, c.who, c.action, c.kind, c.what, c.unit, ", ".join(c.fields)]
            for c in audit.describe(list(rows[:EXPORT_LIMIT]))
        ]
        return download(table(headers, lines, _("Nhật ký")), file_format, "nhat-ky-thay-doi")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "changes": audit.describe(list(page.object_list)),
        "query": query.urlencode(),
        "page_query": "&" + query.urlencode() if query else "",
    }
    return render(request, "oversight/audit.html", context)
