from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import middleware as otp_middleware

from accounts import access, two_factor

#: what a session may reach before its second factor: signing in and out, the second factor
#: itself, the language switch, static files, the health check and the unsubscribe links
OPEN_PREFIXES = (
    "/login/",
    "/logout/",
    "/account/two-factor/",
    "/i18n/",
    "/static/",
    "/health/",
    "/unsubscribe/",
)


class RequireTwoFactorMiddleware:
    """A signed-in session that owes a second factor reaches nothing else until it gives one:
    pages redirect to the code (or to setting up a device), the API answers 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            state = two_factor.session_state(request.session, user)
            if state != two_factor.NONE:
                if request.path.startswith("/api/"):
                    message = _("Hãy xác thực hai lớp trước.")
                    return JsonResponse({"detail": message, "errors": {}}, status=403)
                page = "two-factor-verify" if state == two_factor.VERIFY else "two-factor"
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse(page)}?{query}")
        return self.get_response(request)


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's, finding the session's authenticator among the person's confirmed ones
    read with their access (``accounts.access``) instead of a query on every request."""

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        devices = access.known_devices(user) if user.is_authenticated else None
        if devices is None:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY) or ""
        device = devices.get(self._normalize_persistent_id(persistent_id))
        user.otp_device = self._finalize_device(request, user, device)
        return user
