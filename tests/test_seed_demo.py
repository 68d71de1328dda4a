"""The demo province: complete, logins that work, each seeing its own subtree, and idempotent."""

import datetime
import io

import docx
import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Position, User
from accounts.roles import Role
from assignments.models import Assignment
from oversight.clock import local_today
from oversight.demo import DEMO_PASSWORD
from oversight.models import Level, PlanStatus, ReorganisationPlan, Unit
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
        "assignments": sorted(
            map(str, Assignment.objects.values_list("member_id", "unit_id", "end_date"))
        ),
        "meetings": sorted(Meeting.objects.values_list("cell_id", "kind", "date", "status")),
        "visits": sorted(Visit.objects.values_list("member_id", "meeting_id", "status", "rating")),
    }


def test_seed_demo_tells_the_provinces_story_and_is_idempotent(db, capsys):
    """Old Tuyên Quang and old Hà Giang in 2020–2025, the reorganisation of 1 July 2025 through
    the plan machinery, and the new province's 2025–2030 term."""
    call_command("seed_demo")
    out = capsys.readouterr().out
    # The old tree stays, inactive, with its dates; the new one lives.
    old = Unit.objects.filter(is_active=False)
    assert old.filter(level=Level.DISTRICT).count() == 18
    assert old.filter(level=Level.COMMUNE, valid_to=datetime.date(2025, 6, 30)).count() == 330
    assert not Unit.objects.get(code="P02").is_active
    new = Unit.objects.active().filter(level=Level.COMMUNE)
    assert new.count() == 124 and not new.exclude(path__startswith="P08/C").exists()
    plan = ReorganisationPlan.objects.get(status=PlanStatus.APPLIED)
    assert (
        plan.basis_number == "1684/NQ-UBTVQH15" and plan.effective_date.isoformat() == "2025-07-01"
    )
    tan_thanh = Unit.objects.holding("C02578")
    assert {u.code for u in tan_thanh.predecessors()} == {"C02575", "C02578", "C02590"}
    # Every new commune has cells, carried from its predecessors; none was left behind.
    assert not Unit.objects.filter(level=Level.CELL, parent__is_active=False).exists()
    assert all(commune.children.exists() for commune in new)
    assert Unit.objects.filter(name__startswith="Chi bộ thôn").exists()
    # Both terms' people: the old district committees ended with the reorganisation.
    assert 80 <= User.objects.count() <= 110
    assert set(Position.objects.values_list("role", flat=True)) == set(Role.values)
    current = Position.objects.current()
    assert current.filter(unit__code="P08", role=Role.STANDING_MEMBER).count() >= 9
    district_offices = Position.objects.filter(unit__level=Level.DISTRICT, role=Role.OFFICE_STAFF)
    assert district_offices.count() == 7
    assert set(district_offices.values_list("end_date", flat=True)) == {datetime.date(2025, 6, 30)}
    assert not current.filter(unit__is_active=False).exists()
    for login in ["tinh.bithu", "tinh.vanphong1", "tuyenquang.bithu", "minhxuan.vanphong", "admin"]:
        assert login in out
    assert DEMO_PASSWORD in out

    # A living province: every cell has a meeting day; the quarter before the reorganisation
    # and the last twelve months have their meetings and visits, most accepted, some returned.
    cells = Unit.objects.filter(level=Level.CELL).count()
    assert MeetingSchedule.objects.count() == cells
    before_reform = Meeting.objects.filter(kind=MeetingKind.REGULAR, date__lt="2025-07-01")
    assert before_reform.count() == cells * 3
    assert Visit.objects.filter(date__lt="2025-07-01", status=VisitStatus.ACCEPTED).exists()
    assert Meeting.objects.filter(kind=MeetingKind.THEMATIC).exists()
    assert Assignment.objects.open_on().filter(unit__level=Level.COMMUNE).count() >= 19
    assert Assignment.objects.open_on().filter(unit__level=Level.CELL).exists()
    statuses = set(Visit.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in VisitStatus}
    assert Visit.objects.filter(status=VisitStatus.ACCEPTED).count() > Visit.objects.count() / 2
    assert Visit.objects.exclude(rating="").exists()

    before = snapshot()
    call_command("seed_demo")
    assert "created=0 updated=0 unchanged=1" in capsys.readouterr().out
    assert snapshot() == before


def test_demo_logins_on_both_sides_of_the_reorganisation(client, db):
    call_command("seed_demo")
    assert User.objects.get(username="lambinh.bithu").check_password(DEMO_PASSWORD)
    # The old district secretary of Lâm Bình leads the new commune of Lâm Bình: he sees it and
    # its predecessors' history, not a neighbour.
    client.post(reverse("login"), {"username": "lambinh.bithu", "password": DEMO_PASSWORD})
    lam_binh = Unit.objects.holding("C02266")
    assert client.get(lam_binh.get_absolute_url()).status_code == 200
    predecessor = lam_binh.predecessors().first()
    assert client.get(predecessor.get_absolute_url()).status_code == 200
    neighbour = Unit.objects.active().filter(level=Level.COMMUNE).exclude(pk=lam_binh.pk).first()
    assert client.get(neighbour.get_absolute_url()).status_code == 404
    # The secretary of old Thành phố Tuyên Quang holds no position since 30/06/2025.
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "tuyenquang.bithu", "password": DEMO_PASSWORD})
    assert client.get(reverse("unit-detail", args=["D070"])).status_code == 404
    # The new commune's office sees its commune's report, with what its predecessors did.
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "minhxuan.vanphong", "password": DEMO_PASSWORD})
    report = client.get(reverse("report-compliance"), {"start": "2025-04", "end": "2025-06"})
    assert report.status_code == 200 and report.context["report"].root.code == "C02215"


def test_demo_board_shows_the_articles_2019_figures(client, db):
    from assignments.services import year_summary

    call_command("seed_demo")
    office = User.objects.get(username="tinh.vanphong1")
    summary = year_summary(office, 2019)
    assert (summary.total, summary.commissioned, summary.commissioned_completed) == (25, 10, 9)
    client.force_login(office)
    page = client.get(reverse("task-board"), {"year": 2019})
    assert "9/10" in page.text
    report = client.get(reverse("document-new-tasks"), {
        "unit": "P08", "year": "2019", "date": local_today().isoformat(), "signer_title": "BÍ THƯ",
        "signer_name": "Bí thư", "recipients": "Lưu Văn phòng Tỉnh ủy.", "format": "docx",
    })  # fmt: skip
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(report.content)).paragraphs)
    assert "giao 25 nhiệm vụ đột phá" in text and "trong đó 10 nhiệm vụ đặt hàng" in text
    assert "9/10 nhiệm vụ đặt hàng đã hoàn thành" in text


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
