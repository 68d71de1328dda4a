"""Reorganisations of the tree: lineage, the dry run, an all-or-nothing and idempotent apply,
and what the portal shows afterwards (scope, reports, unit pages)."""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from assignments.models import Assignment
from oversight.importing import import_units, read_unit_file
from oversight.models import (
    Level,
    LineageKind,
    PlanStatus,
    ReorganisationPlan,
    Unit,
    UnitLineage,
    scope_for,
)
from oversight.reform import services
from oversight.reform.plan import impact
from oversight.reporting.reports import compliance, quality
from tests.clock import local
from tests.conftest import fresh
from tests.factories import PositionFactory, UnitFactory, UserFactory
from visits.models import Meeting, Reminder, ReminderKind, ReminderStatus, Visit

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
EFFECTIVE = datetime.date(2026, 7, 1)
EVE = datetime.date(2026, 6, 30)

TREE = """code,name,level,division_type,parent_code
P01,Tỉnh Thử Nghiệm,province,,
C01,Xã Lâm Bình,commune,xã,P01
C02,Xã Sơn Phú,commune,xã,P01
C05,Xã Na Hang,commune,xã,P01
"""
HEADER = (
    "old_code,old_name,old_district_code,old_province_code,new_code,new_name,new_province_code,"
    "share\n"
)
CROSSWALK = HEADER + (
    "C01,Xã Thượng Lâm,D01,P01,C01,Xã Lâm Bình,P01,\n"
    "C03,Xã Khuôn Hà,D01,P01,C01,Xã Lâm Bình,P01,\n"
    "C02,Xã Sơn Phú,D02,P01,C02,Xã Sơn Phú,P01,split:2;primary:nso-pop\n"
    "C02,Xã Sơn Phú,D02,P01,C05,Xã Na Hang,P01,split:2\n"
)


def make_plan(actor, tree_text=TREE, crosswalk_text=CROSSWALK, effective=EFFECTIVE):
    files = services.PlanFiles("tree.csv", tree_text, "crosswalk.csv", crosswalk_text)
    return services.do_create_plan(
        actor, files, effective, "99/NQ-UBTVQH15", effective - datetime.timedelta(days=14)
    )


@pytest.fixture
def second_cell(tree):
    return UnitFactory(
        code="C02-02", name="Chi bộ thôn Bản Cưởm", level="cell", parent=tree.commune_b
    )


def footprint() -> tuple[int, ...]:
    """How many rows every table a plan writes holds: equal before and after means nothing
    was written."""
    return (
        Unit.objects.count(),
        Unit.history.count(),
        UnitLineage.objects.count(),
        Assignment.history.count(),
        Reminder.objects.exclude(status=ReminderStatus.CANCELLED).count(),
    )


# -- lineage --------------------------------------------------------------------------------


def test_predecessors_and_successors_follow_every_generation_in_one_query(tree):
    a, b = tree.commune_a, tree.commune_a2
    c = UnitFactory(code="C10", name="Xã Mới", level="commune", parent=tree.province)
    d = UnitFactory(code="C11", name="Xã Mới Hơn", level="commune", parent=tree.province)
    for old, new in ((a, c), (b, c), (c, d)):
        UnitLineage.objects.create(
            predecessor=old, successor=new, kind=LineageKind.MERGE, effective_date=EFFECTIVE
        )
    with CaptureQueriesContext(connection) as queries:
        assert {u.code for u in d.predecessors()} == {"C01", "C03", "C10"}
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert {u.code for u in a.successors()} == {"C10", "C11"}
    assert list(tree.commune_b.predecessors()) == []


