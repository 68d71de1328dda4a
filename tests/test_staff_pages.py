"""Staff pages: assigning from the unit page, ending assignments, meeting days, their import."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assignments.models import Assignment
from tests.clock import TODAY
from visits.models import Meeting, MeetingSchedule


def test_office_assigns_from_the_unit_page(client, people, tree, oversight):
    client.force_login(people.district_a_secretary)
    url = reverse("unit-assign", args=["C03"])
    page = client.get(url)
    assert oversight.district_member in page.context["form"].fields["member"].queryset
    assert people.district_b_office not in page.context["form"].fields["member"].queryset
    response = client.post(url, {"member": oversight.district_member.pk, "kind": "monitor"})
    assert response.status_code == 302
    assert (
        Assignment.objects.get(member=oversight.district_member, unit=tree.commune_a2).kind
        == "monitor"
    )


def test_reassign_from_the_unit_page_ends_the_previous_one(client, people, tree, oversight):
    client.force_login(people.province_office)
    client.post(
        reverse("unit-assign", args=["C01"]),
        {"member": oversight.district_member.pk, "kind": "in_charge", "replace": "on"},
    )
    old = Assignment.objects.get(member=oversight.province_member, unit=tree.commune_a)
    assert old.end_date == TODAY - datetime.timedelta(days=1)
    assert Assignment.objects.filter(member=oversight.district_member, unit=tree.commune_a).exists()


def test_assign_page_refuses_a_duplicate_with_a_message(client, people, tree, oversight):
    client.force_login(people.province_office)
    response = client.post(
        reverse("unit-assign", args=["C01"]),
        {"member": oversight.province_member.pk, "kind": "in_charge"},
    )
    assert response.status_code == 400
    assert "đã được phân công" in response.text


def test_assign_page_of_another_district_is_404_and_members_cannot_assign(
    client, people, oversight
):
    client.force_login(people.district_b_office)
    assert client.get(reverse("unit-assign", args=["C01"])).status_code == 404
    client.force_login(oversight.district_member)
    response = client.post(
        reverse("unit-assign", args=["C01-01"]),
        {"member": oversight.district_member.pk, "kind": "in_charge"},
    )
    assert response.status_code == 403


def test_end_assignment_keeps_history(client, people, oversight):
    assignment = Assignment.objects.get(member=oversight.district_member)
    client.force_login(people.district_b_office)
    assert client.post(reverse("assignment-end", args=[assignment.pk])).status_code == 404
    # The district assigned its own member: the district ends it (the commune may not).
    client.force_login(people.district_a_secretary)
    client.post(reverse("assignment-end", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.end_date == TODAY


def test_staff_change_a_cells_meeting_day_and_upcoming_meetings_follow(
    client, people, tree, oversight
):
    today = TODAY
    Meeting.objects.plan_month(today.replace(day=1) + datetime.timedelta(days=40))
    client.force_login(people.commune_a_staff)
    url = reverse("unit-schedule", args=["C01-01"])
    response = client.post(url, {"day_of_month": "40", "place": "x"})
    assert response.status_code == 400 and "day_of_month" in response.context["form"].errors
    client.post(url, {"day_of_month": "28", "time": "19:30", "place": "Hội trường thôn"})
    schedule = MeetingSchedule.objects.get(cell=tree.cell_a)
    assert (schedule.day_of_month, schedule.place) == (28, "Hội trường thôn")
    upcoming = Meeting.objects.filter(cell=tree.cell_a, date__gt=today)
    assert upcoming.exists() and all(m.date.day == 28 for m in upcoming)
    assert Meeting.objects.get(pk=oversight.meeting_a.pk).date.day == 10  # the past stays
    client.force_login(people.district_b_office)
    assert client.get(url).status_code == 404


def test_schedule_import_in_the_admin_is_scoped_and_previewed(client, people, tree):
    people.district_b_office.is_staff = True
    people.district_b_office.save()
    client.force_login(people.district_b_office)
    text = "cell_code,day_of_month,time,place\nC02-01,7,19:30,Nhà văn hóa\nC01-01,8,08:00,Lạ\n"
    upload = SimpleUploadedFile("lich.csv", text.encode(), content_type="text/csv")
    preview = client.post(
        reverse("admin:visits_meetingschedule_import"),
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    result = preview.context["result"]
    assert [row.import_type for row in result.rows] == ["new", "invalid"]
    assert "C01-01" in preview.text
    assert not MeetingSchedule.objects.exists()

    good = SimpleUploadedFile(
        "lich.csv",
        text.splitlines()[0].encode() + b"\n" + text.splitlines()[1].encode(),
        content_type="text/csv",
    )
    preview = client.post(
        reverse("admin:visits_meetingschedule_import"),
        {"import_file": good, "format": "0", "resource": "0"},
    )
    client.post(
        reverse("admin:visits_meetingschedule_process_import"),
        preview.context["confirm_form"].initial,
    )
    assert MeetingSchedule.objects.get(cell=tree.cell_b).day_of_month == 7


def test_a_right_of_one_position_does_not_act_where_another_is_held(
    client, people, tree, oversight
):
    """Lâm Bình's case: a provincial committee member (no right to assign) who is also secretary
    of a district sees the province but may assign only in that district."""
    from accounts.roles import Role
    from tests.factories import PositionFactory, UserFactory

    person = UserFactory(username="hai.cap")
    PositionFactory(user=person, unit=tree.province, role=Role.EXECUTIVE_MEMBER)
    PositionFactory(user=person, unit=tree.district_b, role=Role.SECRETARY)
    client.force_login(person)
    elsewhere = client.get(reverse("unit-detail", args=["C01"]))
    assert (
        elsewhere.status_code == 200 and reverse("unit-assign", args=["C01"]) not in elsewhere.text
    )
    assert client.get(reverse("unit-assign", args=["C01"])).status_code == 403
    refused = client.post(
        reverse("unit-assign", args=["C01"]), {"member": oversight.district_member.pk}
    )
    assert refused.status_code == 403
    assert not Assignment.objects.filter(
        unit=tree.commune_a, member=oversight.district_member
    ).exists()
    own = client.get(reverse("unit-detail", args=["C02"]))
    assert reverse("unit-assign", args=["C02"]) in own.text
    assert client.get(reverse("unit-assign", args=["C02"])).status_code == 200


def test_the_review_queue_holds_only_what_one_may_review(client, people, tree, oversight):
    """Secretary of D01 and office of commune C02, working in D01: D01's visits are in sight but
    not theirs to review, so the queue (and the home's count) leaves them out."""
    from accounts.roles import Role
    from tests.conftest import fresh
    from tests.factories import PositionFactory, UserFactory
    from visits.models import Visit, VisitKind
    from visits.services import do_save_visit

    member = oversight.district_member
    visit = Visit(
        member=member, logged_by=member, kind=VisitKind.MEETING, meeting=oversight.meeting_a
    )
    do_save_visit(fresh(member), visit, submit=True)
    person = UserFactory(username="hai.huyen")
    PositionFactory(user=person, unit=tree.district_a, role=Role.SECRETARY)
    PositionFactory(user=person, unit=tree.commune_b, role=Role.OFFICE_STAFF)
    client.force_login(person)
    assert list(client.get(reverse("review-queue")).context["page"]) == []
    client.force_login(people.commune_a_staff)
    assert [v.pk for v in client.get(reverse("review-queue")).context["page"]] == [visit.pk]
