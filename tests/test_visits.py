"""Visits: the rules, the review workflow, uploads, scoping and the pages' query counts."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.clock import TODAY
from tests.conftest import fresh
from tests.factories import AssignmentFactory, PositionFactory, UnitFactory, UserFactory
from tests.files import image_bytes
from visits.models import Meeting, MeetingSchedule, Rating, Visit, VisitKind, VisitStatus
from visits.progress import member_progress
from visits.services import (
    do_accept_visit,
    do_accept_visits,
    do_return_visit,
    do_save_visit,
    do_submit_visit,
)

PNG = image_bytes("PNG")


def meeting_visit(member, meeting, **fields) -> Visit:
    return Visit(member=member, logged_by=member, kind=VisitKind.MEETING, meeting=meeting, **fields)


def logged(member, meeting, submit=True, **fields) -> Visit:
    return do_save_visit(fresh(member), meeting_visit(member, meeting, **fields), submit=submit)


# -- rules ---------------------------------------------------------------------------------


def test_member_logs_and_the_visit_takes_the_meetings_cell_and_date(oversight):
    visit = logged(oversight.district_member, oversight.meeting_a, submit=False, findings="Tốt")
    assert visit.status == VisitStatus.DRAFT
    assert (visit.unit, visit.date) == (oversight.meeting_a.cell, oversight.meeting_a.date)
    assert not visit.is_on_behalf


def test_no_visit_without_an_assignment_covering_the_unit_on_that_date(oversight):
    with pytest.raises(ValidationError) as caught:
        logged(oversight.district_member, oversight.meeting_a2)  # another cell
    assert "meeting" in caught.value.message_dict
    assert "không được phân công" in str(caught.value)


def test_an_assignment_that_began_after_the_meeting_does_not_cover_it(oversight, tree):
    late = UserFactory(username="late")
    PositionFactory(user=late, unit=tree.district_a)
    AssignmentFactory(member=late, unit=tree.cell_a, start_date=TODAY)
    with pytest.raises(ValidationError):
        logged(late, oversight.meeting_a)


def test_no_visit_in_the_future(oversight, tree):
    tomorrow = TODAY + datetime.timedelta(days=1)
    field = Visit(
        member=oversight.province_member,
        logged_by=oversight.province_member,
        kind=VisitKind.FIELD,
        field_type="inspection",
        unit=tree.commune_a,
        date=tomorrow,
    )
    with pytest.raises(ValidationError) as caught:
        do_save_visit(fresh(oversight.province_member), field)
    assert "date" in caught.value.message_dict
    future = Meeting.objects.create(cell=tree.cell_a, kind="thematic", date=tomorrow)
    with pytest.raises(ValidationError):
        logged(oversight.district_member, future)


def test_field_visit_needs_its_type(oversight, tree):
    field = Visit(
        member=oversight.province_member,
        logged_by=oversight.province_member,
        kind=VisitKind.FIELD,
        unit=tree.commune_a,
        date=TODAY,
    )
    with pytest.raises(ValidationError) as caught:
        do_save_visit(fresh(oversight.province_member), field)
    assert "field_type" in caught.value.message_dict


def test_one_visit_per_member_per_meeting(oversight):
    logged(oversight.district_member, oversight.meeting_a)
    with pytest.raises(ValidationError) as caught:
        logged(oversight.district_member, oversight.meeting_a)
    assert "đã ghi nhận" in str(caught.value)
    # Another member may log the same meeting.
    logged(oversight.province_member, oversight.meeting_a)


def test_a_cancelled_meeting_cannot_be_logged(people, oversight):
    from visits.services import do_cancel_meeting

    do_cancel_meeting(fresh(people.commune_a_staff), oversight.meeting_a, "Bão")
    with pytest.raises(ValidationError) as caught:
        logged(oversight.district_member, oversight.meeting_a)
    assert "meeting" in caught.value.message_dict


def test_more_present_than_members_is_refused(oversight):
    with pytest.raises(ValidationError) as caught:
        logged(oversight.district_member, oversight.meeting_a, members_present=30, members_total=20)
    assert "members_present" in caught.value.message_dict


def test_staff_log_on_a_members_behalf_and_it_is_recorded(people, oversight):
    visit = meeting_visit(oversight.district_member, oversight.meeting_a)
    saved = do_save_visit(fresh(people.commune_a_staff), visit)
    assert saved.logged_by == people.commune_a_staff and saved.is_on_behalf
    with pytest.raises(PermissionDenied):
        other = meeting_visit(oversight.province_member, oversight.meeting_a2)
        do_save_visit(fresh(oversight.district_member), other)


def test_staff_of_another_district_cannot_log_for_this_one(people, oversight):
    visit = meeting_visit(oversight.district_member, oversight.meeting_a)
    with pytest.raises(PermissionDenied):
        do_save_visit(fresh(people.district_b_office), visit)
    assert not Visit.objects.exists()


# -- workflow ------------------------------------------------------------------------------


def test_submit_accept_lock(people, oversight):
    visit = logged(oversight.district_member, oversight.meeting_a, submit=False)
    do_submit_visit(fresh(oversight.district_member), visit)
    with pytest.raises(ValidationError):
        do_submit_visit(fresh(oversight.district_member), visit)  # a double click
    accepted = do_accept_visit(fresh(people.commune_a_staff), visit)
    assert (
        accepted.status == VisitStatus.ACCEPTED and accepted.reviewed_by == people.commune_a_staff
    )
    accepted.findings = "sửa sau khi duyệt"
    with pytest.raises(ValidationError):
        do_save_visit(fresh(oversight.district_member), accepted)
    assert Visit.objects.get(pk=visit.pk).findings == ""


def test_return_with_comment_then_edit_and_resubmit(people, oversight):
    visit = logged(oversight.district_member, oversight.meeting_a)
    with pytest.raises(ValidationError) as caught:
        do_return_visit(fresh(people.commune_a_staff), visit, "  ")
    assert "review_comment" in caught.value.message_dict
    returned = do_return_visit(fresh(people.commune_a_staff), visit, "Thiếu nhận xét")
    assert returned.status == VisitStatus.RETURNED and returned.is_editable
    returned.findings = "Chi bộ sinh hoạt đúng giờ, 18/20 đảng viên dự."
    do_save_visit(fresh(oversight.district_member), returned, submit=True)
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SUBMITTED
    statuses = [h.status for h in Visit.objects.get(pk=visit.pk).history.order_by("history_date")]
    assert statuses == ["submitted", "returned", "submitted"]


def test_review_rules(people, oversight, tree):
    visit = logged(oversight.district_member, oversight.meeting_a)
    with pytest.raises(PermissionDenied):
        do_accept_visit(fresh(oversight.province_member), visit)  # no review permission
    with pytest.raises(PermissionDenied):
        do_accept_visit(fresh(people.district_b_office), visit)  # outside the subtree
    self_reviewer = UserFactory(username="self.review")
    PositionFactory(user=self_reviewer, unit=tree.district_a, role="office_staff")
    AssignmentFactory(member=self_reviewer, unit=tree.cell_a_2)
    own = logged(self_reviewer, oversight.meeting_a2)
    with pytest.raises(PermissionDenied):
        do_accept_visit(fresh(self_reviewer), own)
    draft = logged(oversight.province_member, oversight.meeting_a, submit=False)
    with pytest.raises(ValidationError):
        do_accept_visit(fresh(people.commune_a_staff), draft)


def test_bulk_accept_takes_only_waiting_visits_in_scope(people, oversight):
    first = logged(oversight.district_member, oversight.meeting_a)
    second = logged(oversight.province_member, oversight.meeting_a2)
    draft = logged(oversight.province_member, oversight.meeting_a, submit=False)
    count = do_accept_visits(fresh(people.commune_a_staff), [first.pk, second.pk, draft.pk, 999])
    assert count == 2
    assert Visit.objects.get(pk=draft.pk).status == VisitStatus.DRAFT
    assert do_accept_visits(fresh(people.district_b_office), [first.pk]) == 0


def test_score_on_the_visit_gives_a_rating(oversight):
    points = {
        "attendance": 15, "notice": 5, "preparation": 5, "order": 10, "duration": 10,
        "speaking": 15, "principles": 15, "follow_through": 10, "minutes": 10,
    }  # fmt: skip
    visit = meeting_visit(oversight.district_member, oversight.meeting_a)
    visit.apply_score(points)
    assert (visit.score_total, visit.rating) == (95, Rating.GOOD)


def test_progress_counts_logged_and_accepted_against_the_policy(people, oversight):
    member = fresh(oversight.province_member)
    logged(member, oversight.meeting_a)
    accepted = logged(member, oversight.meeting_a2)
    do_accept_visit(fresh(people.commune_a_staff), accepted)
    assignments = list(member.assignments.open_on().select_related("unit"))
    [progress] = member_progress(member, assignments, on=oversight.meeting_a.date)
    assert (progress.required, progress.logged, progress.accepted) == (1, 2, 1)
    assert progress.done and progress.missing == 0
    district = fresh(oversight.district_member)
    [nothing] = member_progress(
        district, list(district.assignments.select_related("unit")), on=oversight.meeting_a.date
    )
    assert (nothing.logged, nothing.missing) == (0, 1)


def test_progress_is_the_reports_count(people, oversight, tree):
    """A member's own page counts as the compliance report does: a visit to a cell counts for
    the most specific assignment covering it (here the cell, not the commune around it), and
    the figures are the report's cell for the same period."""
    from oversight.reporting.reports import compliance

    member = fresh(oversight.province_member)
    AssignmentFactory(member=member, unit=tree.cell_a)
    logged(member, oversight.meeting_a)
    assignments = list(member.assignments.open_on().select_related("unit").order_by("unit__path"))
    progress = member_progress(member, assignments, on=oversight.meeting_a.date)
    counts = {p.assignment.unit.code: (p.required, p.logged) for p in progress}
    assert counts == {"C01": (1, 0), "C01-01": (1, 1)}
    period = progress[0]
    report = compliance(fresh(people.admin), None, period.period_start, period.period_end)
    row = next(r for r in report.rows if r.member_id == member.pk)
    cell = row.by_month[period.period_end.replace(day=1)]
    assert (cell.tally.required, cell.tally.logged) == (2, 1)


