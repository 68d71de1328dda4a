import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.rights import may, require
from assignments.forms import AssignForm
from assignments.models import Assignment, BreakthroughTask, TaskKind, TaskResult, TaskStatus
from assignments.services import (
    do_approve_task,
    do_assign,
    do_decide_extension,
    do_end_assignment,
    do_evaluate_task,
    do_reach_milestone,
    do_reassign,
    do_report_progress,
    do_request_extension,
    year_summary,
)
from oversight.clock import local_today
from oversight.forms import attach_errors
from oversight.http import PortalRequest, unit_or_404
from oversight.models import Unit
from oversight.paging import read_page
from oversight.reporting.exports import download, table
from oversight.uploads import serve_attachment


@login_required
def assign(request: PortalRequest, code: str) -> HttpResponse:
    """Assign a member to this unit, or hand it over to them (ending the current one)."""
    unit = unit_or_404(Unit.objects.visible_to(request.user).active(), code)
    require(
        request.user, "assignments.add_assignment", unit, _("Bạn không có quyền phân công ở đây.")
    )
    form = AssignForm(request.POST or None, assigner=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["replace"]:
                do_reassign(
                    request.user, unit, data["member"], on=data["start_date"], kind=data["kind"]
                )
            else:
                do_assign(
                    request.user,
                    data["member"],
                    unit,
                    kind=data["kind"],
                    start_date=data["start_date"],
                )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("Đã phân công."))
            return redirect("unit-detail", unit.code)
    status = 400 if request.method == "POST" else 200
    return render(request, "assignments/assign.html", {"unit": unit, "form": form}, status=status)


@login_required
@require_POST
def end_assignment(request: PortalRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        Assignment.objects.visible_to(request.user).select_related("unit"), pk=pk
    )
    try:
        do_end_assignment(request.user, assignment)
        messages.success(request, _("Đã kết thúc phân công; lịch sử vẫn được giữ."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    return redirect("unit-detail", assignment.unit.code)


TASKS_PER_PAGE = 50


@login_required
def task_board(request: PortalRequest) -> HttpResponse:
    """The board of breakthrough tasks in scope, by year, with the year's figures."""
    today = local_today()
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() else today.year
    tasks = (
        BreakthroughTask.objects.visible_to(request.user)
        .filter(year=year)
        .select_related("cadre", "owner_unit")
        .prefetch_related("progress_reports")
    )
    mine = request.resolver_match is not None and request.resolver_match.url_name == "my-tasks"
    if mine:
        tasks = tasks.filter(cadre=request.user)
    kind, status = request.GET.get("kind", ""), request.GET.get("status", "")
    if kind in TaskKind.values:
        tasks = tasks.filter(kind=kind)
    if status == "overdue":
        tasks = tasks.overdue(today)
    elif status == "due_soon":
        tasks = tasks.due_soon(today)
    elif status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    if request.GET.get("format") == "xlsx":
        rows = [
            [t.title, t.get_kind_display(), t.cadre.get_full_name(), t.owner_unit.name, t.deadline,
             t.get_status_display(), t.latest_percent, t.get_result_display(), t.expected_result]
            for t in tasks
        ]  # fmt: skip
        headers = [_("Nhiệm vụ"), _("Loại"), _("Cán bộ"), _("Đơn vị"), _("Hạn"), _("Trạng thái"),
                   _("Tiến độ (%)"), _("Kết quả"), _("Sản phẩm cần đạt")]  # fmt: skip
        return download(table(headers, rows, title=str(year)), "xlsx", f"nhiem-vu-dot-pha-{year}")
    context = {
        "mine": mine,
        "year": year,
        "years": range(today.year + 1, today.year - 8, -1),
        "summary": year_summary(request.user, year),
        "page": read_page(tasks, TASKS_PER_PAGE, request.GET.get("page")),
        "filters": {"kind": kind, "status": status},
        "kinds": TaskKind,
        "statuses": TaskStatus,
        "today": today,
        "query": request.GET.urlencode(),
        "page_query": "&" + urlencode({"year": year, "kind": kind, "status": status}),
    }
    return render(request, "assignments/task_board.html", context)


@login_required
def task_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """A task's page: its timeline, and the actions its cadre or the office may take."""
    task = get_object_or_404(
        BreakthroughTask.objects.visible_to(request.user).select_related("cadre", "owner_unit"),
        pk=pk,
    )
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            _act_on_task(request, task, action)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Đã lưu."))
        return redirect("task-detail", task.pk)
    context = {
        "task": task,
        "reports": list(task.progress_reports.select_related("reported_by")),
        "extensions": list(task.extensions.select_related("requested_by", "decided_by")),
        "milestones": list(task.milestones.all()),
        "is_cadre": task.cadre_id == request.user.pk,
        "is_office": may(request.user, "assignments.evaluate_task", task),
        "results": TaskResult,
    }
    return render(request, "assignments/task_detail.html", context)


def _act_on_task(request: PortalRequest, task: BreakthroughTask, action: str) -> None:
    data = request.POST
    if action == "progress":
        percent = data.get("percent", "")
        if not percent.isdigit():
            raise ValidationError(_("Tiến độ là một số từ 0 đến 100."))
        evidence = request.FILES.get("evidence")
        do_report_progress(request.user, task, int(percent), data.get("narrative", ""), evidence)
    elif action == "extension":
        do_request_extension(
            request.user, task, _date(data.get("new_deadline", "")), data.get("reason", "")
        )
    elif action == "approve":
        do_approve_task(
            request.user,
            task,
            data.get("decision_number", ""),
            _date(data.get("decision_date", "")),
            request.FILES.get("decision_file"),
        )
    elif action == "milestone":
        do_reach_milestone(
            request.user, get_object_or_404(task.milestones, pk=data.get("milestone"))
        )
    elif action in ("grant", "refuse"):
        extension = get_object_or_404(task.extensions, pk=data.get("extension"))
        do_decide_extension(request.user, extension, action == "grant", data.get("comment", ""))
    elif action == "evaluate":
        do_evaluate_task(request.user, task, data.get("result", ""), data.get("comment", ""))
    else:
        raise ValidationError(_("Thao tác không hợp lệ."))


def _date(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise ValidationError(
            _("Ngày “%(value)s” không đúng dạng dd/mm/yyyy.") % {"value": text}
        ) from None


@login_required
def task_file(request: PortalRequest, pk: int, report: int | None = None) -> FileResponse:
    """A task's decision, or a progress report's evidence, only to those who may see the task."""
    task = get_object_or_404(BreakthroughTask.objects.visible_to(request.user), pk=pk)
    stored = (
        get_object_or_404(task.progress_reports, pk=report).evidence
        if report
        else task.decision_file
    )
    if not stored:
        raise Http404
    name = f"minh-chung-{task.pk}-{report}" if report else f"quyet-dinh-{task.pk}"
    return serve_attachment(stored, name)
