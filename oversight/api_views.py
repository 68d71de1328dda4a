"""API: units and the reports."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from oversight import reports
from oversight.api import ReadOnlyScopedViewSet
from oversight.models import Level, Unit
from oversight.report_forms import ReportForm


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    merged_into = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "level", "division_type", "parent", "path", "is_active",
                  "valid_from", "valid_to", "merged_into"]  # fmt: skip


@extend_schema(
    parameters=[
        OpenApiParameter("level", str, enum=Level.values),
        OpenApiParameter("parent", str, description="official code of the parent unit"),
        OpenApiParameter("code", str),
        OpenApiParameter("q", str, description="name or code, diacritics optional"),
    ]
)
class UnitViewSet(ReadOnlyScopedViewSet):
    """Units in the caller's scope, addressed by their official code."""

    model = Unit
    serializer_class = UnitSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Unit]:
        units = self.scoped().select_related("parent", "merged_into").order_by("path")
        params = self.request.query_params
        if params.get("level"):
            units = units.filter(level=params["level"])
        if params.get("parent"):
            units = units.filter(parent__code=params["parent"])
        if params.get("code"):
            units = units.filter(code=params["code"])
        if params.get("q"):
            units = units.search(params["q"])
        return units


def _report_form(request: Request) -> ReportForm:
    data = {
        "unit": request.query_params.get("unit", ""),
        "start": request.query_params.get("from", ""),
        "end": request.query_params.get("to", ""),
        "months": request.query_params.get("months", ""),
    }
    form = ReportForm(data, user=request.user)
    if not form.is_valid():
        raise serializers.ValidationError(form.errors)
    return form


@extend_schema(
    parameters=[
        OpenApiParameter("unit", str),
        OpenApiParameter("from", str),
        OpenApiParameter("to", str),
    ],
    responses=dict,
)
@api_view(["GET"])
def compliance_report(request: Request) -> Response:
    """Compliance with the attendance policy: members × periods, per unit below and in total."""
    data = _report_form(request).cleaned_data
    report = reports.compliance(request.user, data["unit"], data["start"], data["end"])

    def tally(t: reports.Tally) -> dict[str, Any]:
        return {"required": t.required, "logged": t.logged, "accepted": t.accepted,
                "late": t.late, "status": t.status}  # fmt: skip

    return Response(
        {
            "unit": report.root.code if report.root else None,
            "months": [f"{m:%Y-%m}" for m in report.months],
            "total": tally(report.total),
            "by_unit": [{"unit": u.code, **tally(t)} for u, t in report.by_group],
            "members": [
                {
                    "member": row.member_id,
                    "name": row.name,
                    "areas": row.areas,
                    "total": tally(row.total),
                    "periods": [
                        {"start": c.start, "end": c.end, **tally(c.tally)}
                        for c in row.by_month.values()
                    ],
                }
                for row in report.rows
            ],
        }
    )


@extend_schema(
    parameters=[OpenApiParameter("unit", str), OpenApiParameter("months", int)], responses=dict
)
@api_view(["GET"])
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
        }
    )
