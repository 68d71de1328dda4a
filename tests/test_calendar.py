"""The calendar sweep: everything that depends on the date, at the edges of the calendar.

Each edge is its own case, travelled to before the fixtures are built (``time_machine``
markers), so that the data is made as it would be on that day: the 1st of a month, the closing
day and the day after, the last day of a month and of a quarter, 31 December and 1 January,
29 February 2028, a Monday and a Sunday, and the hour around local midnight (Asia/Ho_Chi_Minh
is UTC+7). The closing day is the 5th, reminders of the month's closing go three days before it
and of a meeting two days before it.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from assignments.models import BreakthroughTask, TaskKind, TaskStatus
from oversight.clock import local_today
from oversight.reporting.reports import compliance, coverage
from tests.clock import local
from tests.conftest import fresh
from tests.factories import PositionFactory, UserFactory
from visits import reminders
from visits.models import (
    Meeting,
    MeetingSchedule,
    Period,
    Reminder,
    ReminderKind,
    Visit,
    VisitKind,
    add_months,
    closing_day,
    in_progress,
)
from visits.services import do_accept_visit, do_save_visit
from visits.tasks import plan_meetings, plan_reminders

D = datetime.date
EDGES = {
    "first-of-month": D(2026, 12, 1),
    "closing-day": D(2026, 12, 5),
    "day-after-closing": D(2026, 12, 6),
    "last-of-month": D(2026, 11, 30),
    "last-of-quarter": D(2027, 3, 31),
    "31-december": D(2026, 12, 31),
    "1-january": D(2027, 1, 1),
    "29-february-2028": D(2028, 2, 29),
    "monday": D(2026, 11, 16),
    "sunday": D(2026, 11, 22),
}


def on(day: datetime.date, *values, hour: int = 10):
    """A case that runs (fixtures included) at ``hour`` o'clock in Hà Nội on ``day``."""
    name = next((k for k, v in EDGES.items() if v == day), f"{day:%Y-%m-%d}")
    return pytest.param(
        day, *values, id=name, marks=pytest.mark.time_machine(local(*day.timetuple()[:3], hour))
    )


@pytest.fixture(autouse=True)
def calendar_settings(settings):
    settings.COMPLIANCE_CLOSING_DAY = 5
    settings.REMINDER_DAYS_BEFORE_CLOSING = 3
    settings.REMINDER_DAYS_BEFORE_MEETING = 2


def log(member: User, meeting: Meeting) -> Visit:
    visit = Visit(member=member, logged_by=member, kind=VisitKind.MEETING, meeting=meeting)
    return do_save_visit(fresh(member), visit, submit=True)


def usernames(planned) -> set[str]:
    ids = [p.recipient_id for p in planned]
    return set(User.objects.filter(pk__in=ids).values_list("username", flat=True))


# -- the day itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "utc, portal_day",
    [
        ((2026, 12, 31, 16, 59), D(2026, 12, 31)),  # 23:59 in Hà Nội
        ((2026, 12, 31, 17, 0), D(2027, 1, 1)),  # midnight
        ((2026, 12, 31, 18, 30), D(2027, 1, 1)),
        ((2028, 2, 28, 17, 30), D(2028, 2, 29)),
        ((2027, 3, 31, 17, 0), D(2027, 4, 1)),
        ((2026, 11, 30, 23, 0), D(2026, 12, 1)),
    ],
)
def test_the_portal_turns_the_day_at_local_midnight(time_machine, utc, portal_day):
    time_machine.move_to(datetime.datetime(*utc, tzinfo=datetime.UTC))
    assert local_today() == portal_day
    today = Visit(kind=VisitKind.FIELD, field_type="inspection", date=portal_day)
    today.clean()  # no error: for the portal it is today, whatever the server's UTC date
    tomorrow = Visit(
        kind=VisitKind.FIELD, field_type="inspection", date=portal_day + datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError) as refused:
        tomorrow.clean()
    assert "date" in refused.value.message_dict


