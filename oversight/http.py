"""The request as the portal's views see it, and the values its views read from it."""

import datetime
import uuid
from typing import TYPE_CHECKING

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import User
    from oversight.models import Unit, UnitQuerySet


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


def unit_or_404(units: "UnitQuerySet", code: str, on: datetime.date | None = None) -> "Unit":
    """The unit bearing ``code`` among ``units`` (see ``UnitQuerySet.holding``), or 404."""
    unit = units.holding(code, on=on)
    if unit is None:
        raise Http404(_("Không tìm thấy."))
    return unit


def date_from(value: str, field: str) -> datetime.date | None:
    """An ISO date from the address (``?on=2024-06-30``), None when absent, else a 400 naming
    the field."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            _("Trường %(field)s không hợp lệ: cần một ngày dạng YYYY-MM-DD.") % {"field": field}
        ) from None


def id_from(value: str) -> int:
    """A row's id as a person or a link gave it; anything but a whole number names no row,
    so it answers 404 like a missing one, never a 500."""
    if not value.isdecimal() or len(value) > 18:
        raise Http404(_("Không tìm thấy."))
    return int(value)


def uuid_from(value: str, field: str) -> uuid.UUID:
    """A UUID from a form (the draft's ``client_token``), or a 400 naming the field."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadRequest(
            _("Trường %(field)s không hợp lệ: cần một mã UUID.") % {"field": field}
        ) from None
