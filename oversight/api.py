"""The common ground of the REST API: errors in one shape, scoped viewsets, tokens.

Every queryset goes through ``visible_to`` (out of scope answers 404), every write through the
same ``do_*`` functions as the pages (no rule is repeated in a serializer).
"""

from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.defaults import page_not_found
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from oversight.models import Unit


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
    elif isinstance(error, Http404):
        error = exceptions.NotFound()
    elif isinstance(error, DjangoPermissionDenied):
        error = exceptions.PermissionDenied(str(error) or None)
    response = drf_exception_handler(error, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        response.data = {"detail": data["detail"], "errors": {}}
    else:
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": _("Dữ liệu không hợp lệ."), "errors": flat_errors(errors)}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 of a URL that matches no route: the API's error shape under ``/api/``, so that a
    program never has to parse a page; the portal's own page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Không tìm thấy."), "errors": {}}, status=404)
    return page_not_found(request, exception or Http404())


def flat_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as one level, ``{"points.q1": [...]}``, so that every error
    body has the same shape: a field's dotted name → its messages."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            flat.update(flat_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        return {prefix or "non_field_errors": [str(e) for e in errors]}
    if isinstance(errors, list):
        flat = {}
        for index, value in enumerate(errors):
            if value:
                flat.update(flat_errors(value, f"{prefix}.{index}"))
        return flat
    return {prefix or "non_field_errors": [str(errors)]}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="field name (dotted when nested) → messages; empty unless the input was invalid",
    )


ERROR_RESPONSES = {
    "400": OpenApiResponse(ErrorSerializer, description="Invalid input; `errors` names fields."),
    "401": OpenApiResponse(ErrorSerializer, description="Not signed in, or a bad token."),
    "403": OpenApiResponse(ErrorSerializer, description="Signed in, but not allowed to do this."),
    "404": OpenApiResponse(ErrorSerializer, description="Missing, or outside the caller's scope."),
    "429": OpenApiResponse(ErrorSerializer, description="Too many attempts; wait and retry."),
}


class PortalAutoSchema(AutoSchema):
    """Every operation documents the error bodies it can answer, in the one error shape."""

    def get_override_parameters(self) -> list[Any]:
        """A list's filters are documented from the serializer that checks them."""
        parameters = list(super().get_override_parameters())
        filters = getattr(self.view, "filter_serializer", None)
        if filters is not None and self._is_list_view():
            parameters.append(filters)
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404"]
        if getattr(self.view, "throttle_scope", None):
            codes.append("429")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ERROR_RESPONSES[code], code, direction=direction
                )
        return responses


def validated_query(request: Request, serializer_class: type[serializers.Serializer]) -> Any:
    """The query string checked by a serializer of its parameters: an unknown choice, a word
    where a number belongs or an empty value is a 400 naming the parameter."""
    # A plain dict, not the QueryDict: DRF reads a blank value in form data as "not given".
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class InScopeMixin:
    """A related field that only resolves objects inside the caller's scope: an id or code
    outside it is answered like one that does not exist."""

    context: dict[str, Any]

    def get_queryset(self) -> Any:
        model = self.queryset.model  # type: ignore[attr-defined]
        return model.objects.visible_to(self.context["request"].user)


class InScopeUnitField(InScopeMixin, serializers.SlugRelatedField):
    """A unit named by its official code, inside the caller's scope. A code may have passed to
    a successor in a reorganisation: the unit bearing it now answers (``UnitQuerySet.holding``)."""

    default_error_messages = {
        "does_not_exist": _lazy("Không có mã “{value}” trong phạm vi của bạn."),
        "invalid": _lazy("Giá trị không hợp lệ."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Unit.objects.all())
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str | int):
            self.fail("invalid")
        unit = self.get_queryset().holding(str(data))
        if unit is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))
        return unit


class InScopePrimaryKeyField(InScopeMixin, serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _lazy("Không có mục số {pk_value} trong phạm vi của bạn."),
        "incorrect_type": _lazy("Hãy nhập một số."),
    }


class ScopedViewSetMixin:
    """``get_queryset`` is the model's ``visible_to(user)``: the API sees what the pages see."""

    model: ClassVar[type[Model]]
    #: action → the model permission it needs (an action not named needs none beyond login)
    action_permissions: ClassVar[dict[str, str]] = {}
    #: the list's query parameters, checked and documented (see ``PortalAutoSchema``)
    filter_serializer: ClassVar[type[serializers.Serializer] | None] = None
    request: Request
    action: str | None

    def scoped(self) -> Any:
        return self.model.objects.visible_to(self.request.user)  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The list's query parameters, validated; nothing for other actions."""
        if self.action != "list" or self.filter_serializer is None:
            return {}
        return dict(validated_query(self.request, self.filter_serializer))

    def object_and_input(
        self, serializer_class: type[serializers.Serializer]
    ) -> tuple[Any, dict[str, Any]]:
        """A detail action's object through the gate (404 outside the scope, whatever the body
        says), then its body checked by the action's input serializer (400 naming fields)."""
        target = self.get_object()  # type: ignore[attr-defined]
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return target, dict(serializer.validated_data)


class ReadOnlyScopedViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
