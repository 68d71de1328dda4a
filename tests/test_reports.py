"""Reports: the arithmetic of compliance, coverage and quality, their scoping and their exports."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assignments.models import Assignment
from oversight.reporting.reports import compliance, coverage, quality
from tests.clock import TODAY
from tests.conftest import fresh
from tests.factories import AssignmentFactory, PositionFactory, UnitFactory, UserFactory
from visits.models import Meeting, MeetingSchedule, Rating, Visit, VisitKind, add_months
from visits.services import do_accept_visit, do_move_meeting, do_save_visit
from visits.tallies import is_due

THIS_MONTH = TODAY.replace(day=1)


def log(member, meeting, **fields) -> Visit:
    visit = Visit(
        member=member, logged_by=member, kind=VisitKind.MEETING, meeting=meeting, **fields
    )
    return do_save_visit(fresh(member), visit, submit=True)


def row_of(report, username):
    from accounts.models import User

    member = User.objects.get(username=username)
    return next(row for row in report.rows if row.member_id == member.pk)


def meeting_today(cell) -> Meeting:
    return Meeting.objects.create(cell=cell, kind="regular", date=TODAY)


def test_is_due_needs_half_of_the_period():
    start, end = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)
    assert not is_due(datetime.date(2026, 3, 20), None, start, end)
    assert is_due(datetime.date(2026, 3, 16), None, start, end)
    assert not is_due(datetime.date(2026, 1, 1), datetime.date(2026, 3, 5), start, end)


def test_logged_then_accepted_in_time_turns_green(people, oversight, tree, settings):
    settings.COMPLIANCE_CLOSING_DAY = 28
    meeting = meeting_today(tree.cell_a)
    visit = log(oversight.district_member, meeting)
    report = compliance(fresh(people.district_a_secretary), tree.district_a, THIS_MONTH, THIS_MONTH)
    cell = row_of(report, "d01.uv").by_month[THIS_MONTH]
    assert (cell.tally.required, cell.tally.logged, cell.tally.accepted) == (1, 1, 0)
    assert cell.tally.status == "amber"
    do_accept_visit(fresh(people.commune_a_staff), visit)
    report = compliance(fresh(people.district_a_secretary), tree.district_a, THIS_MONTH, THIS_MONTH)
    assert row_of(report, "d01.uv").by_month[THIS_MONTH].tally.status == "green"


def test_a_month_without_a_visit_is_red(people, oversight, tree):
    report = compliance(
        fresh(people.district_a_secretary), tree.district_a, oversight.month, oversight.month
    )
    cell = row_of(report, "d01.uv").by_month[oversight.month]
    assert (cell.tally.required, cell.tally.logged, cell.tally.status) == (1, 0, "red")


def test_acceptance_after_the_month_closed_counts_late(people, oversight, tree, settings):
    settings.COMPLIANCE_CLOSING_DAY = 1  # last month closed on the 1st of this month
    visit = log(oversight.district_member, oversight.meeting_a)
    accepted = do_accept_visit(fresh(people.commune_a_staff), visit)
    assert accepted.accepted_late
    report = compliance(
        fresh(people.district_a_secretary), tree.district_a, oversight.month, oversight.month
    )
    tally = row_of(report, "d01.uv").by_month[oversight.month].tally
    assert (tally.accepted, tally.late, tally.status) == (1, 1, "amber")


def test_a_moved_meeting_counts_in_its_month(people, oversight, tree):
    moved = do_move_meeting(
        fresh(people.commune_a_staff),
        oversight.meeting_a,
        oversight.month.replace(day=27),
        "Mùa vụ",
    )
    log(oversight.district_member, moved)
    report = compliance(
        fresh(people.district_a_secretary), tree.district_a, oversight.month, oversight.month
    )
    assert row_of(report, "d01.uv").by_month[oversight.month].tally.logged == 1


def test_member_assigned_mid_month_owes_from_the_next_month(people, tree, oversight):
    late = UserFactory(username="moi.vao")
    PositionFactory(user=late, unit=tree.district_a, role="executive_member")
    AssignmentFactory(member=late, unit=tree.cell_a_2, start_date=oversight.month.replace(day=25))
    report = compliance(
        fresh(people.district_a_secretary), tree.district_a, oversight.month, THIS_MONTH
    )
    row = row_of(report, "moi.vao")
    assert oversight.month not in row.by_month
    assert row.by_month[THIS_MONTH].tally.required == 1


def test_two_communes_each_need_their_own_meeting(people, tree, oversight):
    member = fresh(oversight.province_member)
    AssignmentFactory(member=member, unit=tree.commune_b)
    second = Meeting.objects.create(
        cell=tree.cell_a_2, kind="thematic", date=oversight.meeting_a.date
    )
    log(member, oversight.meeting_a)
    log(member, second)  # two in commune A, none in commune B
    report = compliance(
        fresh(people.province_office), tree.province, oversight.month, oversight.month
    )
    quarter_end_month = add_months(oversight.month, 2 - (oversight.month.month - 1) % 3)
    after_the_quarter_closed = add_months(quarter_end_month, 1).replace(day=6)
    report = compliance(
        fresh(people.province_office),
        tree.province,
        oversight.month,
        quarter_end_month,
        today=after_the_quarter_closed,
    )
    row = row_of(report, "tinh.uv")
    tally = row.by_month[quarter_end_month].tally
    assert (tally.required, tally.logged) == (2, 1)
    groups = {unit.code: t for unit, t in report.by_group}
    assert (groups["D01"].logged, groups["D02"].logged) == (1, 0)


def test_two_level_tree_groups_by_commune(db, people):
    province = UnitFactory(code="P50", name="Tỉnh Hai Cấp")
    commune = UnitFactory(code="C50", name="Xã Mới", level="commune", parent=province)
    cell = UnitFactory(code="C50-01", name="Chi bộ 1", level="cell", parent=commune)
    office = PositionFactory(
        user=UserFactory(username="p50.vp"), unit=province, role="office_staff"
    ).user
    member = PositionFactory(
        user=UserFactory(username="p50.uv"), unit=province, role="executive_member"
    ).user
    AssignmentFactory(member=member, unit=commune)
    meeting = Meeting.objects.create(cell=cell, kind="regular", date=TODAY.replace(day=1))
    log(member, meeting)
    quarter_end = add_months(THIS_MONTH, 2 - (THIS_MONTH.month - 1) % 3)  # a provincial quarter
    report = compliance(fresh(office), province, THIS_MONTH, quarter_end)
    assert [(unit.code, tally.required) for unit, tally in report.by_group] == [("C50", 0)]
    closed = add_months(quarter_end, 1).replace(day=6)
    report = compliance(fresh(office), province, THIS_MONTH, quarter_end, today=closed)
    assert [(unit.code, tally.logged) for unit, tally in report.by_group] == [("C50", 1)]


def test_compliance_is_scoped(people, oversight, tree):
    log(oversight.district_member, oversight.meeting_a)
    outsider = compliance(
        fresh(people.district_b_office), tree.district_b, oversight.month, oversight.month
    )
    assert list(outsider.rows) == []


def test_coverage_finds_unvisited_units_and_orphaned_areas(people, oversight, tree):
    log(oversight.district_member, oversight.meeting_a)
    report = coverage(fresh(people.province_office), tree.province, 3)
    assert {u.code for u in report.cells} == {"C01-02", "C02-01"}
    assert {u.code for u in report.communes} == {"C02", "C03"}
    # The district member leaves: their open assignment shows; then it ends with no successor.
    from accounts.models import Position

    Position.objects.filter(user=oversight.district_member).update(
        end_date=TODAY - datetime.timedelta(days=1)
    )
    report = coverage(fresh(people.province_office), tree.province, 3)
    assert [a.unit.code for a in report.member_left] == ["C01-01"]
    Assignment.objects.filter(member=oversight.district_member).update(
        end_date=TODAY - datetime.timedelta(days=1)
    )
    report = coverage(fresh(people.province_office), tree.province, 3)
    assert [a.unit.code for a in report.without_successor] == ["C01-01"]
    assert report.member_left == []


def test_quality_finds_poor_twice_and_diverging(people, oversight, tree):
    earlier = add_months(oversight.month, -1)
    MeetingSchedule.objects.filter(cell=tree.cell_a_2).update(day_of_month=3)
    Meeting.objects.plan_month(earlier)
    first = Meeting.objects.get(cell=tree.cell_a_2, month=earlier)
    first.self_rating = Rating.POOR
    first.save()
    Meeting.objects.filter(pk=oversight.meeting_a2.pk).update(self_rating=Rating.POOR)
    Meeting.objects.filter(pk=oversight.meeting_a.pk).update(self_rating=Rating.GOOD)
    Visit.objects.create(
        member=oversight.district_member, logged_by=oversight.district_member, kind="meeting",
        meeting=oversight.meeting_a, unit=tree.cell_a, date=oversight.meeting_a.date,
        rating=Rating.AVERAGE, status="submitted",
    )  # fmt: skip
    report = quality(fresh(people.province_office), tree.province, earlier, oversight.month)
    assert [(cell.code, a, b) for cell, a, b in report.poor_twice] == [
        ("C01-02", earlier, oversight.month)
    ]
    assert [m.pk for m in report.diverging] == [oversight.meeting_a.pk]
    assert report.totals == {"average": 1}  # the visiting members' ratings


def test_quality_finds_cells_rated_poor_twice_by_visiting_members(people, oversight, tree):
    """Kém from visiting members in two months in a row lists the cell; the Kém visits of two
    cells of one district in one month add up in the district's row and in the totals."""
    earlier = add_months(oversight.month, -1)
    MeetingSchedule.objects.filter(cell=tree.cell_a_2).update(day_of_month=3)
    Meeting.objects.plan_month(earlier)
    earlier_meeting = Meeting.objects.get(cell=tree.cell_a_2, month=earlier)
    for meeting in [earlier_meeting, oversight.meeting_a2, oversight.meeting_a]:
        Visit.objects.create(
            member=oversight.district_member, logged_by=oversight.district_member,
            kind="meeting", meeting=meeting, unit=meeting.cell, date=meeting.date,
            rating=Rating.POOR, status="submitted",
        )  # fmt: skip
    report = quality(fresh(people.province_office), tree.province, earlier, oversight.month)
    assert [(cell.code, a, b) for cell, a, b in report.poor_twice] == [
        ("C01-02", earlier, oversight.month)
    ]
    assert report.totals == {"poor": 3}
    [(district, by_month)] = report.distribution
    assert district == tree.district_a
    assert by_month == {earlier: {"poor": 1}, oversight.month: {"poor": 2}}


