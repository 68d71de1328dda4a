"""API: assignments and breakthrough tasks; writes go through the same services as the pages."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import EndSerializer
from accounts.models import User
from assignments.models import (
    Assignment,
    AssignmentKind,
    BreakthroughTask,
    ExtensionRequest,
    ExtensionStatus,
    TaskProgress,
    TaskResult,
)
from assignments.services import (
    do_approve_task,
    do_assign,
    do_decide_extension,
    do_end_assignment,
    do_evaluate_task,
    do_propose_task,
    do_report_progress,
    do_request_extension,
)
from oversight.api import InScopePrimaryKeyField, InScopeUnitField, ReadOnlyScopedViewSet


class AssignmentSerializer(serializers.ModelSerializer):
    unit = InScopeUnitField()
    member = InScopePrimaryKeyField(queryset=User.objects.all())
    term = serializers.StringRelatedField()
    kind = serializers.ChoiceField(choices=AssignmentKind.choices, default=AssignmentKind.IN_CHARGE)

    class Meta:
        model = Assignment
        fields = ["id", "member", "unit", "term", "kind", "start_date", "end_date", "note"]
        read_only_fields = ["id", "term", "end_date"]
        extra_kwargs = {"start_date": {"required": False}}


class AssignmentViewSet(mixins.CreateModelMixin, ReadOnlyScopedViewSet):
    model = Assignment
    serializer_class = AssignmentSerializer
    action_permissions = {
        "create": "assignments.add_assignment",
        "end": "assignments.add_assignment",
    }

    def get_queryset(self) -> QuerySet[Assignment]:
        return self.scoped().select_related("unit", "term").order_by("unit__path", "pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assignment = do_assign(
            request.user,
            data["member"],
            data["unit"],
            kind=data["kind"],
            start_date=data.get("start_date"),
            note=data.get("note", ""),
        )
        return Response(self.get_serializer(assignment).data, status=201)

    @extend_schema(request=EndSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        target, data = self.object_and_input(EndSerializer)
        assignment = do_end_assignment(request.user, target, data.get("end_date"))
        return Response(self.get_serializer(assignment).data)


class TaskSerializer(serializers.ModelSerializer):
    owner_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    cadre = InScopePrimaryKeyField(queryset=User.objects.all())

    class Meta:
        model = BreakthroughTask
        fields = ["id", "title", "description", "kind", "cadre", "owner_unit", "year",
                  "deadline", "expected_result", "target", "status", "result", "evaluation",
                  "decision_number", "decision_date"]  # fmt: skip
        read_only_fields = ["id", "owner_unit", "status", "result", "evaluation",
                            "decision_number", "decision_date"]  # fmt: skip


class ApproveSerializer(serializers.Serializer):
    decision_number = serializers.CharField(max_length=64)
    decision_date = serializers.DateField()


class ProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField(min_value=0, max_value=100)
    narrative = serializers.CharField()


class ProgressReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskProgress
        fields = ["id", "date", "percent", "narrative"]


class ExtensionRequestSerializer(serializers.Serializer):
    new_deadline = serializers.DateField()
    reason = serializers.CharField()


class ExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExtensionRequest
        fields = ["id", "new_deadline", "reason", "status", "decision_comment"]


class ExtensionDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class EvaluationSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=TaskResult.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TaskFilter(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class TaskViewSet(mixins.CreateModelMixin, ReadOnlyScopedViewSet):
    """Breakthrough and commissioned tasks in scope. The office proposes, approves, decides
    extensions and evaluates; the cadre reports progress and asks for extensions."""

    model = BreakthroughTask
    serializer_class = TaskSerializer
    filter_serializer = TaskFilter
    action_permissions = {
        "create": "assignments.add_breakthroughtask",
        "approve": "assignments.evaluate_task",
        "decide_extension": "assignments.evaluate_task",
        "evaluate": "assignments.evaluate_task",
    }

    def get_queryset(self) -> QuerySet[BreakthroughTask]:
        tasks = self.scoped().select_related("owner_unit").order_by("year", "deadline", "pk")
        year = self.filters().get("year")
        return tasks.filter(year=year) if year else tasks

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        task = do_propose_task(request.user, data.pop("cadre"), **data)
        return Response(self.get_serializer(task).data, status=201)

    @extend_schema(request=ApproveSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        target, data = self.object_and_input(ApproveSerializer)
        task = do_approve_task(request.user, target, data["decision_number"], data["decision_date"])
        return Response(self.get_serializer(task).data)

    @extend_schema(request=ProgressSerializer, responses={201: ProgressReportSerializer})
    @action(detail=True, methods=["post"])
    def progress(self, request: Request, pk: str | None = None) -> Response:
        target, data = self.object_and_input(ProgressSerializer)
        report = do_report_progress(request.user, target, data["percent"], data["narrative"])
        return Response(ProgressReportSerializer(report).data, status=201)

    @extend_schema(request=ExtensionRequestSerializer, responses={201: ExtensionSerializer})
    @action(detail=True, methods=["post"])
    def extension(self, request: Request, pk: str | None = None) -> Response:
        target, data = self.object_and_input(ExtensionRequestSerializer)
        extension = do_request_extension(request.user, target, data["new_deadline"], data["reason"])
        return Response(ExtensionSerializer(extension).data, status=201)

    @extend_schema(request=ExtensionDecisionSerializer, responses=ExtensionSerializer)
    @action(detail=True, methods=["post"], url_path="decide-extension")
    def decide_extension(self, request: Request, pk: str | None = None) -> Response:
        task, data = self.object_and_input(ExtensionDecisionSerializer)
        pending = task.extensions.filter(status=ExtensionStatus.PENDING).first()
        if pending is None:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Không có đề nghị gia hạn nào đang chờ.")]}
            )
        decided = do_decide_extension(request.user, pending, data["approve"], data["comment"])
        return Response(ExtensionSerializer(decided).data)

    @extend_schema(request=EvaluationSerializer)
    @action(detail=True, methods=["post"])
    def evaluate(self, request: Request, pk: str | None = None) -> Response:
        target, data = self.object_and_input(EvaluationSerializer)
        task = do_evaluate_task(request.user, target, data["result"], data["comment"])
        return Response(self.get_serializer(task).data)
