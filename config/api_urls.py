from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts.api import PersonViewSet, PositionViewSet
from assignments.api import AssignmentViewSet, TaskViewSet
from oversight.api import TokenView
from oversight.api_views import UnitViewSet, compliance_report, coverage_report
from visits.api import MeetingViewSet, VisitViewSet

app_name = "api"  # the router's names ("unit-detail", …) must not shadow the pages' names

router = DefaultRouter()
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
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
