from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from accounts import two_factor
from accounts.forms import CodeForm, TenantSwitchForm
from oversight.http import PortalRequest, redirect_to_next, safe_next_url


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


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_settings(request: PortalRequest) -> HttpResponse:
    """Set up (or replace) the authenticator on one's phone: scan the code, type what it shows."""
    device = two_factor.pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.do_confirm_device(request.user, device, form.cleaned_data["code"]):
            otp_login(request, device)
            messages.success(request, _("Đã bật xác thực hai lớp."))
            return redirect_to_next(request, "home")
        form.add_error("code", _("Mã không đúng hoặc đã hết hạn; hãy nhập mã đang hiện."))
    context = {
        "form": form,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5),
        "secret": b32encode(device.bin_key).decode(),
        "has_device": two_factor.has_device(request.user),
        "required": two_factor.requires_two_factor(request.user),
        "next": safe_next_url(request, "home"),
    }
    status = 400 if form.errors else 200
    return render(request, "registration/two_factor_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: PortalRequest) -> HttpResponse:
    """The second step of signing in: the code from the authenticator."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.matching_device(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect_to_next(request, "home")
        form.add_error("code", _("Mã không đúng hoặc đã hết hạn; hãy nhập mã đang hiện."))
    context = {"form": form, "next": safe_next_url(request, "home")}
    status = 400 if form.errors else 200
    return render(request, "registration/two_factor_verify.html", context, status=status)
