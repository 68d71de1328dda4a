"""The common ground of the REST API: errors in one shape, scoped viewsets, tokens.

Every queryset goes through ``visible_to`` (out of scope answers 404), every write through the
same ``do_*`` functions as the pages (no rule is repeated in a serializer).
"""

from typing import Any, ClassVar

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    """Answer every error as ``{"detail": ..., "errors": {field: [...]}}`` in the user's language;
    the model's and the services' own errors become 400, 403 and 404 like DRF's."""
    if isinstance(error, DjangoValidationError):
        errors = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {"non_field_errors": error.messages}
        )
        error = exceptions.ValidationError(errors)
    elif isinstance(error, DjangoPermissionDenied):
        error = exceptions.PermissionDenied(str(error) or None)
    elif isinstance(error, Http404):
        error = exceptions.NotFound()
    response = drf_exception_handler(error, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        response.data = {"detail": data["detail"], "errors": {}}
    else:
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": _("Dữ liệu không hợp lệ."), "errors": errors}
    return response


class ScopedViewSetMixin:
    """``get_queryset`` is the model's ``visible_to(user)``: the API sees what the pages see."""

    model: ClassVar[type[Model]]
    request: Request

    def scoped(self) -> Any:
        return self.model.objects.visible_to(self.request.user)  # type: ignore[attr-defined]


class TokenView(APIView):
    """``POST {"username", "password"}`` → ``{"token"}``; ``DELETE`` revokes the caller's token."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request: Request) -> Response:
        user = authenticate(
            request, username=request.data.get("username"), password=request.data.get("password")
        )
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("Tên đăng nhập hoặc mật khẩu không đúng."))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadOnlyScopedViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
