"""Cell meetings: planned from schedules, moved or cancelled with a reason, scored by the sheet."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oversight.models import Unit
from tests.conftest import fresh
from tests.factories import UnitFactory
from visits.models import (
    AttendancePolicy,
    Meeting,
    MeetingKind,
    MeetingSchedule,
    MeetingStatus,
    Period,
    Rating,
    ScoreSheet,
    add_months,
)
from visits.services import (
    do_cancel_meeting,
    do_move_meeting,
    do_score_meeting,
    do_set_policy,
)


def test_periods_and_month_ends():
    day = datetime.date(2026, 11, 25)
    assert Period.MONTH.bounds(day) == (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    assert Period.QUARTER.bounds(day) == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    assert Period.YEAR.bounds(day) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    assert Period.MONTH.bounds(datetime.date(2028, 2, 10))[1] == datetime.date(2028, 2, 29)
    assert add_months(datetime.date(2026, 12, 31), 1) == datetime.date(2027, 1, 1)
    assert add_months(datetime.date(2026, 1, 15), -1) == datetime.date(2025, 12, 1)


def test_plan_month_follows_schedules_clamps_short_months_and_is_idempotent(tree):
    MeetingSchedule.objects.create(cell=tree.cell_a, day_of_month=31)
    MeetingSchedule.objects.create(cell=tree.cell_b, day_of_month=5)
    february = datetime.date(2027, 2, 1)
    assert Meeting.objects.plan_month(february) == 2
    assert Meeting.objects.plan_month(february) == 0
    dates = dict(Meeting.objects.in_month(february).values_list("cell__code", "date"))
    assert dates == {"C01-01": datetime.date(2027, 2, 28), "C02-01": datetime.date(2027, 2, 5)}


def test_only_cells_have_schedules(tree):
    with pytest.raises(ValidationError):
        MeetingSchedule(cell=tree.commune_a, day_of_month=3).full_clean()


def test_staff_move_a_meeting_within_its_month_with_a_reason(people, oversight):
    meeting = oversight.meeting_a
    scheduled = meeting.date
    new_date = meeting.date.replace(day=20)
    do_move_meeting(fresh(people.commune_a_staff), meeting, new_date, "Trùng lịch")
    meeting.refresh_from_db()
    assert (meeting.date, meeting.original_date, meeting.change_reason) == (
        new_date,
        scheduled,
        "Trùng lịch",
    )
    with pytest.raises(ValidationError) as caught:
        do_move_meeting(fresh(people.commune_a_staff), meeting, add_months(new_date, 1), "x")
    assert "date" in caught.value.message_dict
    with pytest.raises(ValidationError):
        do_move_meeting(fresh(people.commune_a_staff), meeting, new_date, "  ")


def test_moving_needs_permission_and_scope(people, oversight):
    with pytest.raises(PermissionDenied):
        do_move_meeting(
            fresh(oversight.district_member), oversight.meeting_a, oversight.meeting_a.date, "x"
        )
    with pytest.raises(PermissionDenied):
        do_move_meeting(
            fresh(people.district_b_office), oversight.meeting_a, oversight.meeting_a.date, "x"
        )


def test_cancel_needs_a_reason_and_no_visits(people, oversight):
    staff = fresh(people.commune_a_staff)
    with pytest.raises(ValidationError):
        do_cancel_meeting(staff, oversight.meeting_a2, "")
    do_cancel_meeting(staff, oversight.meeting_a2, "Mưa lũ")
    oversight.meeting_a2.refresh_from_db()
    assert oversight.meeting_a2.status == MeetingStatus.CANCELLED


# Full marks on the sheet of Hướng dẫn 12-HD/BTCTW (in force until 27/10/2025)…
FULL = {
    "attendance": 15,
    "preparation": 15,
    "order": 10,
    "duration": 10,
    "speaking": 15,
    "principles": 15,
    "follow_through": 10,
    "minutes": 10,
}
UNDER_12_HD = datetime.date(2025, 6, 10)
# … and on the sheet of 42-HD/BTCTW (from 28/10/2025): the cell tells the overseer beforehand.
FULL_42 = {**FULL, "preparation": 10, "notice": 5}


@pytest.mark.parametrize(
    ("changes", "total", "rating"),
    [
        ({}, 100, Rating.GOOD),
        ({"preparation": 5}, 90, Rating.GOOD),
        ({"attendance": 14}, 99, Rating.FAIR),  # 90+ but attendance not full
        ({"minutes": 0}, 90, Rating.FAIR),
        ({"preparation": 0, "principles": 5}, 75, Rating.FAIR),
        ({"preparation": 0, "principles": 0, "order": 0}, 60, Rating.AVERAGE),
        (
            {"preparation": 0, "principles": 0, "order": 0, "speaking": 0, "minutes": 0},
            35,
            Rating.POOR,
        ),
    ],
)
def test_default_sheet_rates_as_the_guidance_does(tree, changes, total, rating):
    sheet = ScoreSheet.for_unit(tree.cell_a, on=UNDER_12_HD)
    assert sheet.evaluate({**FULL, **changes}) == (total, rating)


@pytest.mark.parametrize(
    ("changes", "total", "rating"),
    [
        ({}, 100, Rating.GOOD),
        ({"preparation": 0}, 90, Rating.GOOD),
        ({"notice": 4}, 99, Rating.FAIR),  # the overseer was not told beforehand
        ({"duration": 9}, 99, Rating.FAIR),  # under 90 minutes
    ],
)
def test_since_guidance_42_the_sheet_asks_notice_and_duration(tree, changes, total, rating):
    sheet = ScoreSheet.for_unit(tree.cell_a, on=datetime.date(2025, 10, 28))
    assert "42-HD/BTCTW" in sheet.basis
    assert ScoreSheet.for_unit(tree.cell_a, on=datetime.date(2025, 10, 27)) != sheet
    assert sheet.evaluate({**FULL_42, **changes}) == (total, rating)


def test_sheet_refuses_points_outside_a_criterion(tree):
    sheet = ScoreSheet.for_unit(tree.cell_a, on=UNDER_12_HD)
    with pytest.raises(ValidationError) as caught:
        sheet.evaluate({**FULL, "duration": 11})
    assert "score_duration" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        sheet.evaluate({**FULL, "bogus": 1})
    assert "score" in caught.value.message_dict


def test_a_province_may_keep_its_own_sheet(tree):
    own = ScoreSheet.objects.create(
        name="Riêng", province=tree.province, good_min=80, fair_min=60, average_min=40
    )
    own.criteria.create(code="all", name="Tổng thể", max_points=100)
    assert ScoreSheet.for_unit(tree.cell_a) == own
    other_province = UnitFactory(code="P77")
    assert ScoreSheet.for_unit(other_province).province is None
    assert own.evaluate({"all": 85}) == (85, Rating.GOOD)


def test_cell_scores_its_own_meeting_and_divergence_is_flagged(people, oversight):
    from visits.models import Visit, VisitKind

    staff = fresh(people.commune_a_staff)
    do_score_meeting(staff, oversight.meeting_a, FULL_42)
    oversight.meeting_a.refresh_from_db()
    assert oversight.meeting_a.self_rating == Rating.GOOD
    Visit.objects.create(
        member=oversight.district_member, logged_by=oversight.district_member,
        kind=VisitKind.MEETING, meeting=oversight.meeting_a, unit=oversight.meeting_a.cell,
        date=oversight.meeting_a.date, rating=Rating.AVERAGE,
    )  # fmt: skip
    assert list(Meeting.objects.with_diverging_ratings()) == [oversight.meeting_a]
    Visit.objects.filter(meeting=oversight.meeting_a).update(rating=Rating.GOOD)
    assert not Meeting.objects.with_diverging_ratings().exists()


def test_cells_without_a_thematic_meeting_this_quarter(tree, oversight):
    day = oversight.month
    Meeting.objects.create(
        cell=tree.cell_a, kind=MeetingKind.THEMATIC, date=day, topic="Chuyển đổi số"
    )
    missing = Meeting.objects.cells_missing_thematic(Unit.objects.subtree_of(tree.commune_a), day)
    assert [cell.code for cell in missing] == ["C01-02"]


def test_policy_follows_the_highest_position(people, oversight):
    province = AttendancePolicy.for_positions(fresh(oversight.province_member).current_positions())
    assert (province.period, province.required_meetings) == (Period.QUARTER, 1)
    district = AttendancePolicy.for_positions(fresh(oversight.district_member).current_positions())
    assert district.period == Period.MONTH
    specific = AttendancePolicy.objects.create(
        level="district", role="executive_member", period="month", required_meetings=2
    )
    assert (
        AttendancePolicy.for_positions(fresh(oversight.district_member).current_positions())
        == specific
    )


def test_the_office_schedules_a_thematic_meeting(client, people, oversight, tree):
    from django.urls import reverse

    from visits.models import Meeting, MeetingKind

    url = reverse("unit-thematic", args=["C01-01"])
    day = oversight.month.replace(day=20)
    client.force_login(oversight.district_member)
    assert client.get(url).status_code == 403  # a member does not schedule meetings
    client.force_login(people.district_b_office)
    assert client.get(url).status_code == 404  # another district's cell
    client.force_login(people.commune_a_staff)
    assert "add-thematic" in client.get(reverse("unit-detail", args=["C01-01"])).text
    refused = client.post(url, {"date": day.strftime("%d/%m/%Y"), "topic": " "})
    assert refused.status_code == 400 and "topic" in refused.context["form"].errors
    assert not Meeting.objects.filter(kind=MeetingKind.THEMATIC).exists()
    created = client.post(
        url, {"date": day.strftime("%d/%m/%Y"), "time": "19:30", "topic": "Chuyển đổi số"}
    )
    meeting = Meeting.objects.get(kind=MeetingKind.THEMATIC)
    assert created["Location"] == reverse("meeting-detail", args=[meeting.pk])
    assert (meeting.cell, meeting.date, meeting.month) == (tree.cell_a, day, oversight.month)
    # It counts for the quarter: the cell no longer lacks a thematic meeting then.
    missing = Meeting.objects.cells_missing_thematic(Unit.objects.filter(pk=tree.cell_a.pk), day)
    assert not missing.exists()


# -- rules by date: changing a rule never changes the past ------------------------------------


def test_a_meeting_is_scored_with_the_sheet_of_its_day_and_a_used_sheet_is_not_changed(
    people, oversight, tree
):
    staff = fresh(people.commune_a_staff)
    old_meeting = Meeting.objects.create(cell=tree.cell_a, date=UNDER_12_HD)
    do_score_meeting(staff, old_meeting, FULL)  # 12-HD's criteria, no "notice"
    do_score_meeting(staff, oversight.meeting_a, FULL_42)
    old_meeting.refresh_from_db()
    oversight.meeting_a.refresh_from_db()
    old_sheet, new_sheet = old_meeting.self_sheet, oversight.meeting_a.self_sheet
    assert "12-HD" in old_sheet.basis and "42-HD" in new_sheet.basis
    with pytest.raises(ValidationError):
        do_score_meeting(staff, old_meeting, FULL_42)  # 42-HD's criteria do not apply in 2025
    # The used sheet refuses edits that would change what its scores meant.
    with pytest.raises(ValidationError, match="đã dùng để chấm điểm"):
        old_sheet.criteria.create(code="extra", name="Thêm", max_points=5)
    old_sheet.good_min = 80
    with pytest.raises(ValidationError, match="đã dùng để chấm điểm"):
        old_sheet.save()
    with pytest.raises(ValidationError):
        old_sheet.criteria.first().delete()
    # A province's own sheet from a day on changes nothing before that day.
    own = ScoreSheet.objects.create(
        name="Riêng từ 2027", province=tree.province, valid_from=datetime.date(2027, 1, 1),
        good_min=80, fair_min=60, average_min=40,
    )  # fmt: skip
    own.criteria.create(code="all", name="Tổng thể", max_points=100)
    assert ScoreSheet.for_unit(tree.cell_a) == new_sheet
    assert ScoreSheet.for_unit(tree.cell_a, on=datetime.date(2027, 1, 1)) == own
    old_meeting.refresh_from_db()
    assert (old_meeting.self_total, old_meeting.self_rating) == (100, Rating.GOOD)


def test_a_policy_changed_from_a_day_on_leaves_past_compliance_as_it_was(people, oversight):
    from oversight.reporting.reports import compliance

    office = people.province_office
    first, last = datetime.date(2026, 1, 1), datetime.date(2026, 12, 1)

    def figures():
        report = compliance(fresh(office), None, first, last)
        return [
            (row.name, column, cell.tally.required)
            for row in report.rows
            for column, cell in sorted(row.by_month.items())
        ]

    before = figures()
    assert before  # the district member owes one meeting a month
    district_policy = AttendancePolicy.objects.get(level="district", role="", province=None)
    district_policy.valid_to = datetime.date(2026, 10, 31)
    district_policy.save()
    AttendancePolicy.objects.create(
        level="district", period="month", required_meetings=3,
        valid_from=datetime.date(2026, 11, 1),
    )  # fmt: skip
    after = figures()
    november = datetime.date(2026, 11, 1)
    assert [f for f in after if f[1] < november] == [f for f in before if f[1] < november]
    assert {required for name, column, required in after if column >= november} >= {3}


def test_a_provinces_own_policy_comes_before_the_default(people, oversight, tree):
    own = AttendancePolicy.objects.create(
        province=tree.province, level="district", period="month", required_meetings=2
    )
    member = fresh(oversight.district_member)
    assert AttendancePolicy.for_positions(member.current_positions()) == own
    other = UnitFactory(code="P77", name="Tỉnh Khác", level="province")
    AttendancePolicy.objects.filter(pk=own.pk).update(province=other)
    assert AttendancePolicy.for_positions(member.current_positions()).province is None


def test_a_changed_closing_day_applies_from_its_month_and_never_to_the_past(settings):
    from visits.models import closing_day, in_progress

    settings.COMPLIANCE_CLOSING_DAY = 5
    settings.COMPLIANCE_CLOSING_DAY_CHANGES = [(datetime.date(2027, 1, 1), 10)]
    assert closing_day(datetime.date(2026, 12, 31)) == datetime.date(2027, 1, 5)
    assert closing_day(datetime.date(2027, 1, 1)) == datetime.date(2027, 2, 10)
    # December 2026 closed on 5 January whatever the rule of 2027 says.
    assert not in_progress(datetime.date(2026, 12, 31), datetime.date(2027, 1, 6))
    assert in_progress(datetime.date(2027, 1, 31), datetime.date(2027, 2, 10))


def test_the_provinces_office_sets_its_own_policy_from_a_day_on(client, people, oversight, tree):
    client.force_login(people.province_office)
    url = reverse("attendance-rules")
    page = client.get(url)
    assert page.status_code == 200 and "mặc định" in page.text
    december = datetime.date(2026, 12, 1)
    response = client.post(
        url,
        {"province": "P01", "level": "district", "role": "", "period": "month",
         "required_meetings": "2", "valid_from": "01/12/2026", "note": "Nghị quyết của tỉnh"},
    )  # fmt: skip
    assert response.status_code == 302
    own = AttendancePolicy.objects.get(province=tree.province)
    assert (own.valid_from, own.required_meetings) == (december, 2)
    member = fresh(oversight.district_member)
    assert AttendancePolicy.for_positions(member.current_positions()).province is None  # today
    assert AttendancePolicy.for_positions(member.current_positions(), on=december) == own
    # A second rule from January ends the first on the last day of December.
    client.post(
        url,
        {"province": "P01", "level": "district", "role": "", "period": "quarter",
         "required_meetings": "2", "valid_from": "01/01/2027"},
    )  # fmt: skip
    own.refresh_from_db()
    assert own.valid_to == datetime.date(2026, 12, 31)
    # The past is not rewritten, and the form says why, naming the field.
    response = client.post(
        url,
        {"province": "P01", "level": "commune", "role": "", "period": "month",
         "required_meetings": "1", "valid_from": "01/11/2026"},
    )  # fmt: skip
    assert response.status_code == 400 and "không sửa quá khứ" in response.text
    response = client.post(
        url,
        {"province": "P01", "level": "commune", "role": "", "period": "month",
         "required_meetings": "0", "valid_from": "01/12/2026"},
    )  # fmt: skip
    assert response.status_code == 400
    assert AttendancePolicy.objects.filter(province=tree.province).count() == 2


def test_only_the_provinces_office_sets_its_policy(client, people, tree):
    url = reverse("attendance-rules")
    client.force_login(people.district_a_secretary)
    assert client.get(url).status_code == 403
    client.force_login(people.district_b_office)  # an office, but of a district
    assert client.get(url).status_code == 404  # no province in its scope
    other = UnitFactory(code="P77", name="Tỉnh Khác", level="province")
    client.force_login(people.province_office)
    assert client.get(url, {"province": other.code}).status_code == 404
    assert client.post(
        url,
        {"province": other.code, "level": "district", "role": "", "period": "month",
         "required_meetings": "2", "valid_from": "01/12/2026"},
    ).status_code == 404  # fmt: skip
    assert not AttendancePolicy.objects.filter(province=other).exists()
    with pytest.raises(PermissionDenied):
        do_set_policy(
            fresh(people.district_b_office), tree.province, level="district", role="",
            period="month", required_meetings=2, valid_from=datetime.date(2026, 12, 1),
        )  # fmt: skip


def test_the_rules_page_costs_the_same_queries_however_many_rules(
    client, people, tree, django_assert_max_num_queries
):
    client.force_login(people.province_office)
    url = reverse("attendance-rules")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for year in range(2027, 2047):
        AttendancePolicy.objects.create(
            province=tree.province, level="commune", period="month", required_meetings=1,
            valid_from=datetime.date(year, 1, 1), valid_to=datetime.date(year, 12, 31),
        )  # fmt: skip
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200
