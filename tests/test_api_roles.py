"""Every API endpoint × every demo role: what each may see and do, and 404 / 403 outside it.

The roles are the demo's (README): administrator; the provincial office, a standing member and
a committee member; a district secretary and a district committee member; a commune secretary
and the commune office; a cell secretary; the office of the other district; and a person with
no position. The objects all lie in district D01 (commune C01, cell C01-01), so the other
district's office and the person without a position must never reach them.
"""

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Position, User
from accounts.roles import Role
from assignments.models import Assignment, BreakthroughTask, TaskKind, TaskStatus
from oversight.models import Unit
from tests.clock import TODAY
from tests.factories import AssignmentFactory, PositionFactory, UserFactory
from visits.models import FieldVisitType, ScoreSheet, Visit, VisitKind, VisitStatus

ROLES = [
    "admin",
    "tinh.vp",
    "tinh.btv",
    "tinh.uv",
    "d01.bithu",
    "d01.uv",
    "c01.bithu",
    "c01.vp",
    "c01-01.bithu",
    "d02.vp",
    "khong.chuc.vu",
]
#: who sees what: the object's unit lies in their subtree (or they are its owner)
SEES_DISTRICT = {"admin", "tinh.vp", "tinh.btv", "tinh.uv", "d01.bithu", "d01.uv"}
SEES_COMMUNE = SEES_DISTRICT | {"c01.bithu", "c01.vp"}
SEES_CELL = SEES_COMMUNE | {"c01-01.bithu"}
YEAR = TODAY.year


@dataclass
class World:
    ids: dict[str, Any]


@pytest.fixture
def world(people, oversight, tree) -> World:
    PositionFactory(
        user=UserFactory(username="tinh.btv"), unit=tree.province, role=Role.STANDING_MEMBER
    )
    PositionFactory(
        user=UserFactory(username="c01.bithu"), unit=tree.commune_a, role=Role.SECRETARY
    )
    member = oversight.district_member
    visit = Visit.objects.create(
        member=member,
        logged_by=member,
        kind=VisitKind.FIELD,
        unit=tree.cell_a,
        date=TODAY,
        field_type=FieldVisitType.FACT_FINDING,
        status=VisitStatus.SUBMITTED,
    )

    def task(status: str) -> BreakthroughTask:
        return BreakthroughTask.objects.create(
            title=f"Nhiệm vụ {status}",
            kind=TaskKind.COMMISSIONED,
            cadre=people.district_a_secretary,
            owner_unit=tree.district_a,
            year=YEAR,
            deadline=datetime.date(YEAR, 12, 15),
            expected_result="Hoàn thành",
            status=status,
        )

    sheet = ScoreSheet.for_unit(tree.cell_a)
    return World(
        ids={
            "member": member.pk,
            "cell_secretary": people.cell_a_secretary.pk,
            "commune_office_position": Position.objects.get(user=people.commune_a_staff).pk,
            "cell_secretary_position": Position.objects.get(user=people.cell_a_secretary).pk,
            "assignment": Assignment.objects.get(member=member).pk,
            "meeting": oversight.meeting_a.pk,
            "new_date": oversight.meeting_a.date.replace(day=12).isoformat(),
            "visit": visit.pk,
            "proposed_task": task(TaskStatus.PROPOSED).pk,
            "approved_task": task(TaskStatus.APPROVED).pk,
            "cadre": people.district_a_secretary.pk,
            "points": {c.code: c.max_points for c in sheet.criteria.all()},
        }
    )


def client_as(username: str) -> APIClient:
    api = APIClient()
    token = Token.objects.get_or_create(user=User.objects.get(username=username))[0]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


# What each role may read: endpoint (with the world's ids) → the roles that get 200 (others 404).
READS = {
    "units/C01/": SEES_COMMUNE,
    "people/{member}/": SEES_DISTRICT,
    "positions/{commune_office_position}/": SEES_COMMUNE,
    "assignments/{assignment}/": SEES_CELL,
    "meetings/{meeting}/": SEES_CELL,
    "visits/{visit}/": SEES_CELL,
    "tasks/{proposed_task}/": SEES_DISTRICT,
    "reports/compliance/?unit=D01": SEES_DISTRICT,
    "reports/coverage/?unit=C01": SEES_COMMUNE,
}


@pytest.mark.parametrize("endpoint", list(READS))
def test_reads(world, endpoint):
    observed, bodies = {}, {}
    for role in ROLES:
        response = client_as(role).get("/api/v1/" + endpoint.format(**world.ids))
        observed[role], bodies[role] = response.status_code, response.json()
    assert observed == {role: 200 if role in READS[endpoint] else 404 for role in ROLES}
    for role in set(ROLES) - READS[endpoint]:
        assert set(bodies[role]) == {"detail", "errors"}