@pytest.mark.parametrize(
    "utc, planned_subject",
    [
        ((2027, 1, 1, 16, 59), None),  # 1 January, 23:59 in Hà Nội: nothing is due
        ((2027, 1, 1, 17, 0), "closing:2026-12"),  # 2 January: December closes on the 5th
    ],
)
def test_the_beat_plans_by_the_portals_day(
    time_machine, oversight, utc, planned_subject, django_capture_on_commit_callbacks
):
    time_machine.move_to(datetime.datetime(*utc, tzinfo=datetime.UTC))
    with django_capture_on_commit_callbacks(execute=False):
        plan_reminders()
    subjects = set(
        Reminder.objects.filter(kind=ReminderKind.MONTH_CLOSING).values_list("subject", flat=True)
    )
    assert subjects == ({planned_subject} if planned_subject else set())


# -- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, period, start, end",
    [
        (D(2026, 12, 1), Period.MONTH, D(2026, 12, 1), D(2026, 12, 31)),
        (D(2026, 11, 30), Period.MONTH, D(2026, 11, 1), D(2026, 11, 30)),
        (D(2028, 2, 29), Period.MONTH, D(2028, 2, 1), D(2028, 2, 29)),
        (D(2027, 2, 28), Period.MONTH, D(2027, 2, 1), D(2027, 2, 28)),
        (D(2027, 3, 31), Period.QUARTER, D(2027, 1, 1), D(2027, 3, 31)),
        (D(2027, 4, 1), Period.QUARTER, D(2027, 4, 1), D(2027, 6, 30)),
        (D(2026, 12, 31), Period.QUARTER, D(2026, 10, 1), D(2026, 12, 31)),
        (D(2028, 2, 29), Period.QUARTER, D(2028, 1, 1), D(2028, 3, 31)),
        (D(2026, 12, 31), Period.YEAR, D(2026, 1, 1), D(2026, 12, 31)),
        (D(2027, 1, 1), Period.YEAR, D(2027, 1, 1), D(2027, 12, 31)),
        (D(2028, 2, 29), Period.YEAR, D(2028, 1, 1), D(2028, 12, 31)),
    ],
)
def test_period_bounds(day, period, start, end):
    assert period.bounds(day) == (start, end)


@pytest.mark.parametrize(
    "day, closes",
    [
        (D(2026, 11, 30), D(2026, 12, 5)),
        (D(2026, 12, 31), D(2027, 1, 5)),
        (D(2028, 1, 31), D(2028, 2, 5)),
        (D(2028, 2, 29), D(2028, 3, 5)),
    ],
)
def test_a_month_closes_on_the_closing_day_of_the_next(day, closes):
    assert closing_day(day) == closes


def test_a_closing_day_past_the_end_of_a_short_month_is_its_last_day(settings):
    settings.COMPLIANCE_CLOSING_DAY = 31
    assert closing_day(D(2028, 1, 15)) == D(2028, 2, 29)
    assert closing_day(D(2027, 1, 15)) == D(2027, 2, 28)


# Months (first days) whose periods are still in progress on each edge, among the four months
# that end with the edge's own.
OPEN_MONTHS = {
    "first-of-month": {D(2026, 11, 1), D(2026, 12, 1)},
    "closing-day": {D(2026, 11, 1), D(2026, 12, 1)},
    "day-after-closing": {D(2026, 12, 1)},
    "last-of-month": {D(2026, 11, 1)},
    "last-of-quarter": {D(2027, 3, 1)},
    "31-december": {D(2026, 12, 1)},
    "1-january": {D(2026, 12, 1), D(2027, 1, 1)},
    "29-february-2028": {D(2028, 2, 1)},
    "monday": {D(2026, 11, 1)},
    "sunday": {D(2026, 11, 1)},
}


def four_months(day: datetime.date) -> list[datetime.date]:
    return [add_months(day, offset) for offset in range(-3, 1)]


