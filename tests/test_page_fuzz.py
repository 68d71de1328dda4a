"""Every routed page, as each role, with malformed query strings and form posts: a 4xx with a
message or a page, never a 500 (the test client re-raises any exception a view lets escape).

Hypothesis draws the values; the parameter names are those the portal's pages and forms read.
The API has its own fuzzing from its schema (test_api_fuzz.py).
"""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Position
from assignments.models import BreakthroughTask, TaskKind, TaskProgress, TaskStatus
from oversight.models import ReorganisationPlan
from oversight.reporting.documents.content import Request, default_sign_off
from oversight.reporting.models import DocumentKind
from oversight.reporting.services import do_issue_document
from tests.clock import TODAY
from tests.test_leaks import ALL_PATTERNS, concrete
from visits.models import FieldVisitType, Visit, VisitKind, VisitStatus

PAGES = [
    p
    for p in ALL_PATTERNS
    # Logging out would end the walk; /health/ reads no input and answers 503 without a worker.
    if not p.startswith(("api/", "admin/", "logout/", "health/"))
]
# The names the pages and their forms read (query strings and bodies alike).
NAMES = [
    "meeting", "member", "unit", "start", "end", "months", "page", "status", "kind", "format",
    "year", "q", "client_token", "findings", "date", "field_type", "members_present",
    "members_total", "day_of_month", "time", "place", "topic", "comment", "reason", "new_date",
    "action", "percent", "narrative", "result", "decision_number", "decision_date",
    "new_deadline", "username", "password", "otp", "ids", "visit", "print", "next", "replace",
    "start_date", "language", "token", "unit_code", "approve", "cadre", "milestone",
]  # fmt: skip
MALFORMED = st.one_of(
    st.sampled_from(
        [
            "abc",
            "-1",
            "0",
            "1e9",
            "9" * 40,
            "2026-13",
            "31/02/2026",
            "29/02/2027",
            "00:61",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "../../etc/passwd",
            "true",
            "[]",
            "{}",
            "🙂",
            "xlsx",
            "csv",
            "https://evil.example/",
            "//evil.example",
            " ",
            "",
        ]
    ),
    st.text(
        alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40
    ),
)
ROLES = ["tinh.vp", "d01.uv", "c01-01.bithu", "khong.chuc.vu"]


@pytest.fixture
def world(people, oversight, tree):
    member = oversight.district_member
    visit = Visit.objects.create(
        member=member, logged_by=member, kind=VisitKind.FIELD, unit=tree.cell_a, date=TODAY,
        field_type=FieldVisitType.FACT_FINDING, status=VisitStatus.SUBMITTED,
    )  # fmt: skip
    task = BreakthroughTask.objects.create(
        title="Giải phóng mặt bằng", kind=TaskKind.COMMISSIONED, cadre=people.district_a_secretary,
        owner_unit=tree.district_a, year=TODAY.year, status=TaskStatus.APPROVED,
        deadline=TODAY + datetime.timedelta(days=60), expected_result="Xong",
    )  # fmt: skip
    report = TaskProgress.objects.create(
        task=task,
        date=TODAY,
        percent=30,
        narrative="Tiến độ",
        reported_by=people.district_a_secretary,
    )
    plan = ReorganisationPlan.objects.create(
        province=tree.province, effective_date=TODAY, basis_number="1/NQ", basis_date=TODAY,
        tree_name="cay.csv", tree_text="code,name,level,division_type,parent_code\n",
        crosswalk_name="bang.csv", crosswalk_text="old_code\n", created_by=people.province_office,
    )  # fmt: skip
    issued = do_issue_document(
        people.province_office,
        Request(DocumentKind.TASKS_REPORT, tree.province, year=TODAY.year),
        default_sign_off(tree.province, TODAY),
    )
    return {
        "reorganisations": plan.pk,
        "documents": issued.pk,
        "code": tree.cell_a.code,
        "units": tree.cell_a.code,
        "visits": visit.pk,
        "meetings": oversight.meeting_a.pk,
        "tasks": task.pk,
        "assignments": member.assignments.get().pk,
        "people": member.pk,
        "positions": Position.objects.filter(user=member).get().pk,
        "report": report.pk,
        "unsubscribe": "abc",
        "token": "abc",
        "calendar": "abc",
    }


@pytest.mark.parametrize("pattern", PAGES)
def test_no_page_answers_malformed_input_with_a_500(client, world, pattern):
    from accounts.models import User

    path, _names_object = concrete(pattern, world)
    users = {role: User.objects.get(username=role) for role in ROLES}

    @settings(
        max_examples=8,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        role=st.sampled_from(ROLES),
        data=st.dictionaries(st.sampled_from(NAMES), MALFORMED, max_size=6),
    )
    def every_answer_is_below_500(role, data):
        client.force_login(users[role])
        for method in (client.get, client.post):
            response = method(path, data)
            assert response.status_code < 500, (method.__name__, path, data)
            if response.status_code in (400, 403, 404):
                assert response.content, (path, data)  # a message, not an empty body

    every_answer_is_below_500()
