"""Staff pages for spreadsheet imports: upload, a dry run row by row, then confirm, all or nothing.

The same django-import-export resources as the admin, so the rules and the scope are the same.
"""

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.resources import PositionImportResource
from accounts.rights import may_somewhere
from assignments.resources import AssignmentImportResource, BreakthroughTaskImportResource
from oversight.http import PortalRequest
from oversight.importing import read_dataset
from oversight.reporting.exports import download, table
from oversight.resources import ScopedImportResource
from visits.resources import CellResource, MeetingScheduleResource

PENDING_DIR = settings.VAR_DIR / "imports"


@dataclass(frozen=True)
class ImportKind:
    title: Any
    resource: type[ScopedImportResource]
    example: list[str]

    @property
    def permission(self) -> str:
        return self.resource.row_permission


KINDS = {
    "people": ImportKind(
        gettext_lazy("Người và chức vụ"),
        PositionImportResource,
        ["nguyenvana", "Nguyễn Văn A", "a@example.vn", "TQ-001", "0912345678", "D070",
         "Ủy viên Ban Chấp hành", "Huyện ủy viên", "01/10/2025"],
    ),
    "assignments": ImportKind(
        gettext_lazy("Phân công phụ trách"),
        AssignmentImportResource,
        ["TQ-001", "C02200", "Phụ trách", "01/10/2025", "", ""],
    ),
    "cells": ImportKind(
        gettext_lazy("Chi bộ và ngày sinh hoạt"),
        CellResource,
        ["C02200-11", "Chi bộ thôn Nà Mô", "C02200", "10", "19:30", "Nhà văn hóa thôn"],
    ),
    "tasks": ImportKind(
        gettext_lazy("Việc đột phá, đặt hàng của một năm"),
        BreakthroughTaskImportResource,
        ["Xóa bỏ lò gạch thủ công", "Ban Thường vụ đặt hàng", "TQ-001", "2026", "15/12/2026",
         "Không còn lò gạch thủ công", "98 lò", "15-QĐ/TU", "10/01/2026"],
    ),
    "schedules": ImportKind(
        gettext_lazy("Lịch sinh hoạt chi bộ"),
        MeetingScheduleResource,
        ["C02200-01", "10", "19:30", "Nhà văn hóa thôn"],
    ),
}  # fmt: skip


def _kind(request: PortalRequest, name: str) -> ImportKind:
    kind = KINDS.get(name)
    if kind is None:
        raise Http404
    if not may_somewhere(request.user, kind.permission):
        raise PermissionDenied
    return kind


def _run(request: PortalRequest, kind: ImportKind, data: bytes, dry_run: bool) -> Any:
    return kind.resource().import_data(
        read_dataset(data),
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=True,
        user=request.user,
    )


@login_required
def import_upload(request: PortalRequest, name: str) -> HttpResponse:
    """Upload a file and see, row by row, what it would create, update or refuse."""
    kind = _kind(request, name)
    if request.GET.get("template"):
        headers = [field.column_name for field in kind.resource().get_import_fields()]
        return download(table(headers, [kind.example]), "xlsx", f"mau-{name}")
    context: dict[str, Any] = {"kind": kind, "name": name, "kinds": KINDS}
    if request.method != "POST":
        return render(request, "imports/upload.html", context)
    upload = request.FILES.get("file")
    error = None
    if upload is None:
        error = _("Hãy chọn tệp CSV hoặc XLSX.")
    elif upload.size and upload.size > settings.IMPORT_MAX_BYTES:
        error = _("Tệp quá lớn (%(size)s MB); tối đa %(limit)s MB.") % {
            "size": round(upload.size / 1_048_576, 1),
            "limit": settings.IMPORT_MAX_BYTES // 1_048_576,
        }
    if error is None and upload is not None:
        data = upload.read()
        try:
            result = _run(request, kind, data, dry_run=True)
        except (UnicodeDecodeError, ValueError, KeyError) as problem:
            error = _("Không đọc được tệp: %(problem)s") % {"problem": problem}
        else:
            context["result"] = result
            if not (result.has_errors() or result.has_validation_errors()):
                token = secrets.token_urlsafe(16)
                PENDING_DIR.mkdir(exist_ok=True)
                (PENDING_DIR / token).write_bytes(data)
                request.session[f"import:{name}"] = token
                context["token"] = token
    context["error"] = error
    status = 400 if error or ("result" in context and "token" not in context) else 200
    return render(request, "imports/upload.html", context, status=status)


@login_required
def import_confirm(request: PortalRequest, name: str) -> HttpResponse:
    """Write the file previewed a moment ago; every row or none."""
    kind = _kind(request, name)
    token = request.session.pop(f"import:{name}", None)
    if request.method != "POST" or not token or request.POST.get("token") != token:
        messages.error(request, _("Phiên xem trước đã hết; hãy tải tệp lên lại."))
        return redirect("import-upload", name)
    pending = PENDING_DIR / token
    data = pending.read_bytes()
    pending.unlink()
    result = _run(request, kind, data, dry_run=False)
    if result.has_errors() or result.has_validation_errors():
        messages.error(request, _("Tệp có lỗi; không ghi dòng nào."))
        return render(
            request,
            "imports/upload.html",
            {"kind": kind, "name": name, "kinds": KINDS, "result": result},
            status=400,
        )
    totals = result.totals
    messages.success(
        request,
        _("Đã nhập: %(new)s mới, %(update)s cập nhật, %(skip)s không đổi.")
        % {
            "new": totals.get("new", 0),
            "update": totals.get("update", 0),
            "skip": totals.get("skip", 0),
        },
    )
    return redirect("import-upload", name)