# -- pages, exports, scoping, query counts -------------------------------------------------


def test_report_pages_render_and_out_of_scope_unit_is_404(client, people, oversight):
    client.force_login(people.district_b_office)
    for name in ["report-compliance", "report-coverage", "report-quality", "visit-list"]:
        assert client.get(reverse(name)).status_code == 200
        assert client.get(reverse(name), {"unit": "C01"}).status_code == 404
    response = client.get(reverse("report-compliance"), {"start": "2026-13"})
    assert response.status_code == 400 and "YYYY-MM" in response.text


def test_export_defuses_formulas_and_writes_vietnamese_headers(client, people, oversight, tree):
    member = oversight.district_member
    member.full_name = '=HYPERLINK("http://x","bấm")'
    member.save()
    log(member, oversight.meeting_a, findings="+1 điểm; @ghi chú")
    client.force_login(people.district_a_secretary)
    month = oversight.month.strftime("%Y-%m")
    response = client.get(reverse("visit-list"), {"format": "csv", "start": month, "end": month})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Ngày", "Cấp ủy viên", "Đơn vị"]
    assert rows[1][0] == oversight.meeting_a.date.strftime("%d/%m/%Y")
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][7].startswith("'+1")
    response = client.get(
        reverse("report-compliance"), {"format": "xlsx", "start": month, "end": month}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert values[0].startswith("'=HYPERLINK")
    assert sheet.cell(row=1, column=1).value == "Cấp ủy viên"


def test_print_view_is_a_standalone_page(client, people, oversight):
    client.force_login(people.district_a_secretary)
    page = client.get(reverse("report-compliance"), {"print": "1"})
    assert "BÁO CÁO TÌNH HÌNH" in page.text.upper() and "navbar" not in page.text


def test_drill_down_lists_the_visits_behind_a_number(client, people, oversight):
    visit = log(oversight.district_member, oversight.meeting_a)
    client.force_login(people.district_a_secretary)
    month = oversight.month.strftime("%Y-%m")
    page = client.get(reverse("report-compliance"), {"start": month, "end": month})
    member = oversight.district_member.pk
    link = f"?unit=D01&amp;member={member}&amp;start={month}&amp;end={month}&amp;status=logged"
    assert link in page.text
    listed = client.get(
        reverse("visit-list"),
        {
            "unit": "D01",
            "member": oversight.district_member.pk,
            "start": month,
            "end": month,
            "status": "logged",
        },
    )
    assert [v.pk for v in listed.context["page"]] == [visit.pk]


def grow(tree, oversight, scale: int) -> None:
    for n in range(scale):
        member = UserFactory(username=f"uv{n}")
        PositionFactory(user=member, unit=tree.district_a, role="executive_member")
        cell = UnitFactory(code=f"C01-R{n:03d}", level="cell", parent=tree.commune_a)
        AssignmentFactory(member=member, unit=cell)
        meeting = Meeting.objects.create(cell=cell, kind="regular", date=oversight.meeting_a.date)
        log(member, meeting, rating="")


@pytest.mark.parametrize("scale", [2, 20])
def test_report_query_counts_stay_flat(
    client, people, oversight, tree, scale, django_assert_max_num_queries
):
    grow(tree, oversight, scale)
    client.force_login(people.district_a_secretary)
    month = oversight.month.strftime("%Y-%m")
    for name, params in [
        ("report-compliance", {"start": month, "end": month}),
        ("report-compliance", {"start": month, "end": month, "format": "xlsx"}),
        ("report-coverage", {"months": 3}),
        ("report-quality", {"start": month, "end": month}),
        ("visit-list", {"start": month, "end": month}),
        ("visit-list", {"start": month, "end": month, "format": "csv"}),
    ]:
        # 17: a report on a unit also reads its predecessors (lineage).
        with django_assert_max_num_queries(17):
            assert client.get(reverse(name), params).status_code == 200


def test_an_administrator_sees_the_whole_scope_grouped_by_province(client, people, oversight):
    log(oversight.district_member, oversight.meeting_a)
    client.force_login(people.admin)
    month = oversight.month.strftime("%Y-%m")
    page = client.get(reverse("report-compliance"), {"start": month, "end": month})
    assert page.context["report"].root is None
    assert [unit.code for unit, _ in page.context["report"].by_group] == ["P01"]
    assert "toàn bộ phạm vi" in page.text


def test_exports_hold_only_the_scope(client, people, oversight):
    log(oversight.district_member, oversight.meeting_a)
    client.force_login(people.district_b_office)
    month = oversight.month.strftime("%Y-%m")
    for name in ["visit-list", "report-compliance", "report-coverage", "report-quality"]:
        response = client.get(reverse(name), {"format": "csv", "start": month, "end": month})
        body = response.content.decode("utf-8-sig")
        assert oversight.district_member.full_name not in body
        assert "Nà Mô" not in body and "Thượng Lâm" not in body


def test_the_visit_list_pages_by_key(client, people, oversight, tree, monkeypatch):
    """Older and newer pages follow the last and first row shown (no count, no offset): every
    visit once, in order, forward and back; a key that is not one is refused."""
    from oversight.reporting import views

    monkeypatch.setattr(views, "VISITS_PER_PAGE", 3)
    grow(tree, oversight, 7)
    client.force_login(people.district_a_secretary)
    month = oversight.month.strftime("%Y-%m")
    params = {"start": month, "end": month}
    expected = list(
        Visit.objects.filter(date__gte=oversight.month)
        .order_by("-date", "-pk")
        .values_list("pk", flat=True)
    )
    seen, pages, page = [], [], client.get(reverse("visit-list"), params).context["page"]
    while True:
        pages.append([v.pk for v in page])
        seen += pages[-1]
        if page.older is None:
            break
        page = client.get(reverse("visit-list"), {**params, "after": page.older}).context["page"]
    assert seen == expected and [len(p) for p in pages] == [3, 3, 1]
    back = client.get(reverse("visit-list"), {**params, "before": page.newer}).context["page"]
    assert [v.pk for v in back] == pages[1] and back.newer is not None
    first = client.get(reverse("visit-list"), {**params, "before": back.newer}).context["page"]
    assert [v.pk for v in first] == pages[0] and first.newer is None
    refused = client.get(reverse("visit-list"), {**params, "after": "hôm qua"})
    assert refused.status_code == 400 and "hôm qua" in refused.text


def test_a_report_past_the_summarys_horizon_is_refused(client, people):
    """The summaries hold periods through December of next year: a report ending later is
    refused on its field, not shown with nothing owed."""
    client.force_login(people.district_a_secretary)
    too_far = f"{TODAY.year + 2}-01"
    answer = client.get(reverse("report-compliance"), {"start": too_far, "end": too_far})
    assert answer.status_code == 400
    assert f"12/{TODAY.year + 1}" in answer.text
    last = f"{TODAY.year + 1}-12"
    assert client.get(reverse("report-compliance"), {"start": last, "end": last}).status_code == 200


def test_compliance_cells_escape_every_text_and_write_whole_counts():
    """The cells are written as text, not by format_html: what a unit's code, a period's label
    or a translation holds reaches the page escaped, and a count that is not a whole number
    is refused rather than written."""
    from types import SimpleNamespace

    from oversight.templatetags.portal import EMPTY_CELL, compliance_cells

    month, other = datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)
    cell = SimpleNamespace(
        status='green"',
        label="<b>05/2026</b>",
        in_progress=True,
        months_query="start=2026-05&end=2026-05",
        tally=SimpleNamespace(logged=2, required=1),
    )
    row = SimpleNamespace(member_id=7, by_month={month: cell})
    report = SimpleNamespace(root=SimpleNamespace(code='D<1>"'), months=[month, other])

    html = compliance_cells(row, report, "/reports/visits/")

    assert html == (
        '<td class="text-center rag-green&quot;" title="&lt;b&gt;05/2026&lt;/b&gt; · '
        'đang diễn ra" data-status="green&quot;"><a href="/reports/visits/?unit=D&lt;1&gt;'
        '&quot;&amp;member=7&amp;start=2026-05&amp;end=2026-05&amp;status=logged">2/1</a></td>'
        + EMPTY_CELL
    )
    cell.tally.logged = "2<script>"
    with pytest.raises(ValueError):
        compliance_cells(row, report, "/reports/visits/")
