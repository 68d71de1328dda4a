"""API: units and the reports."""

from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from oversight.api import ReadOnlyScopedViewSet, validated_query
from oversight.http import unit_or_404
from oversight.models import Level, Unit, UnitQuerySet
from oversight.replica import reads_from_replica
from oversight.reporting import reports
from oversight.reporting.forms import MAX_MONTHS, ReportForm


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    merged_into = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "level", "division_type", "parent", "path", "is_active",
                  "valid_from", "valid_to", "merged_into"]  # fmt: skip


class UnitFilter(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    parent = serializers.CharField(
        required=False, max_length=32, help_text="official code of the parent unit"
    )
    code = serializers.CharField(required=False, max_length=32)
    q = serializers.CharField(
        required=False, max_length=100, help_text="name or code, diacritics optional"
    )


class UnitViewSet(ReadOnlyScopedViewSet):
    """Units in the caller's scope, addressed by their official code."""

    model = Unit
    serializer_class = UnitSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filter_serializer = UnitFilter

    def get_object(self) -> Unit:
        """The unit bearing the code now (or last), as the pages resolve it."""
        unit = unit_or_404(cast(UnitQuerySet, self.get_queryset()), self.kwargs["code"])
        self.check_object_permissions(self.request, unit)
        return unit

    def get_queryset(self) -> QuerySet[Unit]:
        units = self.scoped().select_related("parent", "merged_into").order_by("path")
        filters = self.filters()
        if "level" in filters:
            units = units.filter(level=filters["level"])
        if "parent" in filters:
            units = units.filter(parent__code=filters["parent"])
        if "code" in filters:
            units = units.filter(code=filters["code"])
        if "q" in filters:
            units = units.search(filters["q"])
        return units


class ReportQuery(serializers.Serializer):
    """The reports' query string; the unit is then looked up within scope by ``ReportForm``."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword, so the fields are named here rather than as attributes.
        month = {"required": False, "regex": r"^\d{4}-\d{2}$", "help_text": "YYYY-MM"}
        return {
            "unit": serializers.CharField(
                required=False, max_length=32, help_text="official code; your own unit if left out"
            ),
            "from": serializers.RegexField(**month),
            "to": serializers.RegexField(**month),
            "months": serializers.IntegerField(required=False, min_value=1, max_value=MAX_MONTHS),
            "structure": serializers.DateField(
                required=False,
                help_text="YYYY-MM-DD: read the report in the tree of that day (before a "
                "reorganisation); an abolished unit's last day by default",
            ),
        }


class TallySerializer(serializers.Serializer):
    required = serializers.IntegerField()
    logged = serializers.IntegerField()
    accepted = serializers.IntegerField()
    late = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["red", "amber", "green", "none"])


class UnitTallySerializer(TallySerializer):
    unit = serializers.CharField()


class PeriodTallySerializer(TallySerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    status = serializers.ChoiceField(
        choices=["red", "amber", "green", "none", "progress"],
        help_text="progress: the period has not closed yet (counted in no total)",
    )
    in_progress = serializers.BooleanField(help_text="not closed yet on the report's day")


class MemberComplianceSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    name = serializers.CharField()
    areas = serializers.ListField(child=serializers.CharField())
    total = TallySerializer()
    periods = PeriodTallySerializer(many=True)


class ComplianceSerializer(serializers.Serializer):
    unit = serializers.CharField(allow_null=True, help_text="null: an administrator's whole scope")
    months = serializers.ListField(child=serializers.CharField(help_text="YYYY-MM"))
    in_progress = serializers.ListField(
        child=serializers.CharField(help_text="YYYY-MM"),
        help_text="months whose periods have not closed yet: shown, counted in no total",
    )
    total = TallySerializer(help_text="closed periods only")
    by_unit = UnitTallySerializer(many=True)
    members = MemberComplianceSerializer(many=True)


class CoverageSerializer(serializers.Serializer):
    unit = serializers.CharField(allow_null=True, help_text="null: an administrator's whole scope")
    months = serializers.IntegerField()
    since = serializers.DateField()
    communes = serializers.ListField(child=serializers.CharField(), help_text="not visited")
    cells = serializers.ListField(child=serializers.CharField(), help_text="not visited")
    communes_total = serializers.IntegerField()
    cells_total = serializers.IntegerField()
    member_left = serializers.ListField(child=serializers.CharField())
    without_successor = serializers.ListField(child=serializers.CharField())
    without_overseer = serializers.ListField(
        child=serializers.CharField(), help_text="living communes nobody is assigned to"
    )


def _report_form(request: Request) -> ReportForm:
    query = validated_query(request, ReportQuery)
    data = {
        "unit": query.get("unit", ""),
        "start": query.get("from", ""),
        "end": query.get("to", ""),
        "months": query.get("months", ""),
        "structure": query.get("structure", ""),
    }
    form = ReportForm(data, user=request.user)
    if not form.is_valid():
        raise serializers.ValidationError(form.errors)
    return form


@extend_schema(parameters=[ReportQuery], responses=ComplianceSerializer)
@api_view(["GET"])
@reads_from_replica
def compliance_report(request: Request) -> Response:
    """Compliance with the attendance policy: members × periods, per unit below and in total."""
    data = _report_form(request).cleaned_data
    report = reports.compliance(
        request.user, data["unit"], data["start"], data["end"], structure=data["structure"]
    )

    def tally(t: reports.Tally) -> dict[str, Any]:
        return {"required": t.required, "logged": t.logged, "accepted": t.accepted,
                "late": t.late, "status": t.status}  # fmt: skip

    return Response(
        {
            "unit": report.root.code if report.root else None,
            "months": [f"{m:%Y-%m}" for m in report.months],
            "in_progress": [f"{m:%Y-%m}" for m in sorted(report.in_progress_months)],
            "recounting": report.recounting,
            "total": tally(report.total),
            "by_unit": [{"unit": u.code, **tally(t)} for u, t in report.by_group],
            "members": [
                {
                    "member": row.member_id,
                    "name": row.name,
                    "areas": row.areas,
                    "total": tally(row.total),
                    "periods": [
                        {
                            "start": c.start,
                            "end": c.end,
                            **tally(c.tally),
                            "status": c.status,
                            "in_progress": c.in_progress,
                        }
                        for c in row.by_month.values()
                    ],
                }
                for row in report.rows
            ],
        }
    )


@extend_schema(parameters=[ReportQuery], responses=CoverageSerializer)
@api_view(["GET"])
@reads_from_replica
def coverage_report(request: Request) -> Response:
    """Communes and cells without an overseer visit in the last N months; orphaned areas."""
    data = _report_form(request).cleaned_data
    report = reports.coverage(request.user, data["unit"], data["months"])
    return Response(
        {
            "unit": report.root.code if report.root else None,
            "months": report.months,
            "since": report.since,
            "communes": [u.code for u in report.communes],
            "cells": [u.code for u in report.cells],
            "communes_total": report.communes_total,
            "cells_total": report.cells_total,
            "member_left": [a.unit.code for a in report.member_left],
            "without_successor": [a.unit.code for a in report.without_successor],
            "without_overseer": [u.code for u in report.without_overseer],
        }
    )