def test_a_code_names_a_unit_with_its_dates(tree):
    """The new commune takes the code of an old one it absorbed: both live in the tree, the
    lookup by code finds the living one, and by a day the one of that day."""
    old = tree.commune_b
    old.is_active, old.valid_to = False, EVE
    old.save()
    new = Unit.objects.create(
        code="C02", name="Xã Sơn Phú mới", level="commune", parent=tree.province,
        valid_from=EFFECTIVE,
    )  # fmt: skip
    assert Unit.objects.holding("C02") == new
    assert Unit.objects.holding("C02", on=EVE) == old
    assert old.get_absolute_url() == "/units/C02/?on=2026-06-30"
    with pytest.raises(Exception, match="unit_one_active_per_code"):
        Unit.objects.create(code="C02", name="Trùng", level="commune", parent=tree.district_a)


# -- the dry run ------------------------------------------------------------------------------


def test_dry_run_shows_each_change_and_writes_nothing(people, oversight, second_cell):
    plan = make_plan(people.admin)
    before = footprint()
    result = impact(plan)
    assert result.problems == []
    assert result.totals == {
        "created": 3, "renamed_provinces": 0, "merged": 1, "split": 1, "renamed": 0,
        "reparented": 0, "communes_abolished": 3, "districts_dissolved": 2,
        "provinces_merged": 0, "cells_moved": 4, "positions_ended": 4, "assignments_ended": 1,
        "meetings_moving": 3, "reminders_stopped": 0,
    }  # fmt: skip
    moves = {m.cell.code: m.target for m in result.cells}
    assert moves == {"C01-01": "C01", "C01-02": "C01", "C02-01": "C02", "C02-02": "C02"}
    new_c01 = result.new_units["C01"]
    assert {(old.code, kind) for old, kind, _part in new_c01.predecessors} == {
        ("C01", LineageKind.MERGE),
        ("C03", LineageKind.MERGE),
    }
    ended = {e.row.pk for e in result.endings}
    assert people.district_a_secretary.positions.get().pk in ended
    assert footprint() == before


def test_the_dry_run_costs_the_same_few_queries_for_a_province_as_for_a_test_tree(people, tree):
    small = make_plan(people.admin)
    with CaptureQueriesContext(connection) as small_queries:
        impact(small)
    UnitFactory(code="P08", name="Tỉnh Tuyên Quang", level="province")
    import_units(read_unit_file(SEEDS / "tuyen-quang-ha-giang-3-level.csv"))
    large = make_plan(
        people.admin,
        (SEEDS / "tuyen-quang-2-level.csv").read_text(),
        (SEEDS / "tuyen-quang-reform-2025.csv").read_text(),
        effective=datetime.date(2025, 7, 1),
    )
    with CaptureQueriesContext(connection) as large_queries:
        result = impact(large)
    assert result.totals["communes_abolished"] == 330
    assert len(large_queries) <= len(small_queries) + 1, [q["sql"] for q in large_queries]


@pytest.mark.parametrize(
    ("crosswalk", "kind", "where"),
    [
        # A commune of the old tree the crosswalk forgot.
        (HEADER + "C01,,D01,P01,C01,,P01,\nC02,,D02,P01,C02,,P01,\n", "not_covered", "C03"),
        (
            CROSSWALK + "C09,Xã Lạ,D01,P01,C01,Xã Lâm Bình,P01,\n",
            "old_unknown",
            "Dòng 6, cột old_code",
        ),
        (
            CROSSWALK.replace("C05,Xã Na Hang", "C77,Xã Na Hang"),
            "new_unknown",
            "Dòng 5, cột new_code",
        ),
        (
            CROSSWALK.replace(
                "C03,Xã Khuôn Hà,D01,P01,C01,Xã Lâm Bình,P01,",
                "C03,Xã Khuôn Hà,D01,P01,,,P01,unresolved;candidates:C01|C05",
            ),
            "unresolved",
            "Dòng 3, cột share",
        ),
    ],
)
def test_every_refusal_names_its_row_and_nothing_is_written(people, tree, crosswalk, kind, where):
    plan = make_plan(people.admin, crosswalk_text=crosswalk)
    result = impact(plan)
    assert [p.kind for p in result.problems] == [kind]
    assert where in result.problems[0].message_vi and result.problems[0].message_en
    before = footprint()
    with pytest.raises(services.PlanRefused) as refused:
        services.do_apply_plan(people.admin, plan)
    assert refused.value.problems == result.problems
    assert footprint() == before
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_an_unresolved_row_is_settled_by_a_persons_choice(people, tree):
    crosswalk = CROSSWALK.replace(
        "C03,Xã Khuôn Hà,D01,P01,C01,Xã Lâm Bình,P01,",
        "C03,Xã Khuôn Hà,D01,P01,,,P01,unresolved;candidates:C01|C05",
    )
    plan = make_plan(people.admin, crosswalk_text=crosswalk)
    services.do_save_choices(people.admin, plan, {}, {"C03": "C99"})
    assert [p.kind for p in impact(plan).problems] == ["bad_choice"]
    services.do_save_choices(people.admin, plan, {}, {"C03": "C05"})
    assert impact(plan).problems == []
    services.do_apply_plan(people.admin, plan)
    new_c05 = Unit.objects.holding("C05")
    assert {u.code for u in new_c05.predecessors()} == {"C02", "C03"}