@pytest.mark.parametrize("name", EDGES)
def test_which_periods_are_in_progress(name):
    day = EDGES[name]
    ends = {m: add_months(m, 1) - datetime.timedelta(days=1) for m in four_months(day)}
    assert {m for m, end in ends.items() if in_progress(end, day)} == OPEN_MONTHS[name]


# -- compliance --------------------------------------------------------------------------------


def plan_the_last_months(tree, day: datetime.date) -> None:
    for cell in (tree.cell_a, tree.cell_a_2, tree.cell_b):
        MeetingSchedule.objects.update_or_create(
            cell=cell, defaults={"day_of_month": 1, "place": "Nhà văn hóa"}
        )
    for month in four_months(day):
        Meeting.objects.plan_month(month)


@pytest.mark.parametrize("day", [on(day) for day in EDGES.values()])
def test_compliance_shows_open_periods_and_totals_count_only_closed_ones(
    day, people, oversight, tree
):
    plan_the_last_months(tree, day)
    this_month = day.replace(day=1)
    log(oversight.district_member, Meeting.objects.get(cell=tree.cell_a, month=this_month))
    months = four_months(day)
    report = compliance(fresh(people.province_office), tree.province, months[0], months[-1])
    name = next(k for k, v in EDGES.items() if v == day)
    assert report.in_progress_months == OPEN_MONTHS[name]

    district = next(r for r in report.rows if r.member_id == oversight.district_member.pk)
    for month, cell in district.by_month.items():
        assert cell.in_progress is (month in OPEN_MONTHS[name])
        assert cell.status == ("progress" if cell.in_progress else "red")
    # What was logged this month shows, and counts in no total until the month closes.
    assert district.by_month[this_month].tally.logged == 1
    closed_months = [m for m in months if m not in OPEN_MONTHS[name]]
    assert (district.total.required, district.total.logged) == (len(closed_months), 0)

    # The provincial member owes one meeting a quarter: only the quarters closed count.
    province = next(r for r in report.rows if r.member_id == oversight.province_member.pk)
    closed_quarters = [c for c in province.by_month.values() if not c.in_progress]
    assert province.total.required == len(closed_quarters)
    assert report.total.required == district.total.required + province.total.required
    assert report.total.percent == (0 if report.total.required else None)


@pytest.mark.parametrize("day", [on(EDGES["first-of-month"]), on(EDGES["1-january"])])
def test_the_report_page_export_print_and_api_show_the_open_month(
    day, client, people, oversight, tree
):
    plan_the_last_months(tree, day)
    client.force_login(people.district_a_secretary)
    month = f"{day:%Y-%m}"
    earlier = f"{add_months(day, -3):%Y-%m}"
    page = client.get(reverse("report-compliance"), {"start": earlier, "end": month})
    assert page.status_code == 200
    row = next(r for r in page.context["page"] if r.member_id == oversight.district_member.pk)
    statuses = [row.by_month[m].status for m in sorted(row.by_month)]
    assert statuses == ["red", "red", "progress", "progress"]
    assert 'data-status="progress"' in page.text and "đang diễn ra" in page.text
    assert "chưa tính vào tổng" in page.text  # the legend says what the colour means
    export = client.get(
        reverse("report-compliance"), {"start": earlier, "end": month, "format": "csv"}
    )
    header = export.content.decode("utf-8-sig").splitlines()[0]
    assert f"{day:%m/%Y} (đang diễn ra)" in header
    printed = client.get(reverse("report-compliance"), {"start": earlier, "end": month, "print": 1})
    assert f"{day:%d/%m/%Y}" in printed.text and 'data-testid="in-progress-note"' in printed.text
    api = APIClient()
    api.force_authenticate(fresh(people.district_a_secretary))
    body = api.get(reverse("api:compliance"), {"unit": "D01", "from": earlier, "to": month}).json()
    assert month in body["in_progress"]
    periods = [p for m in body["members"] for p in m["periods"] if p["start"].startswith(month)]
    assert periods and all(p["status"] == "progress" and p["in_progress"] for p in periods)


