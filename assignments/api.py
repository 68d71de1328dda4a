"""API: assignments and breakthrough tasks; writes go through the same services as the pages."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from assignments.models import Assignment, AssignmentKind, BreakthroughTask
from assignments.services import do_assign
from oversight.api import ReadOnlyScopedViewSet
from oversight.models import Unit


class AssignmentSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    member = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
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

    def get_queryset(self) -> QuerySet[Assignment]:
        return self.scoped().select_related("unit", "term").order_by("unit__path", "pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        unit = get_object_or_404(Unit.objects.visible_to(request.user), pk=data["unit"].pk)
        assignment = do_assign(
            request.user,
            data["member"],
            unit,
            kind=data["kind"],
            start_date=data.get("start_date"),
            note=data.get("note", ""),
        )
        return Response(self.get_serializer(assignment).data, status=201)


class TaskSerializer(serializers.ModelSerializer):
    owner_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = BreakthroughTask
        fields = ["id", "title", "kind", "cadre", "owner_unit", "year", "deadline",
                  "expected_result", "target", "status", "result", "decision_number",
                  "decision_date"]  # fmt: skip


class TaskViewSet(ReadOnlyScopedViewSet):
    model = BreakthroughTask
    serializer_class = TaskSerializer

    def get_queryset(self) -> QuerySet[BreakthroughTask]:
        tasks = self.scoped().select_related("owner_unit").order_by("year", "deadline", "pk")
        year = self.request.query_params.get("year", "")
        return tasks.filter(year=int(year)) if year.isdigit() else tasks
