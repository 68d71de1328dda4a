"""The leak test: every URL the portal routes (pages and API alike, found by walking the URL
configuration, so that a new one is walked without anyone adding it here), requested with GET
and POST by every demo role, with the ids and codes of another province's objects. A request
that names another tenant's object must answer 403, 404 or 405 (or send an anonymous caller
to sign in), and no answer, whatever its status, may carry a name or a text of that province.

A URL that cannot be walked this way is listed in ``NOT_WALKED`` with the reason and the test
that covers it instead; a new URL that fits neither fails ``test_every_url_is_walked_or_listed``.
"""

import datetime
import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.models import Position, User
from accounts.roles import Role
from assignments.models import Assignment, BreakthroughTask, TaskKind, TaskProgress, TaskStatus
from oversight.models import Level, ReorganisationPlan
from oversight.reporting.documents.content import Request, default_sign_off
from oversight.reporting.models import DocumentKind
from oversight.reporting.services import do_issue_document
from tests.clock import TODAY
from tests.factories import AssignmentFactory, PositionFactory, UnitFactory, UserFactory
from visits.models import Meeting, MeetingSchedule, Visit, VisitKind, VisitStatus

NOT_WALKED = {
    "admin/": "the Django admin is for staff only, and the demo's one staff member is the "
    "administrator, who sees everything; its querysets go through the same gate "
    "(test_admin.py)",
    "unsubscribe/<str:token>/": "no login: a signed token names the recipient; forged and "
    "altered tokens are refused (test_reminders.py)",
    "logout/": "ends the walking session; holds no tenant data",
}

# hai.cap and hai.huyen hold two positions at two levels in two districts (test_api_roles.py).
ROLES = ["tinh.vp", "tinh.uv", "d01.bithu", "d01.uv", "c01.vp", "c01-01.bithu", "d02.vp",
         "hai.cap", "hai.huyen", "khong.chuc.vu", "admin-of-nothing", None]  # fmt: skip
SECRET_FINDINGS = "Ghi chép nội bộ của tỉnh khác"
SECRET_TASK = "Nhiệm vụ riêng của tỉnh khác"
SECRET_PLAN = "Nghị quyết sắp xếp riêng của tỉnh khác"


