"""The classes DRF's settings name (token authentication, the permission gate, the pagination),
kept apart from ``oversight.api`` because DRF imports them while ``rest_framework.views`` is
still loading."""

from typing import Any

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from accounts import access
from accounts.rights import may_somewhere
from oversight.paging import KeysetPage, keyset_page


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's, reading the token's person with the access epoch in one written-out query
    (``accounts.access.person_of_token``) and their access from the cache, as a signed-in
    session does."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user = access.person_of_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Mã truy cập không hợp lệ."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("Tài khoản đã bị khóa hoặc xóa."))
        access.attach(user)
        token = self.get_model()(key=key, user=user, created=user.token_created)  # type: ignore[attr-defined]
        return user, token


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
    range is refused with a 400 naming the parameter rather than quietly replaced.

    A list ordered newest first by (date, id) (a viewset with ``keyset_paging``: the visits)
    pages by key unless asked otherwise: its first page, then the ``next`` and ``previous``
    links (``after`` / ``before`` a key, ``oversight.paging``). Those pages cost their rows
    along the (date, id) index and carry no ``count``: a province's 44,736 visits are not
    counted on every request. ``?paging=count``, or an ``offset`` without a key, asks for the
    counted pages every other list gives."""

    max_limit = 500

    max_offset = 2**31 - 1

    keyset: KeysetPage | None = None

    # Counted pages of a list that pages by key by default: their links must ask again, or the
    # first page's ``previous`` (which drops ``offset``) would lead to a page by key.
    counted_by_request = False

    def _pages_by_key(self, request: Request, view: Any) -> bool:
        if not getattr(view, "keyset_paging", False):
            return False
        params = request.query_params
        paging = params.get("paging")
        if paging not in (None, "key", "count"):
            raise exceptions.ValidationError(
                {"paging": [_("Chỉ nhận giá trị “key” hoặc “count”.")]}
            )
        keyed = "after" in params or "before" in params
        if paging == "count" and keyed:
            raise exceptions.ValidationError(
                {"paging": [_("Trang đếm (“count”) không đi cùng khóa after/before.")]}
            )
        return paging == "key" or keyed or (paging is None and "offset" not in params)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        if not self._pages_by_key(request, view):
            self.counted_by_request = getattr(view, "keyset_paging", False)
            return super().paginate_queryset(queryset, request, view)
        self.request, self.limit = request, self.get_limit(request)
        self.get_offset(request)  # not used by key, but refused as anywhere when malformed
        for name in ("after", "before"):
            if name in request.query_params and not request.query_params[name]:
                raise exceptions.ValidationError({name: [_("Hãy cho khóa của trang.")]})
        try:
            self.keyset = keyset_page(
                queryset,
                request.query_params.get("after", ""),
                request.query_params.get("before", ""),
                self.limit,
            )
        except BadRequest as error:
            name = "before" if "before" in request.query_params else "after"
            raise exceptions.ValidationError({name: [str(error)]}) from None
        return self.keyset.rows

    def _key_link(self, name: str, key: str | None) -> str | None:
        if key is None:
            return None
        url = self.request.build_absolute_uri()
        for other in ("after", "before", "offset"):
            url = remove_query_param(url, other)
        return replace_query_param(replace_query_param(url, "paging", "key"), name, key)

    def get_next_link(self) -> str | None:
        return self._counted(super().get_next_link())

    def get_previous_link(self) -> str | None:
        return self._counted(super().get_previous_link())

    def _counted(self, link: str | None) -> str | None:
        if link is None or not self.counted_by_request:
            return link
        return replace_query_param(link, "paging", "count")

    def get_paginated_response(self, data: Any) -> Response:
        if self.keyset is None:
            return super().get_paginated_response(data)
        return Response(
            {
                "next": self._key_link("after", self.keyset.older),
                "previous": self._key_link("before", self.keyset.newer),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated: dict[str, Any] = super().get_paginated_response_schema(schema)
        paginated["required"] = [name for name in paginated["required"] if name != "count"]
        paginated["properties"]["count"]["description"] = _("Không có khi phân trang theo khóa.")
        return paginated

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
        if getattr(view, "keyset_paging", False):
            described = {
                "paging": _(
                    "“key” (mặc định): phân trang theo khóa, không đếm; “count”: trang đếm "
                    "theo offset, có count."
                ),
                "after": _("Khóa của trang tiếp theo (liên kết “next”)."),
                "before": _("Khóa của trang trước (liên kết “previous”)."),
            }
            parameters += [
                {
                    "name": name,
                    "required": False,
                    "in": "query",
                    "description": description,
                    "schema": {"type": "string", "enum": ["key", "count"]}
                    if name == "paging"
                    else {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}\.\d+$"},
                }
                for name, description in described.items()
            ]
        return parameters
