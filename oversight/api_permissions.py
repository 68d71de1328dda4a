"""The API's permission gate, kept apart from ``oversight.api`` because DRF's settings import it
while ``rest_framework.views`` is still loading."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class ActionPermission(BasePermission):
    """A write needs the model permission its viewset names for the action
    (``action_permissions``). The services check it again; asking here first answers 403 before
    the body is read, so a caller without the right learns nothing from the ids it sends."""

    message = _("Bạn không có quyền làm việc này.")

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        return needed is None or bool(request.user.has_perm(needed))
