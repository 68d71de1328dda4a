"""The audit trail: who changed what and when, for the records and permissions of one's scope,
filterable by person, unit, dates and kind, exportable; nothing of another tenant."""

import io

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import Position
from tests.clock import TODAY
from tests.conftest import fresh
from tests.factories import PositionFactory, UserFactory
from visits.models import Visit
from visits.services import do_save_visit


def log_visit(member, meeting, **fields) -> Visit:
    visit = Visit(member=member, logged_by=member, kind="meeting", meeting=meeting, **fields)
    return do_save_visit(fresh(member), visit)


@pytest.fixture
def changes(people, oversight, tree):
    """Through the API, so that each change carries its author: a visit logged then edited in
    district A, a position given in district B, and a unit grant made by the administrator."""
    member_api = APIClient()
    member_api.force_authenticate(oversight.district_member)
    created = member_api.post(
        "/api/v1/visits/",
        {"kind": "meeting", "meeting": oversight.meeting_a.pk, "findings": "Đúng giờ"},
        format="json",
    )
    assert created.status_code == 201
    edited = member_api.patch(
        f"/api/v1/visits/{created.json()['id']}/",
        {"findings": "Đúng giờ, 18/20 đảng viên", "members_present": 18},
        format="json",
    )
    assert edited.status_code == 200
    office_b = APIClient()
    office_b.force_authenticate(people.district_b_office)
    appointed = office_b.post(
        "/api/v1/people/",
        {
            "username": "c02.uv",
            "full_name": "Ma Văn Sơn",
            "unit": "C02",
            "role": "executive_member",
        },
        format="json",
    )
    assert appointed.status_code == 201
    assign_perm("oversight.view_unit", people.cell_a_secretary, tree.cell_a_2)
    return created.json()["id"]


def test_an_office_reads_the_changes_of_its_subtree_with_author_and_fields(
    client, people, oversight, changes
):
    client.force_login(people.commune_a_staff)
    page = client.get(reverse("audit-log"))
    assert page.status_code == 200
    lines = page.context["changes"]
    visit_lines = [c for c in lines if c.kind == "Bản ghi dự sinh hoạt / kiểm tra"]
    assert [c.action for c in visit_lines] == ["Sửa", "Tạo"]
    assert {c.who for c in visit_lines} == {oversight.district_member.get_full_name()}
    assert set(visit_lines[0].fields) == {"nhận xét, tình hình nắm được", "đảng viên có mặt"}
    assert all(c.unit.startswith("C01-01") for c in visit_lines)
    # The grant in its commune is a permission change it sees; district B's appointment is not.
    assert any(c.kind == "Cấp quyền theo đơn vị (người)" for c in lines)
    assert "Ma Văn Sơn" not in page.text and "C02" not in {c.unit[:3] for c in lines}


def test_the_province_sees_both_districts_and_filters(client, people, oversight, changes):
    client.force_login(people.province_office)
    everything = client.get(reverse("audit-log")).context["page"].paginator.count
    by_person = client.get(reverse("audit-log"), {"person": "d01.uv"}).context["changes"]
    assert {c.who for c in by_person} == {oversight.district_member.get_full_name()}
    in_b = client.get(reverse("audit-log"), {"unit": "D02"}).context["changes"]
    assert "Chức vụ (vai trò)" in {c.kind for c in in_b}
    assert all(c.unit.startswith(("D02", "C02")) for c in in_b)
    positions = client.get(reverse("audit-log"), {"kind": "position", "person": "d02.vp"}).context[
        "changes"
    ]
    assert [(c.action, c.unit) for c in positions] == [("Tạo", "C02 Xã Sơn Phú")]
    assert everything > len(by_person) + len(in_b)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"person": "x01.vp"}, "person"),
        ({"unit": "C02"}, "unit"),
        ({"since": "31/12/2026", "until": "01/01/2026"}, "until"),
        ({"since": "2026-13-01"}, "since"),
        ({"kind": "password"}, "kind"),
    ],
)
def test_bad_filters_are_named(client, people, changes, query, field):
    client.force_login(people.district_a_secretary)
    PositionFactory(user=people.district_a_secretary, unit=people.district_a_secretary
                    .positions.get().unit, role="office_staff")  # fmt: skip
    response = client.get(reverse("audit-log"), query)
    assert response.status_code == 400 and field in response.context["form"].errors


def test_only_offices_read_the_trail(client, people, oversight):
    client.force_login(oversight.district_member)
    assert client.get(reverse("audit-log")).status_code == 403
    client.force_login(people.nobody)
    assert client.get(reverse("audit-log")).status_code == 403


def test_the_trail_exports_with_the_same_rows(client, people, changes):
    client.force_login(people.commune_a_staff)
    shown = client.get(reverse("audit-log")).context["page"].paginator.count
    response = client.get(reverse("audit-log"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == shown and sheet.cell(row=1, column=1).value == "Thời điểm"
    csv = client.get(reverse("audit-log"), {"format": "csv", "kind": "visit"}).content
    assert csv.decode("utf-8-sig").count("\n") == 3  # the header and two changes


def test_a_sign_in_is_not_a_change_but_a_flag_is(client, people):
    people.commune_a_staff.history.all().delete()
    client.post(reverse("login"), {"username": "c01.vp", "password": "secret-pass-123"})
    assert not people.commune_a_staff.history.exists()
    person = fresh(people.commune_a_staff)
    person.is_staff = True
    person.save()
    assert people.commune_a_staff.history.get().history_type == "~"


def test_role_changes_are_recorded(people):
    position = Position.objects.get(user=people.commune_a_staff)
    position.role = "secretary"
    position.save()
    assert [h.role for h in position.history.order_by("history_date")] == [
        "office_staff",
        "secretary",
    ]


@pytest.mark.parametrize("extra", [2, 20])
def test_the_trail_page_stays_flat(client, people, oversight, tree, extra,
                                   django_assert_max_num_queries):  # fmt: skip
    for n in range(extra):
        member = PositionFactory(user=UserFactory(), unit=tree.commune_a, role="executive_member")
        member.title = f"Ủy viên {n}"
        member.save()
    client.force_login(people.province_office)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("audit-log")).status_code == 200


def test_a_tasks_progress_and_extension_are_in_the_trail(client, people, tree):
    import datetime

    from assignments.models import BreakthroughTask, TaskStatus
    from assignments.services import do_report_progress, do_request_extension

    year = TODAY.year
    task = BreakthroughTask.objects.create(
        title="Xóa nhà tạm", kind="registered", cadre=people.district_a_secretary,
        owner_unit=tree.district_a, year=year, deadline=datetime.date(year, 12, 31),
        expected_result="Không còn nhà tạm", status=TaskStatus.APPROVED,
    )  # fmt: skip
    cadre = fresh(people.district_a_secretary)
    do_report_progress(cadre, task, 40, "40 căn")
    do_request_extension(fresh(cadre), task, datetime.date(year + 1, 3, 31), "Mưa lũ")
    client.force_login(people.province_office)
    kinds = {c.kind for c in client.get(reverse("audit-log")).context["changes"]}
    assert {"Báo cáo tiến độ", "Đề nghị gia hạn", "Việc đột phá"} <= kinds
    client.force_login(people.district_b_office)
    other = {c.kind for c in client.get(reverse("audit-log")).context["changes"]}
    assert "Báo cáo tiến độ" not in other