# -- pages ---------------------------------------------------------------------------------


def test_my_work_shows_areas_meetings_and_what_is_due(client, oversight):
    Meeting.objects.plan_month(TODAY)
    client.force_login(oversight.district_member)
    response = client.get(reverse("my-work"))
    assert response.status_code == 200
    assert [(m.cell.code, v) for m, v in response.context["rows"]] == [("C01-01", None)]
    assert "Chi bộ thôn Nà Mô" in response.text
    [progress] = response.context["progress"]
    assert (progress.assignment.unit.code, progress.required, progress.logged) == ("C01-01", 1, 0)


def test_logging_from_the_form_in_one_post_and_double_submit_makes_one_visit(client, oversight):
    client.force_login(oversight.district_member)
    url = reverse("visit-create") + f"?meeting={oversight.meeting_a.pk}"
    page = client.get(url)
    token = page.context["visit"].client_token
    data = {
        "meeting": oversight.meeting_a.pk,
        "client_token": str(token),
        "findings": "Chi bộ sinh hoạt nghiêm túc.",
        "submit": "1",
    }
    first = client.post(url, data)
    second = client.post(url, data)
    visit = Visit.objects.get()
    assert first.url == second.url == reverse("visit-detail", args=[visit.pk])
    assert visit.status == VisitStatus.SUBMITTED and visit.findings.startswith("Chi bộ")


