"""The request as the portal's views see it, for the type checker."""

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User


class PortalRequest(HttpRequest):
    """A request that passed ``login_required``: ``user`` is a portal user, never anonymous."""

    user: "User"
    htmx: "HtmxDetails"
