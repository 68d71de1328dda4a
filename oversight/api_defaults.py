"""The classes DRF's settings name (token authentication, the permission gate, the pagination),
kept apart from ``oversight.api`` because DRF imports them while ``rest_framework.views`` is
still loading."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts import access
from accounts.rights import may_somewhere


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's, reading the token's person with the access epoch in the same query and their
    access from the cache (``accounts.access``), as a signed-in session does."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        model = self.get_model()
        token = (
            model.objects.select_related("user")
            .annotate(**{access.EPOCH: access.epoch()})
            .filter(key=key)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Mã truy cập không hợp lệ."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Tài khoản đã bị khóa hoặc xóa."))
        setattr(token.user, access.EPOCH, getattr(token, access.EPOCH))
        access.attach(token.user)
        return token.user, token


class ActionPermission(BasePermission):
    """A write needs the model permission its viewset names for the action
    (``action_permissions``). The services check it again; asking here first answers 403 before
    the body is read, so a caller without the right learns nothing from the ids it sends."""

    message = gettext_lazy("Bạn không có quyền làm việc này.")

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        return needed is None or may_somewhere(request.user, needed)


class PortalPagination(LimitOffsetPagination):
    """``limit`` (1 to 500, default 50) and ``offset``; a value that is not a whole number in
    range is refused with a 400 naming the parameter rather than quietly replaced."""

    max_limit = 500

    max_offset = 2**31 - 1

    def _whole_number(
        self, request: Request, name: str, minimum: int, maximum: int, default: int
    ) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if raw.isascii() and raw.isdigit() and minimum <= int(raw) <= maximum:
            return int(raw)
        raise exceptions.ValidationError(
            {
                name: [
                    _("Hãy nhập một số nguyên từ %(min)s đến %(max)s.")
                    % {"min": minimum, "max": maximum}
                ]
            }
        )

    def get_limit(self, request: Request) -> int:
        default = self.default_limit or 50
        return self._whole_number(request, self.limit_query_param, 1, self.max_limit, default)

    def get_offset(self, request: Request) -> int:
        return self._whole_number(request, self.offset_query_param, 0, self.max_offset, 0)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0, "maximum": self.max_offset},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
