"""The reorganisation pages: the plans one may see, an upload, the dry run with its choices,
and the confirmation. Every plan is read through ``visible_to``; the rights are the services'."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.rights import may_somewhere
from oversight.forms import attach_errors
from oversight.http import PortalRequest
from oversight.importing import UnitImportError
from oversight.models import ReorganisationPlan
from oversight.reform import services
from oversight.reform.carry_over import do_carry_over, proposals
from oversight.reform.forms import PlanUploadForm
from oversight.reform.plan import impact

ROWS_PER_TABLE = 200


def _may_plan(request: PortalRequest) -> None:
    if not may_somewhere(request.user, services.RIGHT):
        raise PermissionDenied


@login_required
def plan_list(request: PortalRequest) -> HttpResponse:
    """The plans in one's scope, and the upload of a new one."""
    _may_plan(request)
    form = PlanUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.do_create_plan(
                request.user,
                form.files_given(),
                data["effective_date"],
                data["basis_number"],
                data["basis_date"],
            )
        except UnitImportError as error:
            form.add_error("tree", [str(problem) for problem in error.problems])
        except PermissionDenied as denied:
            form.add_error(None, str(denied))
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return redirect("reform-plan", plan.pk)
    plans = list(
        ReorganisationPlan.objects.visible_to(request.user).select_related(
            "province", "created_by", "applied_by"
        )
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "reform/plan_list.html", {"plans": plans, "form": form}, status=status)


@login_required
def plan_detail(request: PortalRequest, pk: int) -> HttpResponse:
    """The dry run: totals, what blocks, each row; cells placed and unresolved rows chosen here
    (``save``), then the confirmation (``apply``), which recomputes it all before writing."""
    plan = get_object_or_404(ReorganisationPlan.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        return _post(request, plan)
    result = impact(plan)
    unresolved = [p for p in result.problems if p.kind == "unresolved"]
    context: dict[str, Any] = {
        "plan": plan,
        "result": result,
        "totals": result.totals,
        "communes": result.new_communes,
        "unresolved": unresolved,
        "creates": Paginator(result.creates, ROWS_PER_TABLE).get_page(request.GET.get("page")),
        "cells": result.cells[:ROWS_PER_TABLE],
        "endings": result.endings[:ROWS_PER_TABLE],
        "limit": ROWS_PER_TABLE,
    }
    return render(request, "reform/plan_detail.html", context)


def _post(request: PortalRequest, plan: ReorganisationPlan) -> HttpResponse:
    try:
        if "apply" in request.POST:
            totals = services.do_apply_plan(request.user, plan)
            messages.success(
                request,
                _("Đã áp dụng phương án: %(created)s đơn vị mới, %(cells)s chi bộ chuyển.")
                % {"created": totals.get("created", 0), "cells": totals.get("cells_moved", 0)},
            )
        else:
            services.do_save_choices(
                request.user,
                plan,
                _prefixed(request, "place-"),
                _prefixed(request, "choose-"),
            )
            messages.success(request, _("Đã lưu lựa chọn; kết quả chạy thử đã tính lại."))
    except services.PlanRefused as refused:
        for problem in refused.problems[:20]:
            messages.error(request, str(problem))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("reform-plan", plan.pk)


@login_required
def carry_over(request: PortalRequest, pk: int) -> HttpResponse:
    """After a plan: the overseers of the old communes proposed for the new ones, edited and
    confirmed in one go."""
    plan = get_object_or_404(ReorganisationPlan.objects.visible_to(request.user), pk=pk)
    offered = proposals(plan)
    if request.method == "POST":
        chosen = {
            proposal.assignment.pk: request.POST.get(f"to-{proposal.assignment.pk}", "")
            for proposal in offered
            if request.POST.get(f"take-{proposal.assignment.pk}")
        }
        try:
            made = do_carry_over(request.user, plan, chosen)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("Đã phân công %(count)s cấp ủy viên.") % {"count": made})
            return redirect("reform-carry-over", plan.pk)
    return render(request, "reform/carry_over.html", {"plan": plan, "proposals": offered})


def _prefixed(request: PortalRequest, prefix: str) -> dict[str, str]:
    return {
        key.removeprefix(prefix): str(request.POST.get(key, "")).strip()
        for key in request.POST
        if key.startswith(prefix)
    }