@pytest.mark.parametrize(
    "accepted_on, late",
    [
        on(D(2026, 12, 1), False),
        on(D(2026, 12, 5), False),  # the closing day is still in time
        on(D(2026, 12, 6), True),
        on(D(2027, 1, 6), True),  # long after
    ],
)
def test_an_acceptance_after_the_closing_day_is_late(accepted_on, late, people, tree, oversight):
    november = Meeting.objects.create(cell=tree.cell_a, kind="thematic", date=D(2026, 11, 20))
    visit = log(oversight.district_member, november)
    assert do_accept_visit(fresh(people.commune_a_staff), visit).accepted_late is late


# -- reminders -------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [on(day) for day in EDGES.values()])
def test_an_upcoming_meeting_is_announced_across_the_turn_of_month_and_year(day, tree, oversight):
    meeting_day = day + datetime.timedelta(days=2)
    meeting = Meeting.objects.create(cell=tree.cell_a, kind="thematic", date=meeting_day)
    subject = f"meeting:{meeting.pk}"
    assert usernames(reminders.plan_upcoming_meetings(day)) == {"d01.uv", "tinh.uv"}
    assert {p.subject for p in reminders.plan_upcoming_meetings(day)} == {subject}
    day_before = meeting_day - datetime.timedelta(days=1)
    assert {p.subject for p in reminders.plan_upcoming_meetings(day_before)} == {subject}
    assert reminders.plan_upcoming_meetings(meeting_day) == []


@pytest.mark.parametrize(
    "day, subject",
    [
        on(D(2026, 12, 1), None),
        on(D(2026, 12, 2), "closing:2026-11"),  # three days before the 5th
        on(D(2026, 12, 5), None),
        on(D(2026, 12, 6), None),
        on(D(2027, 1, 2), "closing:2026-12"),
        on(D(2028, 3, 2), "closing:2028-02"),
        on(D(2026, 12, 31), None),
    ],
)
def test_the_month_closing_reminder_goes_three_days_before_the_closing_day(day, subject, oversight):
    planned = reminders.plan_month_closing(day)
    assert {p.subject for p in planned} == ({subject} if subject else set())
    if subject:
        assert "d01.uv" in usernames(planned)
        assert planned[0].context["closing"] == f"{day + datetime.timedelta(days=3):%d/%m/%Y}"


@pytest.mark.parametrize(
    "day, offices",
    [
        on(D(2026, 12, 5), set()),  # the closing day itself: not closed yet
        on(D(2026, 12, 6), {"d01.vp"}),  # November: the monthly district member
        on(D(2027, 1, 6), {"d01.vp", "tinh.vp"}),  # December ends Q4: the province's too
        on(D(2027, 4, 6), {"d01.vp", "tinh.vp"}),  # March ends Q1
        on(D(2027, 2, 6), {"d01.vp"}),
        on(D(2026, 12, 1), set()),
    ],
)
def test_the_escalation_goes_the_day_after_the_closing_day(day, offices, people, tree, oversight):
    PositionFactory(user=UserFactory(username="d01.vp"), unit=tree.district_a, role="office_staff")
    planned = reminders.plan_escalations(day)
    assert usernames(planned) == offices
    month = add_months(day, -1)
    assert {p.subject for p in planned} <= {f"escalation:{month:%Y-%m}"}


@pytest.mark.parametrize(
    "day, subject",
    [
        on(D(2026, 11, 16), "digest:2026-W47"),  # a Monday
        on(D(2026, 11, 22), None),  # a Sunday
        on(D(2026, 12, 28), "digest:2026-W53"),  # the last week of 2026 is its 53rd
        on(D(2027, 1, 4), "digest:2027-W01"),
        on(D(2028, 2, 28), "digest:2028-W09"),
        on(D(2027, 1, 1), None),  # a Friday
    ],
)
def test_the_weekly_digest_goes_on_mondays(day, subject, people):
    planned = reminders.plan_weekly_digest(day)
    assert {p.subject for p in planned} == ({subject} if subject else set())
    if subject:
        assert usernames(planned) == {"tinh.vp", "d02.vp", "c01.vp"}


