"""The request as the portal's views see it, for the type checker."""

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class PortalRequest(HttpRequest):
    """A request that passed ``login_required``: ``user`` is a portal user, never anonymous."""

    user: "User"
    htmx: "HtmxDetails"


def redirect_to_next(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Go where the form's ``next`` says when it is a page of this site, else to ``default``."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = default
    return redirect(target)