# -- applying ---------------------------------------------------------------------------------


def test_apply_moves_cells_where_the_plan_says_and_keeps_the_old_units(
    people, oversight, tree, second_cell
):
    plan = make_plan(people.admin)
    # A person places one cell of the split commune in the other new commune.
    services.do_save_choices(people.admin, plan, {"C02-02": "C05"}, {})
    totals = services.do_apply_plan(people.admin, plan)
    assert totals["cells_moved"] == 4
    new = {code: Unit.objects.holding(code) for code in ("C01", "C02", "C05")}
    assert all(
        u.is_active and u.valid_from == EFFECTIVE and u.parent == tree.province
        for u in new.values()
    )
    cells = {c.code: c for c in Unit.objects.filter(level="cell")}
    assert cells["C01-01"].parent == new["C01"] and cells["C01-01"].path == "P01/C01/C01-01/"
    assert cells["C02-01"].parent == new["C02"]  # the split's primary row
    assert cells["C02-02"].parent == new["C05"]  # placed by hand
    # The cell's meetings and visits stay its own.
    assert oversight.meeting_a.cell_id == cells["C01-01"].pk
    # Old units stay, inactive, with their dates and successors.
    for old in (tree.commune_a, tree.commune_a2, tree.commune_b, tree.district_a, tree.district_b):
        old.refresh_from_db()
        assert not old.is_active and old.valid_to == EVE
    assert tree.commune_a.merged_into == new["C01"]
    assert {u.code for u in tree.commune_b.successors()} == {"C02", "C05"}
    kinds = set(UnitLineage.objects.filter(predecessor=tree.commune_b).values_list("kind", "part"))
    assert kinds == {
        (LineageKind.SPLIT, "split:2;primary:nso-pop"),
        (LineageKind.SPLIT, "split:2"),
    }
    assert UnitLineage.objects.get(predecessor=tree.district_a).kind == LineageKind.DISSOLVE
    link = UnitLineage.objects.get(predecessor=tree.commune_a)
    assert link.legal_basis == "99/NQ-UBTVQH15 ngày 17/06/2026" and link.plan == plan
    # Positions and assignments at abolished units end on the eve, recorded in history.
    position = people.district_a_secretary.positions.get()
    assert position.end_date == EVE
    assert position.history.first().history_change_reason == link.legal_basis
    assert Assignment.objects.get(unit=tree.commune_a).end_date == EVE
    assert Assignment.objects.get(unit=tree.cell_a).end_date is None  # a cell is not abolished
    # Every write is in the history: the cell's move, with who and why.
    moved = Unit.history.filter(id=tree.cell_a.pk).order_by("-history_id")
    assert [h.path for h in moved[:2]] == ["P01/C01/C01-01/", "P01/D01/C01/C01-01/"]
    assert (
        moved[0].history_user == people.admin and moved[0].history_change_reason == link.legal_basis
    )
    retired = Unit.history.filter(id=tree.district_a.pk).order_by("-history_id").first()
    assert not retired.is_active and retired.valid_to == EVE
    # Whoever lost every position lost the role groups that came with them.
    assert not people.district_a_secretary.groups.exists()
    assert people.province_office.groups.filter(name="role:office_staff").exists()


