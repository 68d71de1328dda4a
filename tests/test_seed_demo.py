"""The demo province: complete, logins that work, each seeing its own subtree, and idempotent."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Position, User
from accounts.roles import Role
from assignments.models import Assignment
from oversight.clock import local_today
from oversight.demo import DEMO_PASSWORD
from oversight.models import Level, Unit
from tests.clock import local
from visits import reminders
from visits.models import Meeting, MeetingKind, MeetingSchedule, MeetingStatus, Visit, VisitStatus


def snapshot() -> dict[str, object]:
    return {
        "units": sorted(Unit.objects.values_list("code", "name", "level", "path", "parent__code")),
        "users": sorted(User.objects.values_list("username", "full_name", "password")),
        "positions": sorted(
            Position.objects.values_list("user__username", "unit__code", "role", "term__name")
        ),
        "assignments": sorted(Assignment.objects.values_list("member_id", "unit_id", "end_date")),
        "meetings": sorted(Meeting.objects.values_list("cell_id", "kind", "date", "status")),
        "visits": sorted(Visit.objects.values_list("member_id", "meeting_id", "status", "rating")),
    }


def test_seed_demo_loads_the_province_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    counts = Unit.objects.level_counts()
    assert counts[Level.PROVINCE] == 1
    assert counts[Level.DISTRICT] == 7
    assert counts[Level.COMMUNE] == 137
    cells_per_commune = [
        commune.children.count() for commune in Unit.objects.filter(level=Level.COMMUNE)
    ]
    assert min(cells_per_commune) >= 4 and max(cells_per_commune) <= 12
    assert Unit.objects.filter(name__startswith="Chi bộ thôn").exists()
    assert 55 <= User.objects.count() <= 65
    roles = set(Position.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert Position.objects.filter(unit__code="P08", role=Role.STANDING_MEMBER).count() >= 9
    districts_with_office = Position.objects.filter(
        unit__level=Level.DISTRICT, role=Role.OFFICE_STAFF
    ).values("unit")
    assert districts_with_office.distinct().count() == 7
    for role in ["tinh.bithu", "tinh.vanphong1", "tuyenquang.bithu", "admin"]:
        assert role in out
    assert DEMO_PASSWORD in out

    # A living province: every cell has a meeting day and twelve months of meetings; members
    # are assigned and have logged most, not all, of what the policy asks, some returned.
    cells = Unit.objects.filter(level=Level.CELL).count()
    assert MeetingSchedule.objects.count() == cells
    assert Meeting.objects.filter(kind=MeetingKind.REGULAR).count() == cells * 13
    assert Meeting.objects.filter(kind=MeetingKind.THEMATIC).exists()
    assert Assignment.objects.filter(unit__level=Level.COMMUNE).count() >= 19
    assert Assignment.objects.filter(unit__level=Level.CELL).exists()
    statuses = set(Visit.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in VisitStatus}
    assert Visit.objects.filter(status=VisitStatus.ACCEPTED).count() > Visit.objects.count() / 2
    assert Visit.objects.exclude(rating="").exists()

    before = snapshot()
    call_command("seed_demo")
    assert "created=0 updated=0 unchanged=1" in capsys.readouterr().out
    assert snapshot() == before


def test_demo_logins_work_and_each_sees_its_subtree(client, db):
    call_command("seed_demo")
    assert User.objects.get(username="lambinh.bithu").check_password(DEMO_PASSWORD)
    client.post(reverse("login"), {"username": "lambinh.bithu", "password": DEMO_PASSWORD})
    other_commune = Unit.objects.filter(level=Level.COMMUNE).exclude(path__startswith="P08/D071/")[
        0
    ]
    own_commune = Unit.objects.filter(level=Level.COMMUNE, path__startswith="P08/D071/")[0]
    # Lâm Bình's secretary sits on the provincial committee too; work in the district.
    client.post(reverse("switch-tenant"), {"unit": "D071"})
    assert client.get(reverse("unit-detail", args=[own_commune.code])).status_code == 200
    assert client.get(reverse("unit-detail", args=[other_commune.code])).status_code == 404


def test_demo_board_shows_the_articles_2019_figures(client, db):
    from assignments.services import year_summary

    call_command("seed_demo")
    office = User.objects.get(username="tinh.vanphong1")
    summary = year_summary(office, 2019)
    assert (summary.total, summary.commissioned, summary.commissioned_completed) == (25, 10, 9)
    client.force_login(office)
    page = client.get(reverse("task-board"), {"year": 2019})
    assert "9/10" in page.text


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(local(2026, 12, 1, 8), id="first-of-month"),
        pytest.param(local(2026, 12, 31, 23, 30), id="31-december-late-evening"),
    ],
)
def test_the_demo_is_alive_whatever_the_day(day, time_machine, client, db):
    time_machine.move_to(day)
    call_command("seed_demo")
    today = local_today()
    assert set(Visit.objects.values_list("status", flat=True)) == {s.value for s in VisitStatus}
    assert Visit.objects.filter(status=VisitStatus.DRAFT).count() >= 3
    assert Visit.objects.filter(status=VisitStatus.RETURNED).count() >= 3
    assert Visit.objects.filter(status=VisitStatus.SUBMITTED).count() >= 3
    assert not Visit.objects.filter(date__gt=today).exists()
    upcoming = Meeting.objects.filter(date__gt=today).exclude(status=MeetingStatus.CANCELLED)
    assert upcoming.exists() and reminders.plan_upcoming_meetings(today)
    before = snapshot()
    call_command("seed_demo")
    assert snapshot() == before


@pytest.mark.time_machine(local(2026, 12, 1, 8))
def test_on_the_first_the_demo_report_shows_the_month_in_progress(client, db):
    """December has just begun and November closes on the 5th: neither is red, neither counts."""
    call_command("seed_demo")
    client.force_login(User.objects.get(username="tinh.vanphong1"))
    page = client.get(reverse("report-compliance"))
    report = page.context["report"]
    december, november = local_today().replace(day=1), local_today().replace(month=11, day=1)
    assert report.months[-1] == december
    assert {december, november} <= report.in_progress_months
    cells = [cell for row in report.rows for cell in row.by_month.values()]
    open_cells = [cell for cell in cells if cell.end >= november]
    assert open_cells and all(cell.status == "progress" for cell in open_cells)
    closed = [cell.tally for cell in cells if cell.end < november]
    assert report.total.required == sum(t.required for t in closed)
    assert report.total.logged == sum(t.logged for t in closed)
    assert report.total.percent == round(100 * report.total.logged / report.total.required)
    assert 'data-status="progress"' in page.text and "đang diễn ra" in page.text
