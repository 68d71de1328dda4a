"""The REST API: tokens, the same scope as the pages (404 outside), the same rules (403, 400)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from tests.clock import TODAY
from tests.conftest import fresh
from tests.factories import PositionFactory
from visits.models import ScoreSheet, Visit, VisitStatus


@pytest.fixture
def api():
    from django.core.cache import cache

    cache.clear()  # the login throttle counts in the cache; each test starts afresh
    return APIClient()


def token_for(api, username: str) -> str:
    response = api.post(
        reverse("api:token"), {"username": username, "password": "secret-pass-123"}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def as_user(api, username: str) -> APIClient:
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(api, username)}")
    return api


def test_token_login_revoke_and_bad_password(api, people):
    assert api.get("/api/v1/units/").status_code in (401, 403)
    bad = api.post(reverse("api:token"), {"username": "d01.bithu", "password": "x"}, format="json")
    assert bad.status_code in (400, 401, 403) and "detail" in bad.json()
    as_user(api, "d01.bithu")
    assert api.get("/api/v1/units/").status_code == 200
    assert api.delete(reverse("api:token")).status_code == 204
    assert api.get("/api/v1/units/").status_code in (401, 403)


def test_units_are_scoped_and_addressed_by_code(api, people):
    as_user(api, "d01.bithu")
    codes = [u["code"] for u in api.get("/api/v1/units/").json()["results"]]
    assert codes == ["D01", "C01", "C01-01", "C01-02", "C03"]
    assert api.get("/api/v1/units/C01/").json()["parent"] == "D01"
    assert api.get("/api/v1/units/C02/").status_code == 404
    assert [
        u["code"] for u in api.get("/api/v1/units/", {"level": "commune"}).json()["results"]
    ] == ["C01", "C03"]
    assert [
        u["code"] for u in api.get("/api/v1/units/", {"q": "thuong lam"}).json()["results"]
    ] == ["C01"]


@pytest.mark.parametrize(
    "resource", ["people", "positions", "assignments", "meetings", "visits", "tasks"]
)
def test_every_list_is_scoped(api, people, oversight, resource):
    visit = Visit(
        member=oversight.district_member,
        logged_by=oversight.district_member,
        kind="meeting",
        meeting=oversight.meeting_a,
    )
    from visits.services import do_save_visit

    do_save_visit(fresh(oversight.district_member), visit)
    as_user(api, "d02.vp")
    response = api.get(f"/api/v1/{resource}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "C01" not in body
        and "d01.uv" not in body
        and oversight.district_member.full_name not in body
    )


def test_a_member_logs_submits_and_the_office_accepts_through_the_api(api, people, oversight):
    as_user(api, "d01.uv")
    created = api.post(
        "/api/v1/visits/",
        {"kind": "meeting", "meeting": oversight.meeting_a.pk, "findings": "Tốt"},
        format="json",
    )
    assert created.status_code == 201, created.content
    visit_id = created.json()["id"]
    assert created.json()["unit"] == "C01-01"
    assert api.post(f"/api/v1/visits/{visit_id}/submit/").json()["status"] == "submitted"
    assert api.post(f"/api/v1/visits/{visit_id}/accept/").status_code == 403  # not a reviewer
    other = APIClient()
    as_user(other, "d02.vp")
    assert other.post(f"/api/v1/visits/{visit_id}/accept/").status_code == 404
    office = APIClient()
    as_user(office, "c01.vp")
    returned = office.post(f"/api/v1/visits/{visit_id}/return/", {"comment": ""}, format="json")
    assert returned.status_code == 400 and "review_comment" in returned.json()["errors"]
    assert office.post(f"/api/v1/visits/{visit_id}/accept/").json()["status"] == "accepted"
    assert Visit.objects.get(pk=visit_id).status == VisitStatus.ACCEPTED


def test_writes_run_the_models_rules(api, people, oversight):
    as_user(api, "d01.uv")
    # Not assigned to the other cell: the model refuses, naming the field.
    refused = api.post(
        "/api/v1/visits/", {"kind": "meeting", "meeting": oversight.meeting_a2.pk}, format="json"
    )
    assert refused.status_code == 400 and "meeting" in refused.json()["errors"]
    # An id or a code outside the caller's scope is answered like one that does not exist.
    hidden = api.post(
        "/api/v1/visits/", {"kind": "meeting", "meeting": oversight.meeting_b.pk}, format="json"
    )
    missing = api.post("/api/v1/visits/", {"kind": "meeting", "meeting": 999999}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"]["meeting"] == [
        f"Không có mục số {oversight.meeting_b.pk} trong phạm vi của bạn."
    ]
    as_user(api, "d02.vp")
    outside = api.post(
        "/api/v1/assignments/",
        {"member": oversight.district_member.pk, "unit": "C01"},
        format="json",
    )
    assert outside.status_code == 400
    assert outside.json()["errors"]["unit"] == ["Không có mã “C01” trong phạm vi của bạn."]
    assert outside.json()["errors"]["member"]


def test_reports_by_code_and_month(api, people, oversight):
    as_user(api, "d01.bithu")
    month = oversight.month.strftime("%Y-%m")
    report = api.get("/api/v1/reports/compliance/", {"unit": "D01", "from": month, "to": month})
    assert report.status_code == 200 and report.json()["unit"] == "D01"
    assert api.get("/api/v1/reports/compliance/", {"unit": "D02"}).status_code == 404
    assert api.get("/api/v1/reports/compliance/", {"from": "2026-13"}).status_code == 400
    coverage = api.get("/api/v1/reports/coverage/", {"unit": "D01", "months": 3})
    assert "C01-02" in coverage.json()["cells"]


def test_schema_and_local_docs(client, people):
    assert client.get(reverse("api:schema")).status_code == 200
    client.force_login(people.district_a_secretary)
    docs = client.get(reverse("api:docs"))
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()


@pytest.mark.parametrize("extra", [2, 20])
def test_visit_list_query_count_is_flat(
    api, people, oversight, tree, extra, django_assert_max_num_queries
):
    from tests.test_visits import grow

    grow(tree, oversight, extra)
    as_user(api, "c01.vp")
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/visits/", {"limit": 50}).status_code == 200


def test_the_visit_list_pages_by_key_without_counting(api, people, oversight, tree):
    from tests.test_visits import grow

    grow(tree, oversight, 5)
    as_user(api, "c01.vp")
    counted = api.get("/api/v1/visits/", {"limit": 500, "paging": "count"}).json()
    by_offset = [v["id"] for v in counted["results"]]
    assert len(by_offset) == counted["count"] == 5
    seen, url, pages = [], "/api/v1/visits/?limit=2", []
    with CaptureQueriesContext(connection) as queries:
        while url:
            page = api.get(url)
            assert page.status_code == 200 and "count" not in page.json()
            pages.append(page.json())
            seen += [v["id"] for v in page.json()["results"]]
            url = page.json()["next"]
    assert seen == by_offset  # the same visits, newest first, each once
    assert [len(p["results"]) for p in pages] == [2, 2, 1]
    assert not any("COUNT(" in q["sql"] for q in queries)
    assert pages[0]["previous"] is None
    back = api.get(pages[2]["previous"]).json()
    assert [v["id"] for v in back["results"]] == seen[2:4]
    assert "after=" in back["next"] and "before=" not in back["next"]


def test_the_visit_list_counts_only_when_asked(api, people, oversight, tree):
    from tests.test_visits import grow

    grow(tree, oversight, 3)
    as_user(api, "c01.vp")
    with CaptureQueriesContext(connection) as queries:
        by_key = api.get("/api/v1/visits/", {"limit": 2}).json()
    assert "count" not in by_key and "after=" in by_key["next"]
    assert not any("COUNT(" in q["sql"] for q in queries)
    for asked in ({"paging": "count"}, {"offset": 0}, {"paging": "count", "offset": 2}):
        counted = api.get("/api/v1/visits/", {"limit": 2, **asked}).json()
        assert counted["count"] == 3, asked
        links = [link for link in (counted["next"], counted["previous"]) if link]
        assert links and all("paging=count" in link for link in links), asked
        assert len(api.get(links[0]).json()["results"]) >= 1
    first_page = api.get("/api/v1/visits/").json()["results"]
    # a key page ignores the offset it was also given
    assert (
        api.get("/api/v1/visits/", {"paging": "key", "offset": 2}).json()["results"] == first_page
    )


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("paging=all", "paging"), ("paging=count&after=2026-01-01.5", "paging"),
     ("after=yesterday", "after"), ("before=2026-01-01.0", "before"),
     ("after=2026-01-01.99999999999999999999", "after")],
)  # fmt: skip
def test_a_bad_key_is_named(api, people, query, parameter):
    as_user(api, "tinh.vp")
    response = api.get(f"/api/v1/visits/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]


def test_lists_without_a_key_order_ignore_key_paging(api, people):
    as_user(api, "tinh.vp")
    assert "count" in api.get("/api/v1/units/?paging=key").json()


def test_login_is_throttled(api, people):
    for _ in range(10):
        api.post(reverse("api:token"), {"username": "d01.bithu", "password": "x"}, format="json")
    blocked = api.post(
        reverse("api:token"),
        {"username": "d01.bithu", "password": "secret-pass-123"},
        format="json",
    )
    assert blocked.status_code == 429 and "detail" in blocked.json()


@pytest.mark.parametrize("extra", [2, 20])
@pytest.mark.parametrize(
    "resource", ["units", "people", "positions", "assignments", "meetings", "visits", "tasks"]
)
def test_every_list_endpoint_stays_flat_as_data_grows(
    api, people, oversight, tree, resource, extra, django_assert_max_num_queries
):
    from tests.test_visits import grow

    grow(tree, oversight, extra)
    as_user(api, "tinh.vp")
    with django_assert_max_num_queries(8):
        assert api.get(f"/api/v1/{resource}/", {"limit": 100}).status_code == 200


def test_nul_characters_are_bad_input_not_a_crash(api, people, oversight):
    as_user(api, "tinh.vp")
    assert api.get("/api/v1/units/", {"code": "C0\x001"}).status_code == 400
    response = api.post(
        "/api/v1/assignments/",
        {"member": oversight.district_member.pk, "unit": "\x00"},
        format="json",
    )
    assert response.status_code == 400 and "NUL" in response.json()["errors"]["non_field_errors"][0]
    fresh_client = APIClient()
    assert (
        fresh_client.post(
            reverse("api:token"), {"username": "a\x00", "password": "x"}, format="json"
        ).status_code
        == 400
    )


def test_the_office_manages_people_and_positions(api, people, tree):
    as_user(api, "c01.vp")
    created = api.post(
        "/api/v1/people/",
        {
            "username": "c01.uv2",
            "full_name": "Hoàng Thị Lan",
            "email": "lan@example.vn",
            "unit": "C01",
            "role": "executive_member",
            "title": "Đảng ủy viên",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    person = User.objects.get(username="c01.uv2")
    assert not person.has_usable_password()
    assert person.positions.get().unit == tree.commune_a
    duplicate = api.post(
        "/api/v1/people/",
        {"username": "c01.uv2", "full_name": "Khác", "unit": "C01", "role": "executive_member"},
        format="json",
    )
    assert duplicate.status_code == 400 and "username" in duplicate.json()["errors"]
    assert User.objects.filter(username="c01.uv2").count() == 1
    appointed = api.post(
        "/api/v1/positions/",
        {"user": person.pk, "unit": "C01-01", "role": "cell_secretary"},
        format="json",
    )
    assert appointed.status_code == 201 and appointed.json()["unit"] == "C01-01"
    ended = api.post(f"/api/v1/positions/{appointed.json()['id']}/end/", {}, format="json")
    assert ended.json()["end_date"] == TODAY.isoformat()
    patched = api.patch(f"/api/v1/people/{person.pk}/", {"phone": " 0912 "}, format="json")
    assert patched.status_code == 200 and patched.json()["phone"] == "0912"


def test_an_office_cannot_edit_someone_who_also_sits_above_it(api, people, tree):
    """The district secretary also sits in the commune: its office could otherwise change their
    email and take the account over with a password reset."""
    PositionFactory(user=people.district_a_secretary, unit=tree.commune_a, role="secretary")
    as_user(api, "c01.vp")
    url = f"/api/v1/people/{people.district_a_secretary.pk}/"
    assert api.get(url).status_code == 200
    refused = api.patch(url, {"email": "ke.gian@example.com"}, format="json")
    assert refused.status_code == 403
    assert fresh(people.district_a_secretary).email != "ke.gian@example.com"


def test_meetings_are_moved_cancelled_and_scored(api, people, oversight):
    as_user(api, "c01-01.bithu")
    meeting = oversight.meeting_a
    moved = api.post(
        f"/api/v1/meetings/{meeting.pk}/move/",
        {"new_date": meeting.date.replace(day=20).isoformat(), "reason": "Trùng lịch"},
        format="json",
    )
    assert moved.status_code == 200
    assert moved.json()["original_date"] == meeting.date.isoformat()
    outside_month = api.post(
        f"/api/v1/meetings/{meeting.pk}/move/",
        {"new_date": (meeting.date + datetime.timedelta(days=40)).isoformat(), "reason": "x"},
        format="json",
    )
    assert outside_month.status_code == 400 and "date" in outside_month.json()["errors"]
    sheet = ScoreSheet.for_unit(meeting.cell)
    points = {c.code: c.max_points for c in sheet.criteria.all()}
    assert (
        api.post(f"/api/v1/meetings/{meeting.pk}/score/", {"points": points}, format="json").json()[
            "self_rating"
        ]
        == "good"
    )
    points[next(iter(points))] = 999
    too_many = api.post(f"/api/v1/meetings/{meeting.pk}/score/", {"points": points}, format="json")
    assert too_many.status_code == 400 and too_many.json()["errors"]
    cancelled = api.post(f"/api/v1/meetings/{meeting.pk}/cancel/", {"reason": ""}, format="json")
    assert cancelled.status_code == 400 and "reason" in cancelled.json()["errors"]
    other_cell = api.post(
        f"/api/v1/meetings/{oversight.meeting_a2.pk}/cancel/", {"reason": ""}, format="json"
    )
    assert other_cell.status_code == 404  # outside the cell secretary's scope, body unread


def test_a_visit_is_scored_and_the_office_logs_on_behalf(api, people, oversight):
    as_user(api, "tinh.vp")
    sheet = ScoreSheet.for_unit(oversight.meeting_a.cell)
    points = {c.code: c.max_points // 2 for c in sheet.criteria.all()}
    created = api.post(
        "/api/v1/visits/",
        {
            "member": oversight.district_member.pk,
            "kind": "meeting",
            "meeting": oversight.meeting_a.pk,
            "score_points": points,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    visit = Visit.objects.get(pk=created.json()["id"])
    assert visit.member == oversight.district_member and visit.logged_by == people.province_office
    assert visit.score_total == sum(points.values()) and visit.rating == created.json()["rating"]
    cleared = api.patch(f"/api/v1/visits/{visit.pk}/", {"score_points": None}, format="json")
    assert cleared.json()["rating"] == "" and cleared.json()["score_total"] is None


def test_a_task_from_proposal_to_evaluation(api, people):
    office, cadre = APIClient(), APIClient()
    as_user(office, "tinh.vp")
    as_user(cadre, "d01.bithu")
    year = TODAY.year
    proposed = office.post(
        "/api/v1/tasks/",
        {
            "title": "Xử lý dứt điểm 10 vụ việc tồn đọng",
            "kind": "commissioned",
            "cadre": people.district_a_secretary.pk,
            "year": year,
            "deadline": f"{year}-12-20",
            "expected_result": "9/10 vụ việc",
        },
        format="json",
    )
    assert proposed.status_code == 201, proposed.content
    task = proposed.json()
    assert task["owner_unit"] == "D01" and task["status"] == "proposed"
    early = cadre.post(
        f"/api/v1/tasks/{task['id']}/progress/", {"percent": 10, "narrative": "Bắt đầu"}
    )
    assert early.status_code == 400  # not approved yet
    approved = office.post(
        f"/api/v1/tasks/{task['id']}/approve/",
        {"decision_number": "15-QĐ/TU", "decision_date": f"{year}-01-10"},
        format="json",
    )
    assert approved.json()["status"] == "approved"
    report = cadre.post(
        f"/api/v1/tasks/{task['id']}/progress/", {"percent": 90, "narrative": "9/10 vụ"}
    )
    assert report.status_code == 201 and report.json()["percent"] == 90
    asked = cadre.post(
        f"/api/v1/tasks/{task['id']}/extension/",
        {"new_deadline": f"{year + 1}-03-31", "reason": "Chờ kết luận"},
        format="json",
    )
    assert asked.status_code == 201
    decided = office.post(
        f"/api/v1/tasks/{task['id']}/decide-extension/", {"approve": True}, format="json"
    )
    assert decided.json()["status"] == "approved"
    nothing_pending = office.post(
        f"/api/v1/tasks/{task['id']}/decide-extension/", {"approve": True}, format="json"
    )
    assert nothing_pending.status_code == 400
    evaluated = office.post(
        f"/api/v1/tasks/{task['id']}/evaluate/", {"result": "completed"}, format="json"
    )
    assert evaluated.json()["status"] == "done"
    locked = cadre.post(f"/api/v1/tasks/{task['id']}/progress/", {"percent": 100, "narrative": "x"})
    assert locked.status_code == 400


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/units/?limit=0", "limit"),
        ("/api/v1/units/?limit=501", "limit"),
        ("/api/v1/visits/?limit=abc", "limit"),
        ("/api/v1/visits/?offset=-1", "offset"),
        ("/api/v1/units/?level=thon", "level"),
        ("/api/v1/units/?parent=", "parent"),
        ("/api/v1/visits/?status=draftish", "status"),
        ("/api/v1/tasks/?year=20x6", "year"),
        ("/api/v1/reports/coverage/?months=0", "months"),
        ("/api/v1/reports/compliance/?from=2026-1", "from"),
    ],
)
def test_a_malformed_query_parameter_is_named_not_ignored(api, people, url, parameter):
    as_user(api, "tinh.vp")
    response = api.get(url)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]


def test_an_unknown_api_address_answers_in_the_api_error_shape(api, people, client):
    as_user(api, "tinh.vp")
    for url in ["/api/v1/visits/0.5/", "/api/v1/nothing-here/"]:
        response = api.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"detail", "errors"}
    client.force_login(people.province_office)
    page = client.get("/nothing-here/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