def test_applying_twice_changes_nothing(people, oversight, tree):
    plan = make_plan(people.admin)
    first = services.do_apply_plan(people.admin, plan)
    after_first = footprint()
    assert services.do_apply_plan(people.admin, plan) == first
    assert footprint() == after_first
    # The same files uploaded again find nothing left to do.
    again = make_plan(people.admin)
    result = impact(again)
    assert result.changes == 0 and not result.confirmable
    assert [note.kind for note in result.notes] == ["nothing"]
    services.do_apply_plan(people.admin, again)
    assert footprint() == after_first


def test_a_plan_that_fails_half_way_leaves_nothing_written(people, oversight, tree, monkeypatch):
    plan = make_plan(people.admin)
    before = footprint()

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    # Units, lineage and cells are written by then; positions are next.
    monkeypatch.setattr(services, "_end_rows", fail)
    with pytest.raises(RuntimeError):
        services.do_apply_plan(people.admin, plan)
    assert footprint() == before
    assert Unit.objects.holding("C01") == tree.commune_a
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_reminders_for_meetings_nobody_is_assigned_to_any_more_stop(people, oversight, tree):
    future = Meeting.objects.create(cell=tree.cell_a_2, date=datetime.date(2026, 12, 10))
    stale = Reminder.objects.create(
        recipient=oversight.province_member,
        kind=ReminderKind.UPCOMING_MEETING,
        subject=f"meeting:{future.pk}",
    )
    kept = Reminder.objects.create(
        recipient=oversight.district_member,  # assigned to the cell, which lives on
        kind=ReminderKind.UPCOMING_MEETING,
        subject=f"meeting:{oversight.meeting_a.pk}",
    )
    plan = make_plan(people.admin)
    assert [r.pk for r in impact(plan).reminders_stopping] == [stale.pk]
    services.do_apply_plan(people.admin, plan)
    stale.refresh_from_db()
    kept.refresh_from_db()
    assert stale.status == ReminderStatus.CANCELLED and "99/NQ-UBTVQH15" in stale.last_error
    assert kept.status == ReminderStatus.PENDING


# -- after the reform -------------------------------------------------------------------------


def test_an_abolished_districts_office_loses_its_scope_on_the_effective_date(
    people, tree, time_machine
):
    services.do_apply_plan(people.admin, make_plan(people.admin))
    time_machine.move_to(local(2026, 6, 30, 20, 0))
    assert scope_for(fresh(people.district_b_office)).covers(tree.commune_b.path)
    time_machine.move_to(local(2026, 7, 1, 8, 0))
    assert scope_for(fresh(people.district_b_office)).root_paths == ()


def test_the_new_communes_office_sees_its_predecessors_history_and_no_neighbours(
    people, oversight, tree
):
    services.do_apply_plan(people.admin, make_plan(people.admin))
    new_c01 = Unit.objects.holding("C01")
    office = PositionFactory(
        user=UserFactory(username="c01moi.vp"), unit=new_c01, role=Role.OFFICE_STAFF,
        start_date=EFFECTIVE,
    ).user  # fmt: skip
    visible = {u.code for u in Unit.objects.visible_to(fresh(office))}
    assert {"C01", "C03", "C01-01", "C01-02"} <= visible
    assert not visible & {"C02", "C05", "C02-01", "D01", "D02"}
    old_assignment = Assignment.objects.get(unit=tree.commune_a)
    assert Assignment.objects.visible_to(fresh(office)).filter(pk=old_assignment.pk).exists()
    # The same answer on every page, neighbours 404.
    client_units = [Unit.objects.holding("C02"), tree.commune_b]
    for unit in client_units:
        assert not unit.is_visible_to(fresh(office))


