"""The writes that matter for assignments, each checked against the acting person's scope."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Position
from assignments.models import Assignment, AssignmentKind
from oversight.models import Term, Unit

if TYPE_CHECKING:
    from accounts.models import User


def _check_may_assign(assigner: User, unit: Unit) -> None:
    if not assigner.has_perm("assignments.add_assignment"):
        raise PermissionDenied(_("Bạn không có quyền phân công."))
    if not Unit.objects.visible_to(assigner).filter(pk=unit.pk).exists():
        raise ValidationError({"unit": _("Địa bàn này nằm ngoài phạm vi của bạn.")})


def _check_member_in_scope(assigner: User, member: User) -> None:
    holds_position_in_scope = (
        Position.objects.visible_to(assigner).current().filter(user=member).exists()
    )
    if not holds_position_in_scope:
        raise ValidationError(
            {"member": _("Người này không giữ chức vụ nào trong phạm vi của bạn.")}
        )


@transaction.atomic
def do_assign(
    assigner: User,
    member: User,
    unit: Unit,
    *,
    term: Term | None = None,
    kind: str = AssignmentKind.IN_CHARGE,
    start_date: datetime.date | None = None,
    note: str = "",
) -> Assignment:
    """Put ``member`` in charge of ``unit`` (and its subtree) from ``start_date``."""
    _check_may_assign(assigner, unit)
    _check_member_in_scope(assigner, member)
    start_date = start_date or timezone.localdate()
    term = term or Term.objects.current(start_date).first()
    if term is None:
        raise ValidationError({"term": _("Không có nhiệm kỳ nào chứa ngày bắt đầu.")})
    assignment = Assignment(
        member=member,
        unit=unit,
        term=term,
        kind=kind,
        start_date=start_date,
        assigned_by=assigner,
        note=note,
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def do_end_assignment(
    actor: User, assignment: Assignment, on: datetime.date | None = None
) -> Assignment:
    """End an assignment on ``on``; it stays in the history."""
    _check_may_assign(actor, assignment.unit)
    assignment.end_date = on or timezone.localdate()
    assignment.full_clean()
    assignment.save(update_fields=["end_date"])
    return assignment


@transaction.atomic
def do_reassign(
    assigner: User,
    unit: Unit,
    new_member: User,
    *,
    on: datetime.date | None = None,
    term: Term | None = None,
    kind: str = AssignmentKind.IN_CHARGE,
) -> Assignment:
    """Hand ``unit`` to ``new_member`` from ``on``: the open assignments of that kind end the day
    before, in the same transaction (the change of members at a new term, in one action)."""
    on = on or timezone.localdate()
    previous = Assignment.objects.select_for_update().filter(unit=unit, kind=kind).open_on(on)
    for assignment in previous.exclude(member=new_member):
        do_end_assignment(assigner, assignment, on - datetime.timedelta(days=1))
    return do_assign(assigner, new_member, unit, term=term, kind=kind, start_date=on)
