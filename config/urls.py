from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from assignments import views as assignment_views
from oversight import audit_views, health, import_views
from oversight import views as oversight_views
from oversight.reform import views as reform_views
from oversight.reporting import views as report_views
from oversight.reporting.documents import views as document_views
from visits import offline
from visits import views as visit_views

urlpatterns = [
    path("", oversight_views.home, name="home"),
    path("sw.js", offline.service_worker, name="service-worker"),
    path("manifest.webmanifest", offline.web_manifest, name="web-manifest"),
    path("offline/session/", offline.session_probe, name="offline-session"),
    path("offline/pages/", offline.offline_pages, name="offline-pages"),
    path("units/", oversight_views.unit_roots, name="unit-roots"),
    path("units/search/", oversight_views.unit_search, name="unit-search"),
    path("units/<str:code>/", oversight_views.unit_detail, name="unit-detail"),
    path("units/<str:code>/assign/", assignment_views.assign, name="unit-assign"),
    path("units/<str:code>/schedule/", visit_views.schedule_edit, name="unit-schedule"),
    path("units/<str:code>/thematic/", visit_views.thematic_meeting_add, name="unit-thematic"),
    path("assignments/<int:pk>/end/", assignment_views.end_assignment, name="assignment-end"),
    path("my/", visit_views.my_work, name="my-work"),
    path("my/reminders/", visit_views.reminder_settings, name="reminder-settings"),
    path("my/calendar/", visit_views.calendar_settings, name="calendar-settings"),
    path("rules/attendance/", visit_views.attendance_rules, name="attendance-rules"),
    path("calendar/<str:token>.ics", visit_views.calendar_feed, name="calendar-feed"),
    path("reports/compliance/", report_views.compliance_report, name="report-compliance"),
    path("reports/coverage/", report_views.coverage_report, name="report-coverage"),
    path("reports/quality/", report_views.quality_report, name="report-quality"),
    path("visits/", report_views.visit_list, name="visit-list"),
    path("visits/new/", visit_views.visit_create, name="visit-create"),
    path("visits/<int:pk>/", visit_views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/edit/", visit_views.visit_edit, name="visit-edit"),
    path("visits/<int:pk>/submit/", visit_views.visit_submit, name="visit-submit"),
    path("visits/<int:pk>/review/", visit_views.visit_review, name="visit-review"),
    path("visits/<int:pk>/attachment/", visit_views.visit_attachment, name="visit-attachment"),
    path("review/", visit_views.review_queue, name="review-queue"),
    path("audit/", audit_views.audit_log, name="audit-log"),
    path("reorganisations/", reform_views.plan_list, name="reform-plans"),
    path("reorganisations/<int:pk>/", reform_views.plan_detail, name="reform-plan"),
    path(
        "reorganisations/<int:pk>/carry-over/",
        reform_views.carry_over,
        name="reform-carry-over",
    ),
    path("meetings/<int:pk>/", visit_views.meeting_detail, name="meeting-detail"),
    path(
        "meetings/<int:pk>/score-sheet/",
        document_views.new_document,
        {"kind": "score_sheet"},
        name="document-score-sheet",
    ),
    path("documents/", document_views.issued_list, name="document-list"),
    path("documents/<int:pk>/", document_views.issued_detail, name="document-detail"),
    path(
        "documents/<int:pk>/pdf/",
        document_views.issued_file,
        {"file_format": "pdf"},
        name="document-pdf",
    ),
    path(
        "documents/<int:pk>/docx/",
        document_views.issued_file,
        {"file_format": "docx"},
        name="document-docx",
    ),
    path(
        "documents/new/attendance/",
        document_views.new_document,
        {"kind": "attendance_report"},
        name="document-new-attendance",
    ),
    path(
        "documents/new/tasks/",
        document_views.new_document,
        {"kind": "tasks_report"},
        name="document-new-tasks",
    ),
    path(
        "documents/new/register/",
        document_views.new_document,
        {"kind": "register"},
        name="document-new-register",
    ),
    path("imports/<str:name>/", import_views.import_upload, name="import-upload"),
    path("imports/<str:name>/confirm/", import_views.import_confirm, name="import-confirm"),
    path("tasks/", assignment_views.task_board, name="task-board"),
    path("tasks/mine/", assignment_views.task_board, name="my-tasks"),
    path("tasks/<int:pk>/", assignment_views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/decision/", assignment_views.task_file, name="task-decision"),
    path("tasks/<int:pk>/evidence/<int:report>/", assignment_views.task_file, name="task-evidence"),
    path("unsubscribe/<str:token>/", visit_views.unsubscribe, name="unsubscribe"),
    path("tenant/", account_views.switch_tenant, name="switch-tenant"),
    path("account/two-factor/", account_views.two_factor_settings, name="two-factor"),
    path("account/two-factor/verify/", account_views.two_factor_verify, name="two-factor-verify"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("config.api_urls")),
    path("health/", health.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "oversight.views.bad_request"
handler404 = "oversight.api.not_found"