def report_figures(report):
    return (
        report.total,
        [(row.name, row.areas, row.total) for row in report.rows],
        [(unit.code, tally) for unit, tally in report.by_group],
    )


@pytest.fixture
def spring_visit(oversight, tree):
    """An accepted visit of May 2026 by the province member to cell C01-01 (old Thượng Lâm)."""
    meeting = Meeting.objects.create(cell=tree.cell_a, date=datetime.date(2026, 5, 10))
    return Visit.objects.create(
        member=oversight.province_member, logged_by=oversight.province_member, kind="meeting",
        meeting=meeting, unit=tree.cell_a, date=meeting.date, status="accepted",
        assignment=Assignment.objects.get(unit=tree.commune_a),
    )  # fmt: skip


def test_a_report_in_the_past_structure_equals_the_one_taken_before_the_plan(
    people, tree, spring_visit
):
    office = people.province_office
    first, last = datetime.date(2026, 1, 1), datetime.date(2026, 6, 1)
    spring_visit.rating = "good"
    spring_visit.save()
    before = report_figures(compliance(fresh(office), tree.district_a, first, last))
    quality_before = quality(fresh(office), tree.district_a, first, last)
    assert before[0].accepted == 1 and quality_before.totals == {"good": 1}
    services.do_apply_plan(people.admin, make_plan(people.admin))
    tree.district_a.refresh_from_db()
    after = report_figures(compliance(fresh(office), tree.district_a, first, last))
    assert after == before
    quality_after = quality(fresh(office), tree.district_a, first, last)
    assert quality_after.totals == quality_before.totals
    assert [(u.code, d) for u, d in quality_after.distribution] == [
        (u.code, d) for u, d in quality_before.distribution
    ]
    # Read in today's tree instead, old Lâm Bình holds none of its cells any more.
    today_tree = quality(fresh(office), tree.district_a, first, last, structure=None)
    assert today_tree.totals == quality_before.totals  # its last day is the default
    moved = quality(
        fresh(office), tree.district_a, first, last, structure=datetime.date(2026, 7, 1)
    )
    assert moved.totals == {}


def test_a_new_communes_report_includes_what_its_predecessors_did(people, tree, spring_visit):
    services.do_apply_plan(people.admin, make_plan(people.admin))
    new_c01 = Unit.objects.holding("C01")
    first, last = datetime.date(2026, 1, 1), datetime.date(2026, 6, 1)
    report = compliance(fresh(people.province_office), new_c01, first, last)
    assert report.total.accepted == 1
    # The old commune's overseer and the cell's, whose cell now sits in the new commune.
    assert sorted(area for row in report.rows for area in row.areas) == [
        "Chi bộ thôn Nà Mô",
        "Xã Thượng Lâm",
    ]
    # The neighbour inherits nothing of it.
    other = compliance(fresh(people.province_office), Unit.objects.holding("C05"), first, last)
    assert other.total.accepted == 0
    # After the reform the old commune's assignment, ended on the eve, is owed nothing.
    later = compliance(
        fresh(people.province_office), new_c01, datetime.date(2026, 8, 1), datetime.date(2026, 9, 1)
    )
    assert "Xã Thượng Lâm" not in [area for row in later.rows for area in row.areas]


def test_a_new_communes_quality_lists_a_predecessors_cell_rated_poor_twice(people, oversight, tree):
    """A cell the plan left under its abolished commune is still the new commune's history:
    rated Kém by a visiting member in May and June, it is listed (the Kém cells are read by
    the units' ids, which must include the predecessors')."""
    services.do_apply_plan(people.admin, make_plan(people.admin))
    old_c01 = Unit.objects.holding("C01", on=datetime.date(2026, 6, 1))
    left_behind = UnitFactory(parent=old_c01, level=Level.CELL, code="C01-99")
    for day in [datetime.date(2026, 5, 10), datetime.date(2026, 6, 10)]:
        meeting = Meeting.objects.create(cell=left_behind, date=day)
        Visit.objects.create(
            member=oversight.province_member, logged_by=oversight.province_member,
            kind="meeting", meeting=meeting, unit=left_behind, date=day, rating="poor",
            status="submitted",
        )  # fmt: skip
    new_c01 = Unit.objects.holding("C01")
    first, last = datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)
    report = quality(fresh(people.province_office), new_c01, first, last)
    assert [(cell.code, a, b) for cell, a, b in report.poor_twice] == [("C01-99", first, last)]