# Every list answers every signed-in role; the object shows up exactly where its detail does.
LISTS = {
    "units/?level=commune": ("code", "C01", SEES_COMMUNE),
    "people/": ("id", "{member}", SEES_DISTRICT),
    "positions/": ("id", "{commune_office_position}", SEES_COMMUNE),
    "assignments/": ("id", "{assignment}", SEES_CELL),
    "meetings/": ("id", "{meeting}", SEES_CELL),
    "visits/": ("id", "{visit}", SEES_CELL),
    "tasks/": ("id", "{proposed_task}", SEES_DISTRICT),
}


@pytest.mark.parametrize("endpoint", list(LISTS))
def test_lists(world, endpoint):
    key, marker, seers = LISTS[endpoint]
    wanted = marker.format(**world.ids)
    seen_by = set()
    for role in ROLES:
        response = client_as(role).get("/api/v1/" + endpoint, {"limit": 500})
        assert response.status_code == 200, role
        if wanted in {str(row[key]) for row in response.json()["results"]}:
            seen_by.add(role)
    assert seen_by == seers


def everyone(status: int, **exceptions: int) -> dict[str, int]:
    return {
        role: exceptions.get(role.replace(".", "_").replace("-", "_"), status) for role in ROLES
    }


OFFICES = {"admin": 200, "tinh_vp": 200, "c01_vp": 200, "d02_vp": 404}
# (method, endpoint, body, role → expected status). 403: the role lacks the right; 404: the
# object is outside the role's scope; 400: an id or code in the body is outside it (answered
# like one that does not exist) or the model's rules refuse.
WRITES = {
    "assign": (
        "post",
        "assignments/",
        {"member": "{member}", "unit": "C01-02"},
        everyone(403, admin=201, tinh_vp=201, d01_bithu=201, c01_bithu=400, c01_vp=400, d02_vp=400),
    ),
    "end assignment": (
        "post",
        "assignments/{assignment}/end/",
        {},
        # The commune sees the cell but not the district's member: it cannot drop them.
        everyone(403, admin=200, tinh_vp=200, d01_bithu=200, d02_vp=404),
    ),
    "log a visit": (
        "post",
        "visits/",
        {"kind": "meeting", "meeting": "{meeting}"},
        everyone(400, tinh_uv=201, d01_uv=201, c01_01_bithu=403, khong_chuc_vu=403),
    ),
    "edit a visit": (
        "patch",
        "visits/{visit}/",
        {"findings": "Sửa"},
        # Its member and the offices may edit it, but a submitted visit is locked (400).
        everyone(403, admin=400, tinh_vp=400, d01_uv=400, c01_vp=400, d02_vp=404),
    ),
    "submit a visit": (
        "post",
        "visits/{visit}/submit/",
        {},
        everyone(403, admin=400, tinh_vp=400, d01_uv=400, c01_vp=400, d02_vp=404),
    ),
    "accept a visit": ("post", "visits/{visit}/accept/", {}, everyone(403, **OFFICES)),
    "return a visit": (
        "post",
        "visits/{visit}/return/",
        {"comment": "Bổ sung số đảng viên dự"},
        everyone(403, **OFFICES),
    ),
    "move a meeting": (
        "post",
        "meetings/{meeting}/move/",
        {"new_date": "{new_date}", "reason": "Trùng lịch họp xã"},
        everyone(403, c01_01_bithu=200, **OFFICES),
    ),
    "cancel a meeting": (
        "post",
        "meetings/{meeting}/cancel/",
        {"reason": "Bão lũ"},
        everyone(403, c01_01_bithu=200, **OFFICES),
    ),
    "score a meeting": (
        "post",
        "meetings/{meeting}/score/",
        {"points": "{points}"},
        everyone(403, c01_01_bithu=200, **OFFICES),
    ),
    "add a thematic meeting": (
        "post",
        "meetings/",
        {"cell": "C01-01", "date": "{new_date}", "topic": "Học tập và làm theo Bác"},
        everyone(403, admin=201, tinh_vp=201, c01_vp=201, d02_vp=400),
    ),
    "appoint": (
        "post",
        "positions/",
        {"user": "{cell_secretary}", "unit": "C01", "role": "executive_member"},
        everyone(403, admin=201, tinh_vp=201, c01_vp=201, d02_vp=400),
    ),
    "end a position": (
        "post",
        "positions/{cell_secretary_position}/end/",
        {},
        everyone(403, **OFFICES),
    ),
    "add a person": (
        "post",
        "people/",
        {
            "username": "moi.nguoi",
            "full_name": "Nguyễn Văn Mới",
            "unit": "C01",
            "role": "executive_member",
        },
        everyone(403, admin=201, tinh_vp=201, c01_vp=201, d02_vp=400),
    ),
    "correct a person": (
        "patch",
        "people/{member}/",
        {"phone": "0912345678"},
        everyone(403, admin=200, tinh_vp=200, c01_vp=404, d02_vp=404),
    ),
    "propose a task": (
        "post",
        "tasks/",
        {
            "title": "Giải quyết đơn thư tồn đọng",
            "kind": "commissioned",
            "cadre": "{cadre}",
            "year": YEAR,
            "deadline": f"{YEAR}-12-20",
            "expected_result": "Dứt điểm",
        },
        everyone(403, admin=201, tinh_vp=201, c01_vp=400, d02_vp=400),
    ),
    "approve a task": (
        "post",
        "tasks/{proposed_task}/approve/",
        {"decision_number": "15-QĐ/TU", "decision_date": f"{YEAR}-01-10"},
        everyone(403, admin=200, tinh_vp=200, c01_vp=404, d02_vp=404),
    ),
    "report progress": (
        "post",
        "tasks/{approved_task}/progress/",
        {"percent": 40, "narrative": "Đã giải quyết 4/10 vụ việc"},
        everyone(404, admin=403, tinh_vp=403, tinh_btv=403, tinh_uv=403, d01_bithu=201, d01_uv=403),
    ),
    "ask for an extension": (
        "post",
        "tasks/{approved_task}/extension/",
        {"new_deadline": f"{YEAR + 1}-03-31", "reason": "Chờ kết luận thanh tra"},
        everyone(404, admin=403, tinh_vp=403, tinh_btv=403, tinh_uv=403, d01_bithu=201, d01_uv=403),
    ),
    "evaluate a task": (
        "post",
        "tasks/{approved_task}/evaluate/",
        {"result": "completed"},
        everyone(403, admin=200, tinh_vp=200, c01_vp=404, d02_vp=404),
    ),
}


