from django.conf import settings
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import PersonViewSet, PositionViewSet, TokenView
from assignments.api import AssignmentViewSet, TaskViewSet
from oversight.api_views import UnitViewSet, compliance_report, coverage_report
from visits.api import MeetingViewSet, VisitViewSet

app_name = "api"  # the router's names ("unit-detail", …) must not shadow the pages' names


class JsonRouter(DefaultRouter):
    """JSON only: no ".json" suffix routes (the actions would not take their format argument)."""

    include_format_suffixes = False


router = JsonRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("people", PersonViewSet, basename="person")
router.register("positions", PositionViewSet, basename="position")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("visits", VisitViewSet, basename="visit")
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="token"),
    path("v1/reports/compliance/", compliance_report, name="compliance"),
    path("v1/reports/coverage/", coverage_report, name="coverage"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # Swagger UI's scripts are files of the portal; it styles itself inline, which is the
        # one thing this page allows beyond the portal's policy.
        csp_override(settings.SECURE_CSP | {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
]