def walk(patterns: list, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


ALL_PATTERNS = list(walk(get_resolver().url_patterns))


def not_walked(pattern: str) -> bool:
    return any(pattern.startswith(prefix) for prefix in NOT_WALKED)


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def concrete(pattern: str, other: dict) -> tuple[str, bool]:
    """The pattern as a path naming the other province's objects, and whether it names one."""
    resource = pattern.removeprefix("api/v1/").lstrip("^").split("/")[0].split("\\")[0]
    names_object = False

    def value(match: re.Match) -> str:
        nonlocal names_object
        name = match.group(1) or match.group(2)
        if name == "format":
            return "json"
        if name == "name":  # which import page: not an object
            return "assignments"
        names_object = True
        if name == "code":
            return other["code"]
        if name == "report":
            return str(other["report"])
        return str(other[resource])

    path = PARAMETER.sub(value, pattern)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    return "/" + path, names_object


@pytest.fixture
def other_province(people, oversight, tree):
    """Another province with a district, a commune, a cell, its people and their records."""
    hai_cap, hai_huyen = UserFactory(username="hai.cap"), UserFactory(username="hai.huyen")
    for user, unit, role in [
        (hai_cap, tree.province, Role.EXECUTIVE_MEMBER),
        (hai_cap, tree.district_b, Role.SECRETARY),
        (hai_huyen, tree.district_a, Role.SECRETARY),
        (hai_huyen, tree.commune_b, Role.OFFICE_STAFF),
    ]:
        PositionFactory(user=user, unit=unit, role=role)
    province = UnitFactory(code="X01", name="Tỉnh Biên Viễn", level=Level.PROVINCE)
    district = UnitFactory(code="X02", name="Huyện Núi Xa", level=Level.DISTRICT, parent=province)
    commune = UnitFactory(code="X03", name="Xã Mây Trắng", level=Level.COMMUNE, parent=district)
    cell = UnitFactory(code="X03-01", name="Chi bộ thôn Sương Mù", level=Level.CELL, parent=commune)
    office = PositionFactory(
        user=UserFactory(username="x01.vp", full_name="Lò Văn Kín"),
        unit=province,
        role=Role.OFFICE_STAFF,
    )
    member = PositionFactory(
        user=UserFactory(username="x02.uv", full_name="Hà Thị Giấu"),
        unit=district,
        role=Role.EXECUTIVE_MEMBER,
    ).user
    assignment = AssignmentFactory(member=member, unit=cell)
    MeetingSchedule.objects.create(cell=cell, day_of_month=10)
    Meeting.objects.plan_month(oversight.month)
    meeting = Meeting.objects.get(cell=cell, month=oversight.month)
    visit = Visit.objects.create(
        member=member,
        logged_by=member,
        kind=VisitKind.MEETING,
        meeting=meeting,
        unit=cell,
        date=meeting.date,
        findings=SECRET_FINDINGS,
        status=VisitStatus.SUBMITTED,
    )
    task = BreakthroughTask.objects.create(
        title=SECRET_TASK,
        kind=TaskKind.COMMISSIONED,
        cadre=member,
        owner_unit=district,
        year=TODAY.year,
        deadline=TODAY + datetime.timedelta(days=60),
        expected_result="Hoàn thành",
        status=TaskStatus.IN_PROGRESS,
    )
    report = TaskProgress.objects.create(
        task=task, date=TODAY, percent=30, narrative="Tiến độ", reported_by=member
    )
    UserFactory(username="admin-of-nothing", is_staff=True)  # staff, but no position
    plan = ReorganisationPlan.objects.create(
        province=province, effective_date=TODAY, basis_number=SECRET_PLAN, basis_date=TODAY,
        tree_name="cay.csv", tree_text="code,name,level,division_type,parent_code\n",
        crosswalk_name="bang.csv", crosswalk_text="old_code\n", created_by=office.user,
    )  # fmt: skip
    report_of_theirs = do_issue_document(
        office.user,
        Request(DocumentKind.TASKS_REPORT, province, year=TODAY.year),
        default_sign_off(province, TODAY),
    )
    return {
        "reorganisations": plan.pk,
        "documents": report_of_theirs.pk,
        "code": cell.code,
        "visits": visit.pk,
        "meetings": meeting.pk,
        "tasks": task.pk,
        "assignments": Assignment.objects.get(pk=assignment.pk).pk,
        "people": member.pk,
        "positions": Position.objects.get(pk=office.pk).pk,
        "units": cell.code,
        "report": report.pk,
        "calendar": "a-forged-token",
        "secrets": [
            "Tỉnh Biên Viễn",
            "Huyện Núi Xa",
            "Xã Mây Trắng",
            "Chi bộ thôn Sương Mù",
            "Lò Văn Kín",
            "Hà Thị Giấu",
            SECRET_FINDINGS,
            SECRET_TASK,
            SECRET_PLAN,
        ],
    }


def test_every_url_is_walked_or_listed():
    """Nothing the URL configuration routes escapes the walk unless listed with a reason."""
    walked = [p for p in ALL_PATTERNS if not not_walked(p)]
    assert len(walked) > 60  # the pages and the API
    for prefix in NOT_WALKED:
        assert any(p.startswith(prefix) for p in ALL_PATTERNS), f"{prefix} no longer exists"


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_no_role_reaches_or_reads_another_provinces_data(other_province, role):
    api = APIClient()
    if role is not None:
        api.force_login(User.objects.get(username=role))
    failures = []
    for pattern in ALL_PATTERNS:
        if not_walked(pattern):
            continue
        path, names_object = concrete(pattern, other_province)
        for method in ("get", "post"):
            response = getattr(api, method)(path, {}, format="json")
            body = response.content.decode(errors="replace")
            leaked = [secret for secret in other_province["secrets"] if secret in body]
            if leaked:
                failures.append(f"{method.upper()} {path} → {response.status_code}: {leaked}")
            allowed = {403, 404, 405} | ({302, 401} if role is None else set())
            if names_object and response.status_code not in allowed:
                failures.append(f"{method.upper()} {path} → {response.status_code}")
    assert failures == []
