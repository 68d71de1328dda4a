from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assignments.forms import AssignForm
from assignments.models import Assignment
from assignments.services import do_assign, do_end_assignment, do_reassign
from oversight.forms import attach_errors
from oversight.http import PortalRequest
from oversight.models import Unit


@login_required
def assign(request: PortalRequest, code: str) -> HttpResponse:
    """Assign a member to this unit, or hand it over to them (ending the current one)."""
    unit = get_object_or_404(Unit.objects.visible_to(request.user), code=code)
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
    return redirect("unit-detail", assignment.unit.code)
