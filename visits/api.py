"""API: meetings and visits, with the review actions; the rules are the pages' rules."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from oversight.api import InScopePrimaryKeyField, InScopeUnitField, ReadOnlyScopedViewSet
from oversight.http import unit_or_404
from oversight.models import Unit
from visits.models import (
    REPLAY_CONFLICT_MESSAGE,
    FieldVisitType,
    Meeting,
    Visit,
    VisitKind,
    VisitStatus,
)
from visits.services import (
    do_accept_visit,
    do_add_thematic_meeting,
    do_cancel_meeting,
    do_move_meeting,
    do_return_visit,
    do_save_visit,
    do_score_meeting,
    do_submit_visit,
)


class MeetingSerializer(serializers.ModelSerializer):
    cell = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "cell", "kind", "month", "date", "time", "place", "topic", "status",
                  "original_date", "change_reason", "self_points", "self_total",
                  "self_rating"]  # fmt: skip


class NewThematicMeetingSerializer(serializers.Serializer):
    cell = InScopeUnitField()
    date = serializers.DateField()
    topic = serializers.CharField(max_length=255)
    time = serializers.TimeField(required=False, allow_null=True)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MeetingFilter(serializers.Serializer):
    unit = serializers.CharField(
        required=False, max_length=32, help_text="official code: only the meetings under it"
    )


class MoveSerializer(serializers.Serializer):
    new_date = serializers.DateField()
    reason = serializers.CharField()


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ScoreSerializer(serializers.Serializer):
    points = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="criterion code → points, every criterion of the province's score sheet",
    )


class MeetingViewSet(mixins.CreateModelMixin, ReadOnlyScopedViewSet):
    """Meetings of the cells in scope (``unit``: only those under that code). The office schedules
    thematic meetings; the office and the cell's secretary move a meeting within its month,
    cancel it, or record the cell's own score."""

    model = Meeting
    serializer_class = MeetingSerializer
    filter_serializer = MeetingFilter
    action_permissions = {
        "create": "visits.add_meeting",
        "move": "visits.change_meeting",
        "cancel": "visits.change_meeting",
        "score": "visits.change_meeting",
    }

    def get_queryset(self) -> QuerySet[Meeting]:
        meetings = self.scoped().select_related("cell").order_by("date", "pk")
        unit_code = self.filters().get("unit")
        if unit_code:
            unit = unit_or_404(Unit.objects.visible_to(self.request.user), unit_code)
            meetings = meetings.within(unit)
        return meetings

    @extend_schema(request=NewThematicMeetingSerializer, responses={201: MeetingSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Schedule a thematic meeting of a cell (regular ones come from its schedule)."""
        serializer = NewThematicMeetingSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        meeting = do_add_thematic_meeting(
            request.user, data["cell"], data["date"], data["topic"], data.get("time"), data["place"]
        )
        return Response(self.get_serializer(meeting).data, status=201)

    @extend_schema(request=MoveSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        target, data = self.object_and_input(MoveSerializer)
        meeting = do_move_meeting(request.user, target, data["new_date"], data["reason"])
        return Response(self.get_serializer(meeting).data)

    @extend_schema(request=CancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        target, data = self.object_and_input(CancelSerializer)
        meeting = do_cancel_meeting(request.user, target, data["reason"])
        return Response(self.get_serializer(meeting).data)

    @extend_schema(request=ScoreSerializer)
    @action(detail=True, methods=["post"])
    def score(self, request: Request, pk: str | None = None) -> Response:
        target, data = self.object_and_input(ScoreSerializer)
        meeting = do_score_meeting(request.user, target, data["points"])
        return Response(self.get_serializer(meeting).data)


class VisitSerializer(serializers.ModelSerializer):
    member = InScopePrimaryKeyField(
        queryset=User.objects.all(),
        required=False,
        help_text="whose visit: the caller when left out; office staff may log for a member",
    )
    unit = InScopeUnitField(required=False)
    meeting = InScopePrimaryKeyField(
        queryset=Meeting.objects.all(), required=False, allow_null=True
    )
    score_points = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        help_text="the visiting member's score: criterion code → points, or null to clear it",
    )
    field_type = serializers.ChoiceField(
        choices=FieldVisitType.choices, required=False, allow_blank=True
    )
    client_id = serializers.UUIDField(
        source="client_token",
        required=False,
        help_text="made by the client when the record is started; sending it again is "
        "harmless: the same content answers 200 with the visit it made, other content 409",
    )

    class Meta:
        model = Visit
        fields = ["id", "client_id", "member", "kind", "meeting", "unit", "date", "field_type",
                  "members_present", "members_total", "findings", "recommendations",
                  "follow_up_needed", "score_points", "score_total", "rating", "status",
                  "review_comment", "submitted_at", "reviewed_at"]  # fmt: skip
        read_only_fields = ["id", "score_total", "rating", "status", "review_comment",
                            "submitted_at", "reviewed_at"]  # fmt: skip
        extra_kwargs = {"date": {"required": False}}
        # The model's constraints are checked by its full_clean() in the service, once.
        validators: list[Any] = []


class VisitFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=VisitStatus.choices, required=False)


class VisitViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyScopedViewSet):
    """Visits in scope; a member logs their own (``kind`` meeting with ``meeting``, or field with
    ``unit``, ``date`` and ``field_type``), then submits; office staff accept or return."""

    model = Visit
    serializer_class = VisitSerializer
    filter_serializer = VisitFilter
    action_permissions = {
        "create": "visits.add_visit",
        "partial_update": "visits.change_visit",
        "submit": "visits.change_visit",
        "accept": "visits.review_visit",
        "return_": "visits.review_visit",
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    keyset_paging = True  # newest first by (date, id), by key unless ``?paging=count``

    def get_queryset(self) -> QuerySet[Visit]:
        visits = self.scoped().select_related("unit").order_by("-date", "-pk")
        status = self.filters().get("status")
        return visits.filter(status=status) if status else visits

    def _save(self, visit: Visit, data: dict[str, Any], submit: bool) -> Response:
        scored, points = "score_points" in data, data.pop("score_points", None)
        for name, value in data.items():
            setattr(visit, name, value)
        if scored:
            visit.apply_score(points)
        saved = do_save_visit(self.request.user, visit, submit=submit)
        return Response(self.get_serializer(saved).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        token = data.pop("client_token", None)
        if token is not None:
            existing = Visit.objects.visible_to(request.user).filter(client_token=token).first()
            if existing is not None:
                return self._replayed(existing, data)
        visit = Visit(
            member=data.pop("member", request.user),
            logged_by=request.user,
            kind=data.pop("kind", VisitKind.MEETING),
        )
        if token is not None:
            visit.client_token = token
        response = self._save(visit, data, submit=False)
        response.status_code = 201
        return response

    def _replayed(self, existing: Visit, data: dict[str, Any]) -> Response:
        """ODK Central's rule for a client id sent again: the same content is the visit it
        made (200), other content a conflict naming the fields that differ (409)."""
        differing = existing.replay_differences(data)
        if not differing:
            return Response(self.get_serializer(existing).data)
        detail = REPLAY_CONFLICT_MESSAGE % {"fields": ", ".join(differing)}
        errors = {name: [str(_("khác với bản ghi đã nhận"))] for name in differing}
        return Response({"detail": detail, "errors": errors}, status=409)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        visit = self.get_object()
        serializer = self.get_serializer(visit, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {
            k: v
            for k, v in serializer.validated_data.items()
            if k not in ("member", "kind", "meeting", "client_token")
        }
        return self._save(visit, data, submit=False)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        visit = do_submit_visit(request.user, self.get_object())
        return Response(self.get_serializer(visit).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        visit = do_accept_visit(request.user, self.get_object())
        return Response(self.get_serializer(visit).data)

    @extend_schema(request=inline_serializer("ReturnRequest", {"comment": serializers.CharField()}))
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        visit = do_return_visit(
            request.user, self.get_object(), str(request.data.get("comment", ""))
        )
        return Response(self.get_serializer(visit).data)