def test_form_errors_name_the_field_in_vietnamese(client, oversight, tree):
    client.force_login(oversight.province_member)
    url = reverse("visit-create") + "?kind=field"
    future = (TODAY + datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    response = client.post(
        url, {"unit": tree.commune_a.pk, "date": future, "field_type": "inspection", "submit": "1"}
    )
    assert response.status_code == 400
    assert "date" in response.context["form"].errors
    assert "chưa tới" in response.text
    assert not Visit.objects.exists()


def test_accepted_visit_cannot_be_edited_through_the_page(client, people, oversight):
    visit = logged(oversight.district_member, oversight.meeting_a)
    do_accept_visit(fresh(people.commune_a_staff), visit)
    client.force_login(oversight.district_member)
    response = client.post(reverse("visit-edit", args=[visit.pk]), {"findings": "đổi"})
    assert response.status_code == 302
    assert Visit.objects.get(pk=visit.pk).findings == ""


def test_review_queue_filters_and_bulk_accepts(client, people, oversight):
    first = logged(oversight.district_member, oversight.meeting_a)
    second = logged(oversight.province_member, oversight.meeting_a2)
    client.force_login(people.commune_a_staff)
    queue = client.get(reverse("review-queue"))
    assert {v.pk for v in queue.context["page"]} == {first.pk, second.pk}
    filtered = client.get(reverse("review-queue"), {"member": oversight.province_member.pk})
    assert [v.pk for v in filtered.context["page"]] == [second.pk]
    by_unit = client.get(reverse("review-queue"), {"unit": "C01-02"})
    assert [v.pk for v in by_unit.context["page"]] == [second.pk]
    month = oversight.month.strftime("%Y-%m")
    assert (
        client.get(reverse("review-queue"), {"month": month}).context["page"].paginator.count == 2
    )
    client.post(reverse("review-queue"), {"visit": [first.pk, second.pk]})
    assert set(Visit.objects.values_list("status", flat=True)) == {VisitStatus.ACCEPTED}


def test_return_from_the_visit_page_and_member_sees_the_comment(client, people, oversight):
    visit = logged(oversight.district_member, oversight.meeting_a)
    client.force_login(people.commune_a_staff)
    client.post(
        reverse("visit-review", args=[visit.pk]),
        {"action": "return", "review_comment": "Bổ sung số đảng viên dự"},
    )
    client.force_login(oversight.district_member)
    page = client.get(reverse("my-work"))
    assert "Bổ sung số đảng viên dự" in page.text
    detail = client.get(reverse("visit-detail", args=[visit.pk]))
    assert "Bị trả lại" in detail.text


def test_members_cannot_open_the_review_queue(client, oversight):
    client.force_login(oversight.district_member)
    assert client.get(reverse("review-queue")).status_code == 403


@pytest.mark.parametrize("url_name", ["visit-detail", "visit-edit", "visit-attachment"])
def test_another_district_gets_404_for_a_visit(client, people, oversight, url_name):
    visit = logged(oversight.district_member, oversight.meeting_a)
    client.force_login(people.district_b_office)
    assert client.get(reverse(url_name, args=[visit.pk])).status_code == 404
    assert (
        client.post(reverse("visit-review", args=[visit.pk]), {"action": "accept"}).status_code
        == 404
    )
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.SUBMITTED


def test_another_district_gets_404_for_a_meeting(client, people, oversight):
    client.force_login(people.district_b_office)
    assert client.get(reverse("meeting-detail", args=[oversight.meeting_a.pk])).status_code == 404
    url = reverse("visit-create") + f"?meeting={oversight.meeting_a.pk}"
    assert client.get(url).status_code == 404


def test_attachment_checked_by_content_and_served_only_in_scope(
    client, people, oversight, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(oversight.district_member)
    url = reverse("visit-create") + f"?meeting={oversight.meeting_a.pk}"
    fake = SimpleUploadedFile(
        "bien-ban.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    response = client.post(url, {"meeting": oversight.meeting_a.pk, "attachment": fake})
    assert response.status_code == 400 and "attachment" in response.context["form"].errors
    settings.VISIT_ATTACHMENT_MAX_BYTES = 50
    big = SimpleUploadedFile("anh.png", PNG + b"\x00" * 100, content_type="image/png")
    response = client.post(url, {"meeting": oversight.meeting_a.pk, "attachment": big})
    assert "quá lớn" in response.text
    settings.VISIT_ATTACHMENT_MAX_BYTES = 10_000
    good = SimpleUploadedFile("anh.png", PNG, content_type="image/png")
    client.post(url, {"meeting": oversight.meeting_a.pk, "attachment": good})
    visit = Visit.objects.get()
    served = client.get(reverse("visit-attachment", args=[visit.pk]))
    assert b"".join(served.streaming_content) == PNG
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"] == f'attachment; filename="ghi-nhan-{visit.pk}.png"'
    stored = str(visit.attachment.name)
    assert stored.endswith(".png") and "anh" not in stored
    client.force_login(people.district_b_office)
    assert client.get(reverse("visit-attachment", args=[visit.pk])).status_code == 404


def test_visit_page_shows_its_history(client, people, oversight):
    visit = logged(oversight.district_member, oversight.meeting_a, submit=False)
    do_submit_visit(fresh(oversight.district_member), visit)
    do_accept_visit(fresh(people.commune_a_staff), visit)
    client.force_login(oversight.district_member)
    page = client.get(reverse("visit-detail", args=[visit.pk]))
    assert [h.status for h in page.context["history"]] == ["accepted", "submitted", "draft"]


def test_unit_page_shows_overseers_meetings_and_visits(client, people, oversight, tree):
    logged(oversight.district_member, oversight.meeting_a)
    client.force_login(people.district_a_secretary)
    page = client.get(reverse("unit-detail", args=["C01-01"]))
    assert {a.member.username for a in page.context["overseers"]} == {"tinh.uv", "d01.uv"}
    assert [m.pk for m in page.context["meetings"]] == [oversight.meeting_a.pk]
    assert len(page.context["visits"]) == 1
    assert page.context["schedule"].day_of_month == 10
    commune = client.get(reverse("unit-detail", args=["C01"]))
    assert [c.code for c in commune.context["thematic_missing"]] == ["C01-01", "C01-02"]


def test_staff_move_a_meeting_from_its_page(client, people, oversight):
    client.force_login(people.commune_a_staff)
    url = reverse("meeting-detail", args=[oversight.meeting_a.pk])
    new = oversight.meeting_a.date.replace(day=21)
    response = client.post(
        url, {"change": "move", "new_date": new.strftime("%d/%m/%Y"), "change_reason": "Mùa vụ"}
    )
    assert response.status_code == 302
    oversight.meeting_a.refresh_from_db()
    assert oversight.meeting_a.date == new
    response = client.post(url, {"change": "move", "new_date": "", "change_reason": "x"})
    assert response.status_code == 400


# -- query counts: flat when the data grows tenfold ----------------------------------------


def grow(tree, oversight, scale: int) -> None:
    """``scale`` more cells under the assigned commune, each with a meeting and a visit."""
    for n in range(scale):
        cell = UnitFactory(code=f"C01-G{n:03d}", level="cell", parent=tree.commune_a)
        MeetingSchedule.objects.create(cell=cell, day_of_month=12)
    Meeting.objects.plan_month(oversight.month)
    Meeting.objects.plan_month(TODAY)
    for meeting in Meeting.objects.filter(cell__code__startswith="C01-G", month=oversight.month):
        do_save_visit(
            fresh(oversight.province_member),
            meeting_visit(oversight.province_member, meeting),
            submit=True,
        )


@pytest.mark.parametrize("scale", [3, 30])
def test_pages_query_counts_stay_flat(
    client, people, oversight, tree, scale, django_assert_max_num_queries
):
    grow(tree, oversight, scale)
    client.force_login(oversight.province_member)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("my-work")).status_code == 200
    client.force_login(people.commune_a_staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("review-queue"))
    assert response.context["page"].paginator.count == scale
    for code in ["C01", "C01-01"]:
        # 17: the unit's lineage (where it came from, where it went) is one of them.
        with django_assert_max_num_queries(17):
            assert client.get(reverse("unit-detail", args=[code])).status_code == 200
    visit = Visit.objects.first()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("visit-detail", args=[visit.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("meeting-detail", args=[visit.meeting_id])).status_code == 200


def test_my_work_speaks_english_when_chosen(client, oversight):
    client.force_login(oversight.district_member)
    client.post(reverse("set_language"), {"language": "en", "next": "/my/"})
    page = client.get(reverse("my-work"))
    assert "My work" in page.text and "My areas and this period" in page.text


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("tinh.vp", True),  # the province office sees the whole province
        ("d01.bithu", True),  # the district the cell lies in
        ("c01.vp", True),  # the commune
        ("c01-01.bithu", True),  # the cell itself
        ("d01.uv", True),  # the member who logged it
        ("d02.vp", False),  # another district
        ("khong.chuc.vu", False),  # no position at all
    ],
)
def test_visit_and_meeting_pages_for_every_role(client, people, oversight, username, visible):
    from accounts.models import User

    visit = logged(oversight.district_member, oversight.meeting_a)
    client.force_login(User.objects.get(username=username))
    expected = 200 if visible else 404
    assert client.get(reverse("visit-detail", args=[visit.pk])).status_code == expected
    assert client.get(reverse("meeting-detail", args=[visit.meeting_id])).status_code == expected
    queue = client.get(reverse("review-queue"))
    if queue.status_code == 200:
        assert (visit in queue.context["page"].object_list) == visible
