"""Report pages: compliance, coverage, quality and the visit list they drill down to."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from oversight.http import PortalRequest
from oversight.paging import keyset_page
from oversight.replica import reads_from_replica
from oversight.reporting import charts, reports
from oversight.reporting.exports import download, table
from oversight.reporting.forms import ReportForm
from visits.models import Rating, Visit, VisitStatus, add_months

VISITS_PER_PAGE = 50
MEMBERS_PER_PAGE = 100


def _report_form(request: PortalRequest) -> ReportForm | None:
    form = ReportForm(request.GET or None, user=request.user)
    if not request.GET:
        form = ReportForm({}, user=request.user)
    return form if form.is_valid() else None


def _render_or_export(
    request: PortalRequest,
    template: str,
    context: dict[str, Any],
    export: Callable[[], Any],
    filename: str,
) -> HttpResponse:
    file_format = request.GET.get("format")
    if file_format in ("xlsx", "csv"):
        return download(export(), file_format, filename)
    return render(request, template, context)


def _invalid(request: PortalRequest, template: str) -> HttpResponse:
    form = ReportForm(request.GET, user=request.user)
    form.is_valid()
    return render(request, template, {"form": form}, status=400)


def _period_text(cell: reports.PeriodCell) -> str:
    """A member's period as a spreadsheet cell: logged/required, marked while in progress."""
    text = f"{cell.tally.logged}/{cell.tally.required}"
    return f"{text} ({_('đang diễn ra')})" if cell.in_progress else text


