"""Assignments: only inside the assigner's scope, never twice at once, ended not deleted."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from assignments.models import Assignment, AssignmentKind
from assignments.services import do_assign, do_end_assignment, do_reassign
from tests.clock import TODAY
from tests.conftest import fresh
from tests.factories import AssignmentFactory


def test_office_assigns_a_member_inside_its_scope(people, tree, oversight):
    assignment = do_assign(
        fresh(people.province_office), oversight.province_member, tree.commune_b, note="Mới"
    )
    assert assignment.assigned_by == people.province_office
    assert assignment.term.name == "2025–2030"
    assert Assignment.objects.filter(member=oversight.province_member).open_on().count() == 2


def test_assigning_outside_ones_scope_is_refused(people, tree, oversight):
    with pytest.raises(ValidationError) as caught:
        do_assign(fresh(people.district_b_office), oversight.district_member, tree.cell_a)
    assert "unit" in caught.value.message_dict
    # Nor may a district office assign a member who holds no position in its subtree.
    with pytest.raises(ValidationError) as caught:
        do_assign(fresh(people.district_b_office), oversight.district_member, tree.cell_b)
    assert "member" in caught.value.message_dict


def test_assigning_needs_the_permission(people, tree, oversight):
    with pytest.raises(PermissionDenied):
        do_assign(fresh(people.cell_a_secretary), oversight.district_member, tree.cell_a)


def test_no_two_open_assignments_of_one_member_to_one_unit(people, tree, oversight):
    with pytest.raises(ValidationError) as caught:
        do_assign(fresh(people.province_office), oversight.province_member, tree.commune_a)
    assert "đã được phân công" in str(caught.value)
    with pytest.raises(IntegrityError):
        AssignmentFactory(member=oversight.province_member, unit=tree.commune_a)


def test_a_province_cannot_be_assigned(people, tree, oversight):
    with pytest.raises(ValidationError) as caught:
        do_assign(fresh(people.province_office), oversight.province_member, tree.province)
    assert "unit" in caught.value.message_dict


def test_ending_keeps_the_assignment_in_history(people, oversight):
    assignment = Assignment.objects.get(member=oversight.district_member)
    yesterday = TODAY - datetime.timedelta(days=1)
    do_end_assignment(fresh(people.district_a_secretary), assignment, yesterday)
    assert Assignment.objects.filter(pk=assignment.pk, end_date=yesterday).exists()
    assert not Assignment.objects.filter(member=oversight.district_member).open_on().exists()
    assert assignment.history.count() == 2


def test_a_commune_cannot_end_the_assignment_of_a_higher_levels_member(
    client, people, tree, oversight
):
    assignment = Assignment.objects.get(member=oversight.province_member, unit=tree.commune_a)
    with pytest.raises(PermissionDenied):
        do_end_assignment(fresh(people.commune_a_staff), assignment)
    client.force_login(people.commune_a_staff)
    response = client.post(f"/assignments/{assignment.pk}/end/", follow=True)
    assert "chỉ cấp trên kết thúc được" in response.text
    assert Assignment.objects.get(pk=assignment.pk).end_date is None


def test_reassign_hands_over_in_one_action(people, tree, oversight):
    today = TODAY
    new = do_reassign(fresh(people.province_office), tree.commune_a, oversight.district_member)
    old = Assignment.objects.get(member=oversight.province_member, unit=tree.commune_a)
    assert old.end_date == today - datetime.timedelta(days=1)
    assert new.member == oversight.district_member and new.start_date == today
    assert new.kind == AssignmentKind.IN_CHARGE


def test_reassign_is_all_or_nothing(people, tree, oversight):
    outsider = people.nobody  # holds no position: cannot be assigned
    with pytest.raises(ValidationError):
        do_reassign(fresh(people.province_office), tree.commune_a, outsider)
    old = Assignment.objects.get(member=oversight.province_member, unit=tree.commune_a)
    assert old.end_date is None


def test_an_assignment_covers_the_subtree(tree, oversight):
    covering = Assignment.objects.covering(tree.cell_a_2).open_on()
    assert [a.member.username for a in covering] == ["tinh.uv"]
    assert {a.member.username for a in Assignment.objects.covering(tree.cell_a)} == {
        "tinh.uv",
        "d01.uv",
    }


def test_a_member_sees_own_assignments_and_other_districts_do_not(people, tree, oversight):
    assert Assignment.objects.visible_to(fresh(oversight.province_member)).count() == 2
    assert not Assignment.objects.visible_to(fresh(people.district_b_office)).exists()
    assert Assignment.objects.visible_to(fresh(people.district_a_secretary)).count() == 2