@pytest.mark.parametrize(
    "day, deadline, kinds",
    [
        on(D(2026, 12, 31), D(2026, 12, 31), {"task_deadline"}),  # due today: not overdue yet
        on(D(2027, 1, 1), D(2026, 12, 31), {"task_overdue"}),
        on(D(2028, 2, 29), D(2028, 3, 14), {"task_deadline"}),  # within the fortnight
        on(D(2028, 2, 29), D(2028, 3, 31), set()),
        on(D(2026, 12, 1), D(2026, 11, 30), {"task_overdue"}),
    ],
)
def test_task_deadlines_across_months_and_years(day, deadline, kinds, settings, people, tree):
    settings.REMINDER_DAYS_BEFORE_TASK_DEADLINE = 14
    BreakthroughTask.objects.create(
        title="Giải quyết dứt điểm vụ việc tồn đọng",
        kind=TaskKind.COMMISSIONED,
        cadre=people.district_a_secretary,
        owner_unit=tree.district_a,
        year=deadline.year,
        deadline=deadline,
        status=TaskStatus.APPROVED,
        decision_date=day - datetime.timedelta(days=3),
    )
    planned = reminders.plan_task_reminders(day)
    assert {p.kind for p in planned if p.recipient_id == people.district_a_secretary.pk} == kinds


# -- meetings, coverage ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, months, dates",
    [
        on(D(2026, 12, 31), [D(2026, 12, 1), D(2027, 1, 1)], [D(2026, 12, 31), D(2027, 1, 31)]),
        on(D(2028, 1, 31), [D(2028, 1, 1), D(2028, 2, 1)], [D(2028, 1, 31), D(2028, 2, 29)]),
        on(D(2027, 1, 31), [D(2027, 1, 1), D(2027, 2, 1)], [D(2027, 1, 31), D(2027, 2, 28)]),
        on(D(2026, 12, 1), [D(2026, 12, 1), D(2027, 1, 1)], [D(2026, 12, 31), D(2027, 1, 31)]),
    ],
)
def test_meetings_are_planned_for_this_month_and_the_next(day, months, dates, tree):
    MeetingSchedule.objects.create(cell=tree.cell_a, day_of_month=31, place="Nhà văn hóa")
    assert plan_meetings() == 2
    planned = Meeting.objects.filter(cell=tree.cell_a).order_by("date")
    assert [(m.month, m.date) for m in planned] == list(zip(months, dates, strict=True))
    assert plan_meetings() == 0  # idempotent


@pytest.mark.parametrize(
    "day, since",
    [
        on(D(2027, 1, 1), D(2026, 11, 1)),
        on(D(2028, 2, 29), D(2027, 12, 1)),
        on(D(2026, 12, 31), D(2026, 10, 1)),
        on(D(2026, 12, 1), D(2026, 10, 1)),
    ],
)
def test_coverage_counts_visits_from_the_first_day_of_its_window(
    day, since, people, oversight, tree
):
    on_the_edge = Meeting.objects.create(cell=tree.cell_a, kind="thematic", date=since)
    just_before = Meeting.objects.create(
        cell=tree.cell_b, kind="thematic", date=since - datetime.timedelta(days=1)
    )
    log(oversight.district_member, on_the_edge)
    Visit.objects.create(
        member=oversight.province_member, logged_by=oversight.province_member, kind="meeting",
        meeting=just_before, unit=tree.cell_b, date=just_before.date, status="submitted",
    )  # fmt: skip
    report = coverage(fresh(people.province_office), tree.province, 3)
    assert report.since == since
    unvisited = {u.code for u in report.cells}
    assert "C01-01" not in unvisited and "C02-01" in unvisited
