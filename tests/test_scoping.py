"""The one scoping gate: each role sees its subtree, nothing else, in a fixed number of queries."""

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from accounts.models import Position
from accounts.roles import Role, group_name
from oversight.models import Level, Unit
from tests.conftest import fresh
from tests.factories import PositionFactory, UnitFactory, UserFactory


def visible_codes(user) -> set[str]:
    return set(Unit.objects.visible_to(fresh(user)).values_list("code", flat=True))


def test_each_role_sees_exactly_its_subtree(people, tree):
    everything = set(Unit.objects.values_list("code", flat=True))
    assert visible_codes(people.province_office) == everything
    assert visible_codes(people.district_a_secretary) == {
        "D01", "C01", "C03", "C01-01", "C01-02"
    }  # fmt: skip
    assert visible_codes(people.district_b_office) == {"D02", "C02", "C02-01"}
    assert visible_codes(people.commune_a_staff) == {"C01", "C01-01", "C01-02"}
    assert visible_codes(people.cell_a_secretary) == {"C01-01"}
    assert visible_codes(people.nobody) == set()
    assert visible_codes(people.admin) == everything


def test_role_model_permissions_do_not_open_the_whole_table(people):
    office = fresh(people.district_b_office)
    assert office.groups.filter(name=group_name(Role.OFFICE_STAFF)).exists()
    assert office.has_perm("oversight.change_unit")
    assert "C01" not in visible_codes(office)


def test_guardian_grant_adds_one_subtree(people, tree):
    assign_perm("view_unit", people.district_b_office, tree.commune_a)
    assert visible_codes(people.district_b_office) == {
        "D02", "C02", "C02-01", "C01", "C01-01", "C01-02"
    }  # fmt: skip
    group = Group.objects.create(name="Tổ giúp việc")
    group.user_set.add(people.nobody)
    assign_perm("view_unit", group, tree.cell_b)
    assert visible_codes(people.nobody) == {"C02-01"}


def test_other_permissions_granted_on_a_unit_do_not_widen_the_view(people, tree):
    assign_perm("change_unit", people.nobody, tree.commune_a)
    assert visible_codes(people.nobody) == set()


def test_ended_position_no_longer_covers(people, tree):
    position = Position.objects.get(user=people.commune_a_staff)
    position.end_date = position.start_date
    position.save()
    assert visible_codes(people.commune_a_staff) == set()
    assert not fresh(people.commune_a_staff).groups.exists()


def test_inactive_user_sees_nothing(people):
    people.district_a_secretary.is_active = False
    people.district_a_secretary.save()
    assert visible_codes(people.district_a_secretary) == set()


def test_positions_are_scoped_through_the_same_gate(people):
    seen = Position.objects.visible_to(fresh(people.district_a_secretary))
    assert {p.user.username for p in seen} == {"d01.bithu", "c01.vp", "c01-01.bithu"}


@pytest.mark.parametrize("extra_districts", [0, 30])
def test_visible_to_costs_a_fixed_number_of_queries(
    people, tree, extra_districts, django_assert_num_queries
):
    for n in range(extra_districts):
        district = UnitFactory(code=f"DX{n}", level=Level.DISTRICT, parent=tree.province)
        UnitFactory(code=f"CX{n}", level=Level.COMMUNE, parent=district)
    user = fresh(people.district_a_secretary)
    # grants, positions, the units themselves
    with django_assert_num_queries(3):
        assert len(list(Unit.objects.visible_to(user))) == 5
    with django_assert_num_queries(1):
        list(Unit.objects.visible_to(user))
    province = Unit.objects.get(code="P01")
    with django_assert_num_queries(1):
        assert Unit.objects.subtree_of(province).count() == 9 + 2 * extra_districts


def test_move_to_carries_the_subtree_and_changes_who_sees_it(people, tree):
    tree.commune_a.move_to(tree.district_b)
    cell = Unit.objects.get(code="C01-01")
    assert cell.path == "P01/D02/C01/C01-01/"
    assert "C01-01" in visible_codes(people.district_b_office)
    assert "C01-01" not in visible_codes(people.district_a_secretary)


def test_a_unit_cannot_move_under_itself_or_to_a_lower_level(tree):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        tree.district_a.move_to(tree.commune_a)
    with pytest.raises(ValidationError):
        tree.commune_a.move_to(tree.commune_b)


def test_merge_keeps_history_and_points_to_the_successor(people, tree):
    tree.commune_a2.merge_into(tree.commune_a)
    tree.commune_a.merge_into(tree.commune_b)
    merged = Unit.objects.get(code="C01")
    assert merged.merged_into.code == "C02" and not merged.is_active
    assert merged.valid_to is not None
    assert Unit.objects.get(code="C01-01").path == "P01/D02/C02/C01-01/"
    assert Unit.objects.get(code="C03").merged_into.code == "C01"
    # The merged unit stays where it was, traceable by the district that had it.
    assert "C01" in visible_codes(people.district_a_secretary)
    assert "C01-01" in visible_codes(people.district_b_office)


def test_position_rules(tree):
    from django.core.exceptions import ValidationError

    user = UserFactory()
    with pytest.raises(ValidationError):
        PositionFactory.build(user=user, unit=tree.cell_a, role=Role.SECRETARY).full_clean()
    with pytest.raises(ValidationError):
        PositionFactory.build(user=user, unit=tree.commune_a, role=Role.CELL_SECRETARY).full_clean()


def test_a_person_sees_their_own_rows_outside_their_scope_and_no_one_elses(people, tree, oversight):
    """A commune secretary of C03 assigned to oversee a cell of C01: their visit there lies
    outside their tenant, yet it is theirs; a colleague's visit to the same cell is not."""
    from assignments.models import Assignment
    from tests.factories import AssignmentFactory
    from visits.models import Visit
    from visits.services import do_save_visit

    overseer = PositionFactory(
        user=UserFactory(username="c03.bithu"), unit=tree.commune_a2, role="secretary"
    ).user
    AssignmentFactory(member=overseer, unit=tree.cell_a)
    own = do_save_visit(
        fresh(overseer),
        Visit(member=overseer, logged_by=overseer, kind="meeting", meeting=oversight.meeting_a),
    )
    colleague = do_save_visit(
        fresh(oversight.district_member),
        Visit(
            member=oversight.district_member,
            logged_by=oversight.district_member,
            kind="meeting",
            meeting=oversight.meeting_a,
        ),
    )
    visible = set(Visit.objects.visible_to(fresh(overseer)).values_list("pk", flat=True))
    assert own.pk in visible and colleague.pk not in visible
    assert Assignment.objects.visible_to(fresh(overseer)).filter(unit=tree.cell_a).count() == 1


@pytest.mark.parametrize(
    ("username", "root"),
    [("d01.bithu", "district_a"), ("d01.bithu", "commune_a"), ("d01.bithu", "district_b"),
     ("c01.vp", "district_a"), ("admin", "province")],
)  # fmt: skip
def test_visible_within_is_the_gate_then_the_subtree(people, tree, username, root):
    """The shortcut that leaves out the scope's condition for a unit inside the scope gives
    exactly the rows of visible_to(...).within(...), inside the scope or not."""
    user = fresh(next(p for p in vars(people).values() if p.username == username))
    unit = getattr(tree, root)
    through_gate = Unit.objects.visible_to(user).within(unit)
    assert set(Unit.objects.visible_within(fresh(user), unit)) == set(through_gate)