@login_required
@reads_from_replica
def compliance_report(request: PortalRequest) -> HttpResponse:
    form = _report_form(request)
    if form is None:
        return _invalid(request, "reports/compliance.html")
    root, start, end = (form.cleaned_data[k] for k in ("unit", "start", "end"))
    report = reports.compliance(
        request.user, root, start, end, structure=form.cleaned_data["structure"]
    )
    trend = charts.column_chart(
        [(f"{m:%m/%y}", t.percent) for m, t in report.by_month if t.percent is not None],
        _("Tỷ lệ đạt định mức theo tháng"),
        pending={f"{m:%m/%y}" for m in report.in_progress_months},
    )

    def export() -> Any:
        headers: list[str] = [_("Cấp ủy viên"), _("Địa bàn")]
        headers += [
            f"{m:%m/%Y} ({_('đang diễn ra')})" if m in report.in_progress_months else f"{m:%m/%Y}"
            for m in report.months
        ] + [
            _("Phải dự"),
            _("Đã dự"),
            _("Đã duyệt"),
            _("Duyệt muộn"),
        ]
        rows = []
        for row in report.rows:
            cells = [_period_text(c) if (c := row.by_month.get(m)) else "" for m in report.months]
            areas = ", ".join(row.areas)
            total = row.total
            rows.append(
                [
                    row.name,
                    areas,
                    *cells,
                    total.required,
                    total.logged,
                    total.accepted,
                    total.late,
                ]
            )
        return table(headers, rows, title=_("Dự sinh hoạt"))

    printing = bool(request.GET.get("print"))
    template = "reports/compliance_print.html" if printing else "reports/compliance.html"
    params = request.GET.copy()
    params.pop("page", None)
    # The whole country is thousands of rows: the page shows them in pages, paper gets all.
    rows = Paginator(report.rows, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    # The months (and the tree's day) every link of the page carries, formatted once, not by
    # two date filters in each of its 130 rows.
    shown = {"structure": f"{report.structure:%Y-%m-%d}"} if report.structure else {}
    shown |= {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}
    context = {
        "form": form,
        "report": report,
        "trend": trend,
        "range_query": urlencode(shown),
        "query": params.urlencode(),
        "page_query": "&" + params.urlencode(),
        "page": None if printing else rows,
    }
    return _render_or_export(
        request, template, context, export, f"du-sinh-hoat-{root.code if root else 'toan-bo'}"
    )


@login_required
@reads_from_replica
def coverage_report(request: PortalRequest) -> HttpResponse:
    form = _report_form(request)
    if form is None:
        return _invalid(request, "reports/coverage.html")
    root, months = form.cleaned_data["unit"], form.cleaned_data["months"]
    report = reports.coverage(request.user, root, months)
    chart = charts.stacked_bars(
        [
            (
                unit.name,
                [
                    (_("Đã có người đến"), total - unvisited, charts.GREEN),
                    (_("Chưa ai đến"), unvisited, charts.RED),
                ],
            )
            for unit, unvisited, total in report.by_group
        ],
        _("Chi bộ có cấp ủy viên đến dự"),
    )

    def export() -> Any:
        rows = [[_("Xã"), u.code, u.name] for u in report.communes]
        rows += [[_("Chi bộ"), u.code, u.name] for u in report.cells]
        return table([_("Cấp"), _("Mã"), _("Tên")], rows, title=_("Chưa có người đến"))

    context = {"form": form, "report": report, "chart": chart, "query": request.GET.urlencode()}
    return _render_or_export(
        request,
        "reports/coverage.html",
        context,
        export,
        f"do-phu-{root.code if root else 'toan-bo'}",
    )


@login_required
@reads_from_replica
def quality_report(request: PortalRequest) -> HttpResponse:
    form = _report_form(request)
    if form is None:
        return _invalid(request, "reports/quality.html")
    root, start, end = (form.cleaned_data[k] for k in ("unit", "start", "end"))
    report = reports.quality(request.user, root, start, end, form.cleaned_data["structure"])
    chart = charts.stacked_bars(
        [
            (
                unit.name,
                [
                    (
                        Rating(r).label,
                        sum(month.get(r, 0) for month in by_month.values()),
                        charts.RATING_COLOURS[r],
                    )
                    for r in Rating.values
                ],
            )
            for unit, by_month in report.distribution
        ],
        _("Xếp loại sinh hoạt chi bộ theo đơn vị"),
    )

    def export() -> Any:
        headers = [_("Đơn vị"), _("Tháng"), *[str(Rating(r).label) for r in Rating.values]]
        rows = [
            [unit.name, month, *[counts.get(r, 0) for r in Rating.values]]
            for unit, by_month in report.distribution
            for month, counts in sorted(by_month.items())
        ]
        return table(headers, rows, title=_("Chất lượng sinh hoạt"))

    context = {
        "form": form,
        "report": report,
        "chart": chart,
        "ratings": Rating,
        "query": request.GET.urlencode(),
    }
    return _render_or_export(
        request,
        "reports/quality.html",
        context,
        export,
        f"chat-luong-{root.code if root else 'toan-bo'}",
    )


@login_required
@reads_from_replica
def visit_list(request: PortalRequest) -> HttpResponse:
    """Visits in scope, filtered by unit, member, months and status: where report numbers lead."""
    form = _report_form(request)
    if form is None:
        return _invalid(request, "reports/visit_list.html")
    root, start, end = (form.cleaned_data[k] for k in ("unit", "start", "end"))
    structure = reports.structure_day(root, form.cleaned_data["structure"])
    visits = (
        reports.under(Visit.objects, request.user, root, structure)
        .filter(date__gte=start, date__lt=add_months(end, 1))
        .order_by("-date", "-pk")
    )
    member = request.GET.get("member", "")
    if member.isdigit():
        visits = visits.filter(member_id=int(member))
    status = request.GET.get("status", "")
    if status in VisitStatus.values:
        visits = visits.filter(status=status)
    elif status == "logged":
        visits = visits.logged()

    def export() -> Any:
        headers = [
            _("Ngày"),
            _("Cấp ủy viên"),
            _("Đơn vị"),
            _("Thuộc"),
            _("Loại"),
            _("Trạng thái"),
            _("Xếp loại"),
            _("Nhận xét"),
            _("Kiến nghị"),
            _("Người duyệt"),
            _("Duyệt lúc"),
        ]
        rows = [
            [
                v.date,
                v.member.get_full_name(),
                v.unit.name,
                v.unit.parent.name if v.unit.parent else "",
                v.get_kind_display(),
                v.get_status_display(),
                v.get_rating_display(),
                v.findings,
                v.recommendations,
                v.reviewed_by.get_full_name() if v.reviewed_by else "",
                v.reviewed_at,
            ]
            for v in visits.select_related(
                "member", "unit", "unit__parent", "reviewed_by"
            ).iterator(chunk_size=2000)
        ]
        return table(headers, rows, title=_("Ghi nhận"))

    page = keyset_page(
        visits.as_rows(),
        request.GET.get("after", ""),
        request.GET.get("before", ""),
        VISITS_PER_PAGE,
    )
    params = request.GET.copy()
    for key in ("page", "after", "before"):
        params.pop(key, None)
    context = {
        "form": form,
        "page": page,
        "root": root,
        "query": params.urlencode(),
        "page_query": "&" + params.urlencode(),
    }
    return _render_or_export(
        request,
        "reports/visit_list.html",
        context,
        export,
        f"ghi-nhan-{root.code if root else 'toan-bo'}",
    )