# -- who may ------------------------------------------------------------------------------


def test_only_the_administrator_or_the_provinces_office_may_reorganise(people, tree):
    with pytest.raises(PermissionDenied):
        make_plan(people.district_b_office)
    with pytest.raises(PermissionDenied):
        make_plan(people.commune_a_staff)
    plan = make_plan(people.province_office)
    assert plan.province == tree.province
    services.do_apply_plan(fresh(people.province_office), plan)
    assert Unit.objects.holding("C05") is not None


def test_a_plan_of_several_provinces_is_the_administrators(people, tree):
    tree_text = TREE + "P09,Tỉnh Mới,province,tỉnh,\n"
    with pytest.raises(PermissionDenied):
        make_plan(people.province_office, tree_text=tree_text)


# -- the pages ------------------------------------------------------------------------------


def test_upload_dry_run_and_confirm_through_the_pages(client, people, oversight):
    client.force_login(people.province_office)
    assert client.get(reverse("reform-plans")).status_code == 200
    response = client.post(
        reverse("reform-plans"),
        {
            "effective_date": "01/07/2026",
            "basis_number": "99/NQ-UBTVQH15",
            "basis_date": "17/06/2026",
            "tree": SimpleUploadedFile("tree.csv", TREE.encode()),
            "crosswalk": SimpleUploadedFile("crosswalk.csv", CROSSWALK.encode()),
        },
    )
    plan = ReorganisationPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reorganisations/{plan.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'data-total="created">3<' in page.text and "Chi bộ thôn Nà Mô" in page.text
    client.post(response["Location"], {"save": "1", "place-C02-01": "C05"})
    plan.refresh_from_db()
    assert plan.placements == {"C02-01": "C05"}
    client.post(response["Location"], {"apply": "1"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPLIED
    assert Unit.objects.get(code="C02-01").parent == Unit.objects.holding("C05")
    unit_page = client.get(reverse("unit-detail", args=["C01"]))
    assert 'data-testid="came-from"' in unit_page.text and "Xã Khuôn Hà" in unit_page.text
    old_page = client.get(tree_url := Unit.objects.holding("C01", on=EVE).get_absolute_url())
    assert old_page.status_code == 200 and "Xã Thượng Lâm" in old_page.text, tree_url
    assert 'data-testid="went-to"' in old_page.text


def test_a_bad_upload_names_the_file_row_and_column(client, people, tree):
    client.force_login(people.province_office)
    response = client.post(
        reverse("reform-plans"),
        {
            "effective_date": "01/07/2026",
            "basis_number": "99/NQ-UBTVQH15",
            "basis_date": "02/07/2026",
            "tree": SimpleUploadedFile("tree.csv", b"code,name\nP01,X\n"),
            "crosswalk": SimpleUploadedFile("crosswalk.csv", b"\xff\xfe"),
        },
    )
    assert response.status_code == 400
    assert "thiếu cột “level”" in response.text and "missing column" in response.text
    assert "UTF-8" in response.text
    assert "Nghị quyết phải ban hành trước" in response.text
    assert not ReorganisationPlan.objects.exists()


def test_another_provinces_office_gets_404_for_the_plan(client, people, tree):
    plan = make_plan(people.province_office)
    other = UnitFactory(code="P02", name="Tỉnh Khác", level="province")
    stranger = PositionFactory(unit=other, role=Role.OFFICE_STAFF).user
    for user in (stranger, people.district_b_office):
        client.force_login(user)
        assert client.get(reverse("reform-plan", args=[plan.pk])).status_code == 404
        assert (
            client.post(reverse("reform-plan", args=[plan.pk]), {"apply": "1"}).status_code == 404
        )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_the_plan_pages_cost_the_same_queries_for_a_province_as_for_a_test_tree(
    client, people, tree, django_assert_max_num_queries
):
    client.force_login(people.admin)
    small = make_plan(people.admin)
    with CaptureQueriesContext(connection) as small_queries:
        assert client.get(reverse("reform-plan", args=[small.pk])).status_code == 200
    UnitFactory(code="P08", name="Tỉnh Tuyên Quang", level="province")
    import_units(read_unit_file(SEEDS / "tuyen-quang-ha-giang-3-level.csv"))
    large = make_plan(
        people.admin,
        (SEEDS / "tuyen-quang-2-level.csv").read_text(),
        (SEEDS / "tuyen-quang-reform-2025.csv").read_text(),
        effective=datetime.date(2025, 7, 1),
    )
    with django_assert_max_num_queries(len(small_queries) + 1):
        assert client.get(reverse("reform-plan", args=[large.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("reform-plans")).status_code == 200


# -- the real reform --------------------------------------------------------------------------


def test_the_july_2025_reform_of_tuyen_quang_and_ha_giang_from_the_command_line(people):
    import_units(read_unit_file(SEEDS / "tuyen-quang-ha-giang-3-level.csv"))
    arguments = [
        str(SEEDS / "tuyen-quang-2-level.csv"),
        str(SEEDS / "tuyen-quang-reform-2025.csv"),
        "--effective=2025-07-01",
        "--basis-number=1684/NQ-UBTVQH15",
        "--basis-date=2025-06-16",
        "--as=admin",
    ]
    call_command("apply_reorganisation", *arguments, "--dry-run")
    assert not UnitLineage.objects.exists()
    call_command("apply_reorganisation", *arguments)
    new_tree = Unit.objects.active().filter(level="commune", path__startswith="P08/")
    assert new_tree.count() == 124
    assert Unit.objects.filter(level="commune", is_active=False).count() == 330
    tan_thanh = Unit.objects.holding("C02578")
    assert tan_thanh.name == "Xã Tân Thanh" and tan_thanh.path == "P08/C02578/"
    assert {u.code for u in tan_thanh.predecessors()} == {"C02575", "C02578", "C02590"}
    assert Unit.objects.holding("C02578", on=datetime.date(2025, 6, 30)).name == "Xã Hợp Hòa"
    ha_giang = Unit.objects.get(code="P02")
    assert not ha_giang.is_active and ha_giang.merged_into.code == "P08"
    split = UnitLineage.objects.filter(kind=LineageKind.SPLIT)
    assert split.values("predecessor").distinct().count() == 5
    with pytest.raises(CommandError, match="no user"):
        call_command("apply_reorganisation", *arguments[:-1], "--as=nobody")


def test_coverage_lists_the_new_communes_nobody_oversees(people, oversight, tree):
    from oversight.reporting.reports import coverage

    services.do_apply_plan(people.admin, make_plan(people.admin))
    report = coverage(fresh(people.province_office), tree.province, 3)
    # New C01 keeps the district member, assigned to its cell C01-01; the others have nobody.
    assert [u.code for u in report.without_overseer] == ["C02", "C05"]
    # The abolished communes ask for no successor of their own.
    assert report.without_successor == []


def test_the_old_overseers_are_carried_over_from_a_proposed_list(client, people, oversight, tree):
    from oversight.reform.carry_over import proposals

    plan = make_plan(people.admin)
    assert proposals(plan) == []  # nothing before the plan is applied
    services.do_apply_plan(people.admin, plan)
    [proposal] = proposals(plan)
    new_c01 = Unit.objects.holding("C01")
    assert proposal.assignment.unit == tree.commune_a and proposal.proposed == new_c01
    assert not proposal.already
    client.force_login(people.province_office)
    url = reverse("reform-carry-over", args=[plan.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Xã Lâm Bình" in page.text
    pk = proposal.assignment.pk
    response = client.post(url, {f"take-{pk}": "1", f"to-{pk}": "C01"})
    assert response.status_code == 302
    carried = Assignment.objects.get(member=oversight.province_member, unit=new_c01)
    assert carried.start_date == EFFECTIVE and carried.end_date is None
    [again] = proposals(plan)
    assert again.already
    # A commune the old one did not go into is refused, and nothing is written.
    response = client.post(url, {f"take-{pk}": "1", f"to-{pk}": "C05"})
    assert Assignment.objects.filter(member=oversight.province_member).count() == 2
    client.force_login(people.district_b_office)
    assert client.get(url).status_code == 404


def test_the_report_pages_read_a_past_tree_by_its_date(client, people, tree, spring_visit):
    services.do_apply_plan(people.admin, make_plan(people.admin))
    client.force_login(people.province_office)
    past = client.get(
        reverse("report-compliance"),
        {"unit": "C01", "structure": "2026-06-30", "start": "2026-01", "end": "2026-06"},
    )
    assert past.status_code == 200
    assert past.context["report"].root.name == "Xã Thượng Lâm"
    # The drill-down links keep the past tree and the months.
    assert "?unit=C01&amp;structure=2026-06-30&amp;start=2026-01&amp;end=2026-06" in past.text
    assert past.context["report"].total.accepted == 1
    now = client.get(reverse("report-compliance"), {"unit": "C01", "start": "2026-01"})
    assert now.context["report"].root.name == "Xã Lâm Bình"
    api = client.get(
        "/api/v1/reports/compliance/", {"unit": "D01", "from": "2026-01", "to": "2026-06"}
    )
    assert api.status_code == 200 and api.json()["total"]["accepted"] == 1
    quality = client.get(
        reverse("report-quality"), {"unit": "D01", "start": "2026-05", "end": "2026-05"}
    )
    assert quality.status_code == 200
    bad = client.get(reverse("report-compliance"), {"structure": "30/13/2026"})
    assert bad.status_code == 400


def test_a_plan_is_applied_from_its_effective_date_on(people, tree, time_machine):
    time_machine.move_to(local(2026, 6, 30, 23, 0))
    plan = make_plan(people.admin)
    assert [p.kind for p in impact(plan).problems] == ["not_yet"]
    with pytest.raises(services.PlanRefused):
        services.do_apply_plan(people.admin, plan)
    assert tree.commune_a.is_active
    time_machine.move_to(local(2026, 7, 1, 0, 5))
    services.do_apply_plan(people.admin, plan)
    assert Unit.objects.holding("C05").valid_from == EFFECTIVE


def test_an_abolished_unit_takes_no_new_overseer_or_position(client, people, oversight, tree):
    from rest_framework.test import APIClient

    from accounts.services import do_appoint
    from assignments.services import do_assign

    services.do_apply_plan(people.admin, make_plan(people.admin))
    office = fresh(people.province_office)
    with pytest.raises(ValidationError, match="ngừng hoạt động từ sau 30/06/2026"):
        do_assign(office, oversight.province_member, Unit.objects.get(code="C03"))
    # Before the reform it could have been (a late entry of the old term's work).
    earlier = do_assign(
        office, oversight.province_member, Unit.objects.get(code="C03"),
        start_date=datetime.date(2026, 3, 1),
    )  # fmt: skip
    assert earlier.unit.code == "C03"
    with pytest.raises(ValidationError, match="chỉ được thành lập từ 01/07/2026"):
        do_assign(
            office, oversight.province_member, Unit.objects.holding("C05"),
            start_date=datetime.date(2026, 6, 1),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="ngừng hoạt động"):
        do_appoint(
            office, oversight.province_member, Unit.objects.get(code="D02"), Role.OFFICE_STAFF
        )
    api = APIClient()
    api.force_login(office)
    response = api.post(
        "/api/v1/assignments/",
        {"member": oversight.province_member.pk, "unit": "C03"},
        format="json",
    )
    assert response.status_code == 400 and "ngừng hoạt động" in response.text
