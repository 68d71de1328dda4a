"""API: people and their positions, as far as the caller's scope reaches; writes through
``accounts.services`` like the import does."""

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import two_factor
from accounts.models import Position, User
from accounts.roles import Role
from accounts.services import (
    PERSON_DETAILS,
    do_add_person,
    do_appoint,
    do_end_position,
    do_update_person,
)
from oversight.api import InScopePrimaryKeyField, InScopeUnitField, ReadOnlyScopedViewSet


class PositionSerializer(serializers.ModelSerializer):
    user = InScopePrimaryKeyField(queryset=User.objects.all())
    unit = InScopeUnitField()
    term = serializers.StringRelatedField()

    class Meta:
        model = Position
        fields = ["id", "user", "unit", "role", "title", "term", "start_date", "end_date"]
        read_only_fields = ["id", "term", "end_date"]
        extra_kwargs = {"start_date": {"required": False}}


class EndSerializer(serializers.Serializer):
    end_date = serializers.DateField(required=False, help_text="today when left out")


class PositionViewSet(mixins.CreateModelMixin, ReadOnlyScopedViewSet):
    """Positions in scope; the office appoints people it can see and ends positions."""

    model = Position
    serializer_class = PositionSerializer
    action_permissions = {"create": "accounts.add_position", "end": "accounts.change_position"}

    def get_queryset(self) -> QuerySet[Position]:
        return self.scoped().select_related("unit", "term").order_by("unit__path", "pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        position = do_appoint(
            request.user,
            data["user"],
            data["unit"],
            data["role"],
            title=data.get("title", ""),
            start_date=data.get("start_date"),
        )
        return Response(self.get_serializer(position).data, status=201)

    @extend_schema(request=EndSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        target, data = self.object_and_input(EndSerializer)
        position = do_end_position(request.user, target, data.get("end_date"))
        return Response(self.get_serializer(position).data)


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", *PERSON_DETAILS]
        read_only_fields = ["id", "username"]


class NewPersonSerializer(serializers.Serializer):
    """A new person and the first position they hold."""

    username = serializers.CharField(max_length=150)
    full_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True)
    staff_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    unit = InScopeUnitField()
    role = serializers.ChoiceField(choices=Role.choices)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    start_date = serializers.DateField(required=False)


class PersonViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyScopedViewSet):
    """People holding a position in the caller's scope; the office adds and corrects them."""

    model = User
    serializer_class = PersonSerializer
    action_permissions = {
        "create": "accounts.add_position",
        "partial_update": "accounts.change_position",
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[User]:
        return self.scoped().order_by("full_name", "pk")

    @extend_schema(request=NewPersonSerializer, responses={201: PersonSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = NewPersonSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        position = do_add_person(
            request.user,
            username=data.pop("username"),
            unit=data.pop("unit"),
            role=data.pop("role"),
            title=data.pop("title", ""),
            start_date=data.pop("start_date", None),
            **data,
        )
        return Response(self.get_serializer(position.user).data, status=201)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        serializer = self.get_serializer(person, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = do_update_person(request.user, person, **serializer.validated_data)
        return Response(self.get_serializer(updated).data)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="the authenticator's code, for two-factor accounts",
    )


class TokenView(APIView):
    """``POST {"username", "password", "otp"}`` → ``{"token"}``; ``DELETE`` revokes the caller's
    token. ``otp`` (the authenticator's code) is needed by those who use a second factor."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request: Request) -> Response:
        # django-axes keeps its lockout flag on Django's request, not on DRF's wrapper.
        django_request = request._request
        # A body whose fields are not texts (a number, an object) is a 400 naming the field,
        # before it can reach the password hasher.
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(
            django_request,
            username=credentials.validated_data["username"],
            password=credentials.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            django_request.axes_locked_out = False  # answered here, in the API's error shape
            raise exceptions.Throttled(detail=_("Đăng nhập sai quá nhiều lần; tài khoản tạm khóa."))
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("Tên đăng nhập hoặc mật khẩu không đúng."))
        second_factor = two_factor.state_at_sign_in(user)
        if second_factor == two_factor.SET_UP:
            raise exceptions.AuthenticationFailed(
                {"otp": [_("Hãy bật xác thực hai lớp trong cổng trước khi lấy token.")]}
            )
        if second_factor == two_factor.VERIFY:
            code = credentials.validated_data.get("otp", "").strip()
            # An empty code is not tried: a failed try makes the device wait before the next.
            if not code or two_factor.matching_device(user, code) is None:
                raise exceptions.AuthenticationFailed(
                    {"otp": [_("Mã xác thực không đúng hoặc đã hết hạn.")]}
                )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
