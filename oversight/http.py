"""The request as the portal's views see it, for the type checker."""

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class PortalRequest(HttpRequest):
    """A request that passed ``login_required``: ``user`` is a portal user, never anonymous."""

    user: "User"
    htmx: "HtmxDetails"


def safe_next_url(request: HttpRequest, default: str) -> str:
    """The ``next`` the form (or the address) names when it is a page of this site, else the
    URL of ``default`` (a URL name)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return resolve_url(default)


def redirect_to_next(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Go where the form's ``next`` says when it is a page of this site, else to ``default``."""
    return redirect(safe_next_url(request, default))
