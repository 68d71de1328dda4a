"""The home tells each person what needs them: every number on it is the number of the page it
links to, and it costs the same few queries whatever the size of the scope."""

import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from assignments.models import BreakthroughTask, TaskKind, TaskStatus
from oversight import home
from oversight.clock import local_today
from tests.clock import TODAY, local
from tests.conftest import fresh
from tests.factories import AssignmentFactory, PositionFactory, UnitFactory, UserFactory
from visits.models import Meeting, Reminder, ReminderStatus, Visit, VisitKind
from visits.services import do_return_visit, do_save_visit


def log(member, meeting, submit=True) -> Visit:
    visit = Visit(member=member, logged_by=member, kind=VisitKind.MEETING, meeting=meeting)
    return do_save_visit(fresh(member), visit, submit=submit)


def item(page, key):
    return next(i for i in page.context["office"].items if i.key == key)


def task(people, tree, deadline, title="Giải phóng mặt bằng") -> BreakthroughTask:
    return BreakthroughTask.objects.create(
        title=title, kind=TaskKind.COMMISSIONED, cadre=people.district_a_secretary,
        owner_unit=tree.district_a, year=deadline.year, deadline=deadline,
        expected_result="Xong", status=TaskStatus.APPROVED,
    )  # fmt: skip


def test_the_office_home_counts_what_its_pages_list(client, people, oversight, tree):
    log(oversight.district_member, oversight.meeting_a)
    task(people, tree, TODAY - datetime.timedelta(days=1), "Quá hạn")
    task(people, tree, TODAY + datetime.timedelta(days=10), "Sắp đến hạn")
    task(people, tree, TODAY + datetime.timedelta(days=60), "Còn xa")
    Reminder.objects.create(
        recipient=oversight.district_member, kind="upcoming_meeting", subject="meeting:x",
        status=ReminderStatus.FAILED, context={},
    )  # fmt: skip
    office = people.province_office
    client.force_login(office)
    page = client.get(reverse("home"))
    assert page.status_code == 200 and 'data-testid="office-agenda"' in page.text

    waiting = item(page, "waiting")
    assert waiting.count == len(client.get(waiting.url).context["page"].object_list) == 1

    short = item(page, "short")  # November: its books close on 5 December
    listed = client.get(short.url).context["report"]
    month = home.next_closing_month(TODAY)
    assert month == TODAY.replace(day=1) and "05/12/2026" in short.note
    cells = [cell for row in listed.rows if (cell := row.by_month.get(month))]
    below = [cell for cell in cells if cell.tally.logged < cell.tally.required]
    assert short.count == len(below) == 1  # the monthly district member; the quarter ends later

    unvisited = item(page, "unvisited")
    coverage = client.get(unvisited.url).context["report"]
    assert unvisited.count == len(coverage.cells) + len(coverage.communes)

    overdue, due = item(page, "tasks_overdue"), item(page, "tasks_due")
    assert overdue.count == len(client.get(overdue.url).context["page"].object_list) == 1
    assert due.count == len(client.get(due.url).context["page"].object_list) == 1
    assert item(page, "reminders_failed").count == 1
    client.force_login(people.district_b_office)  # the failed reminder is not theirs to see
    assert item(client.get(reverse("home")), "reminders_failed").count == 0


@pytest.mark.time_machine(local(2026, 12, 3))
def test_before_the_closing_day_the_office_hears_of_last_month(client, people, oversight):
    client.force_login(people.province_office)
    short = item(client.get(reverse("home")), "short")
    assert "11/2026" in short.label and "05/12/2026" in short.note and "2 ngày" in short.note
    assert short.urgent


def test_the_member_home_shows_areas_meetings_returned_visits_and_tasks(
    client, people, oversight, tree
):
    member = oversight.district_member
    visit = log(member, oversight.meeting_a)
    do_return_visit(fresh(people.commune_a_staff), visit, "Bổ sung số đảng viên dự")
    upcoming = Meeting.objects.create(
        cell=tree.cell_a, kind="thematic", date=TODAY + datetime.timedelta(days=3), topic="Chủ đề"
    )
    Meeting.objects.create(  # another district's meeting: never on this member's home
        cell=tree.cell_b, kind="thematic", date=TODAY + datetime.timedelta(days=2), topic="X"
    )
    client.force_login(member)
    page = client.get(reverse("home"))
    agenda = page.context["member"]
    mine = client.get(reverse("my-work")).context
    assert [(p.required, p.logged) for p in agenda.progress] == [
        (p.required, p.logged) for p in mine["progress"]
    ]
    assert [m.pk for m in agenda.upcoming] == [upcoming.pk]
    assert [v.pk for v in agenda.returned] == [visit.pk]
    assert reverse("visit-edit", args=[visit.pk]) in page.text
    assert page.context["office"] is None and page.context["leader"] is None


def test_the_secretary_home_shows_the_scope_as_the_report_does(client, people, oversight):
    log(oversight.district_member, oversight.meeting_a)
    secretary = people.district_a_secretary
    client.force_login(secretary)
    page = client.get(reverse("home"))
    leader = page.context["leader"]
    report = client.get(leader.report_url).context["report"]
    assert (leader.closed_total.required, leader.closed_total.logged) == (
        report.total.required,
        report.total.logged,
    )
    assert [(u.code, t.percent) for u, t in leader.behind] == sorted(
        ((u.code, t.percent) for u, t in report.by_group if t.percent is not None),
        key=lambda pair: (pair[1], pair[0]),
    )
    assert 'role="img"' in page.text  # the chart, with its text alternative
    assert leader.tasks.year == local_today().year


def grow(people, tree, oversight, start: int, stop: int) -> None:
    for n in range(start, stop):
        member = UserFactory(username=f"uv{n}")
        PositionFactory(user=member, unit=tree.district_a, role=Role.EXECUTIVE_MEMBER)
        cell = UnitFactory(code=f"C01-H{n:03d}", level="cell", parent=tree.commune_a)
        AssignmentFactory(member=member, unit=cell)
        meeting = Meeting.objects.create(cell=cell, kind="regular", date=oversight.meeting_a.date)
        log(member, meeting)
        task(people, tree, TODAY + datetime.timedelta(days=n), f"Nhiệm vụ {n}")


@pytest.mark.parametrize("role", ["tinh.vp", "d01.bithu", "d01.uv"])
def test_the_home_costs_the_same_queries_whatever_the_scope(
    client, people, tree, oversight, role, django_assert_max_num_queries, django_assert_num_queries
):
    from accounts.models import User

    client.force_login(User.objects.get(username=role))
    grow(people, tree, oversight, 0, 2)
    with django_assert_max_num_queries(40) as small:
        assert client.get(reverse("home")).status_code == 200
    grow(people, tree, oversight, 2, 20)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(reverse("home")).status_code == 200