def filled(value: Any, ids: dict[str, Any]) -> Any:
    """The body with the world's ids in place of ``{name}`` (a whole value keeps its type)."""
    if isinstance(value, dict):
        return {key: filled(item, ids) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def attempt(api: APIClient, method: str, url: str, body: Any) -> Any:
    """One write, undone by a savepoint so that the next caller tries it on the same world."""
    with transaction.atomic():
        response = getattr(api, method)(url, body, format="json")
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("write", list(WRITES))
def test_writes(world, write):
    """Each role tries the write on the same world."""
    method, endpoint, body, expected = WRITES[write]
    url = "/api/v1/" + endpoint.format(**world.ids)
    observed = {}
    for role in ROLES:
        response = attempt(client_as(role), method, url, filled(body, world.ids))
        observed[role] = response.status_code
        if response.status_code >= 400:
            assert set(response.json()) == {"detail", "errors"}, role
            assert response.json()["detail"], role
    assert observed == expected


@pytest.mark.parametrize("role", ROLES)
def test_every_role_revokes_its_own_token(world, role):
    api = client_as(role)
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/units/").status_code == 401


# -- rights bound to the position that grants them ------------------------------------------
# Two people hold two positions at two levels and in two districts. "hai.cap" sits on the
# provincial committee (no right to assign) and is secretary of D02 (may assign there): working
# at the province, they see D01 but may assign only in D02. "hai.huyen" is secretary of D01 and
# office staff of commune C02 (in D02): reviewing and editing meetings are theirs in C02 only.
# Each tries the writes of every kind of right (assign, review, edit meetings, manage people,
# decide tasks) on both sides: D01 (the world above) and C02 (in D02).
TWO_HATS = ["hai.cap@P01", "hai.huyen@D01", "hai.huyen@C02"]
TWO_SIDED_WRITES = {
    # write: (method, endpoint, body, {person@tenant: status})
    "assign in D01": (
        "post",
        "assignments/",
        {"member": "{member}", "unit": "C01-02"},
        [403, 201, 400],
    ),
    "assign in C02": (
        "post",
        "assignments/",
        {"member": "{member_c02}", "unit": "C02-01"},
        [201, 400, 201],
    ),
    "end assignment in D01": ("post", "assignments/{assignment}/end/", {}, [403, 200, 404]),
    # The member of D02 holds a position above the commune: only D02's level may drop them.
    "end assignment in C02": ("post", "assignments/{assignment_b}/end/", {}, [200, 404, 403]),
    "accept a visit in D01": ("post", "visits/{visit}/accept/", {}, [403, 403, 404]),
    "accept a visit in C02": ("post", "visits/{visit_b}/accept/", {}, [403, 404, 200]),
    "move a meeting in D01": (
        "post",
        "meetings/{meeting}/move/",
        {"new_date": "{new_date}", "reason": "Trùng lịch"},
        [403, 403, 404],
    ),
    "move a meeting in C02": (
        "post",
        "meetings/{meeting_b}/move/",
        {"new_date": "{new_date}", "reason": "Trùng lịch"},
        [403, 404, 200],
    ),
    "add a person in D01": (
        "post",
        "people/",
        {"username": "moi.d01", "full_name": "Lò Văn A", "unit": "C01", "role": "executive_member"},
        [403, 403, 400],
    ),
    "add a person in C02": (
        "post",
        "people/",
        {"username": "moi.c02", "full_name": "Lò Văn B", "unit": "C02", "role": "executive_member"},
        [403, 400, 201],
    ),
    "add a thematic meeting in D01": (
        "post",
        "meetings/",
        {"cell": "C01-01", "date": "{new_date}", "topic": "Chuyển đổi số"},
        [403, 403, 400],
    ),
    "add a thematic meeting in C02": (
        "post",
        "meetings/",
        {"cell": "C02-01", "date": "{new_date}", "topic": "Chuyển đổi số"},
        [403, 400, 201],
    ),
    "appoint in D01": (
        "post",
        "positions/",
        {"user": "{cell_secretary}", "unit": "C01", "role": "executive_member"},
        [403, 403, 400],
    ),
    "appoint in C02": (
        "post",
        "positions/",
        {"user": "{member_c02}", "unit": "C02", "role": "deputy_secretary"},
        [403, 400, 201],
    ),
    "end a position in D01": (
        "post",
        "positions/{cell_secretary_position}/end/",
        {},
        [403, 403, 404],
    ),
    "end a position in C02": ("post", "positions/{c02_position}/end/", {}, [403, 404, 200]),
    "approve a task in D01": (
        "post",
        "tasks/{proposed_task}/approve/",
        {"decision_number": "15-QĐ/TU", "decision_date": f"{YEAR}-01-10"},
        [403, 403, 404],
    ),
    "approve a task in C02": (
        "post",
        "tasks/{proposed_task_c02}/approve/",
        {"decision_number": "03-QĐ/ĐU", "decision_date": f"{YEAR}-01-10"},
        [403, 404, 200],
    ),
}


@pytest.fixture
def two_sides(world, people, oversight, tree) -> dict[str, Any]:
    hai_cap = UserFactory(username="hai.cap")
    PositionFactory(user=hai_cap, unit=tree.province, role=Role.EXECUTIVE_MEMBER)
    PositionFactory(user=hai_cap, unit=tree.district_b, role=Role.SECRETARY)
    hai_huyen = UserFactory(username="hai.huyen")
    PositionFactory(user=hai_huyen, unit=tree.district_a, role=Role.SECRETARY)
    PositionFactory(user=hai_huyen, unit=tree.commune_b, role=Role.OFFICE_STAFF)
    member_b = PositionFactory(
        user=UserFactory(username="d02.uv"), unit=tree.district_b, role=Role.EXECUTIVE_MEMBER
    ).user
    c02_position = PositionFactory(
        user=UserFactory(username="c02.uv"), unit=tree.commune_b, role=Role.EXECUTIVE_MEMBER
    )
    member_c02 = c02_position.user
    proposed_task_c02 = BreakthroughTask.objects.create(
        title="Nâng cấp đường thôn",
        kind=TaskKind.COMMISSIONED,
        cadre=member_c02,
        owner_unit=tree.commune_b,
        year=YEAR,
        deadline=datetime.date(YEAR, 12, 15),
        expected_result="Hoàn thành",
        status=TaskStatus.PROPOSED,
    )
    assignment_b = AssignmentFactory(member=member_b, unit=tree.cell_b)
    visit_b = Visit.objects.create(
        member=member_b,
        logged_by=member_b,
        kind=VisitKind.FIELD,
        unit=tree.cell_b,
        date=TODAY,
        field_type=FieldVisitType.FACT_FINDING,
        status=VisitStatus.SUBMITTED,
    )
    return {
        **world.ids,
        "member_c02": member_c02.pk,
        "assignment_b": assignment_b.pk,
        "visit_b": visit_b.pk,
        "meeting_b": oversight.meeting_b.pk,
        "c02_position": c02_position.pk,
        "proposed_task_c02": proposed_task_c02.pk,
    }


def client_working_in(person_at_tenant: str) -> APIClient:
    username, tenant = person_at_tenant.split("@")
    User.objects.filter(username=username).update(current_tenant=Unit.objects.get(code=tenant))
    return client_as(username)


@pytest.mark.parametrize("write", list(TWO_SIDED_WRITES))
def test_a_right_acts_only_in_the_subtree_of_its_position(two_sides, write):
    method, endpoint, body, statuses = TWO_SIDED_WRITES[write]
    url = "/api/v1/" + endpoint.format(**two_sides)
    observed = {
        person: attempt(client_working_in(person), method, url, filled(body, two_sides)).status_code
        for person in TWO_HATS
    }
    assert observed == dict(zip(TWO_HATS, statuses, strict=True))
