from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import TenantSwitchForm
from oversight.http import PortalRequest, redirect_to_next


@login_required
@require_http_methods(["GET", "POST"])
def switch_tenant(request: PortalRequest) -> HttpResponse:
    """List the units the person may work in and switch to the one they pick."""
    form = TenantSwitchForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        unit = form.cleaned_data["unit"]
        request.user.switch_tenant(unit)
        messages.success(request, _("Đã chuyển sang làm việc tại %(unit)s.") % {"unit": unit})
        return redirect_to_next(request, "home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/switch_tenant.html", {"form": form}, status=status)
