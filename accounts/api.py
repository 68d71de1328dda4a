"""API: people and their positions, as far as the caller's scope reaches."""

from django.db.models import QuerySet
from rest_framework import serializers

from accounts.models import Position, User
from oversight.api import ReadOnlyScopedViewSet


class PositionSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    term = serializers.StringRelatedField()

    class Meta:
        model = Position
        fields = ["id", "user", "unit", "role", "title", "term", "start_date", "end_date"]


class PositionViewSet(ReadOnlyScopedViewSet):
    model = Position
    serializer_class = PositionSerializer

    def get_queryset(self) -> QuerySet[Position]:
        return self.scoped().select_related("unit", "term").order_by("unit__path", "pk")


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email", "staff_number"]


class PersonViewSet(ReadOnlyScopedViewSet):
    """People holding a position in the caller's scope."""

    model = Position
    serializer_class = PersonSerializer

    def get_queryset(self) -> QuerySet[User]:
        holders = self.scoped().values("user_id")
        return User.objects.filter(pk__in=holders).order_by("full_name", "pk")
