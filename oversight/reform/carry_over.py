"""Carrying the overseers over a reorganisation: the overseer of old commune X is proposed for
the new commune that took most of X's cells; the office edits the list and confirms it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Position, User
from assignments.models import Assignment
from assignments.services import do_assign
from oversight.models import PlanStatus, ReorganisationPlan, Unit, UnitLineage, UnitPlacement


@dataclass
class Proposal:
    """One overseer of an abolished commune and where the plan proposes they carry on."""

    assignment: Assignment  # ended by the plan, at the old commune
    proposed: Unit  # the new commune that took most of its cells
    options: list[Unit]  # every new commune the old one went into
    already: bool  # the member already oversees the proposed commune


def proposals(plan: ReorganisationPlan) -> list[Proposal]:
    """For an applied plan, each assignment it ended at an old commune whose member still holds
    a position, with the proposed new commune. A fixed number of queries."""
    if plan.status != PlanStatus.APPLIED:
        return []
    eve = plan.eve
    links = list(
        UnitLineage.objects.filter(plan=plan, predecessor__level="commune").select_related(
            "predecessor", "successor"
        )
    )
    successors: dict[int, list[Unit]] = {}
    for link in links:
        successors.setdefault(link.predecessor_id, []).append(link.successor)
    old_paths = {link.predecessor.path: link.predecessor_id for link in links}
    # Where the old commune's cells went: the placements the plan wrote, and the cells' parents now.
    landed: dict[int, Counter[int]] = {}
    for path, parent_id in UnitPlacement.objects.filter(until=eve).values_list(
        "path", "unit__parent_id"
    ):
        old_id = old_paths.get(path.rsplit("/", 2)[0] + "/")
        if old_id is not None and parent_id is not None:
            landed.setdefault(old_id, Counter())[parent_id] += 1
    ended = list(
        Assignment.objects.filter(unit_id__in=list(successors), end_date=eve)
        .select_related("member", "unit")
        .order_by("unit__path", "member__full_name")
    )
    holders = set(
        Position.objects.current()
        .filter(user_id__in={a.member_id for a in ended})
        .values_list("user_id", flat=True)
    )
    overseeing = set(
        Assignment.objects.open_on()
        .filter(unit__in=[u for units in successors.values() for u in units])
        .values_list("member_id", "unit_id")
    )
    result = []
    for assignment in ended:
        if assignment.member_id not in holders:
            continue
        options = successors[assignment.unit_id]
        counts = landed.get(assignment.unit_id, Counter())
        # Most cells first; with none (or a tie), the commune the old one merged into.
        merged_into = assignment.unit.merged_into_id
        proposed = max(options, key=lambda unit: (counts[unit.pk], unit.pk == merged_into))
        result.append(
            Proposal(
                assignment,
                proposed,
                options,
                (assignment.member_id, proposed.pk) in overseeing,
            )
        )
    return result


@transaction.atomic
def do_carry_over(actor: User, plan: ReorganisationPlan, chosen: dict[int, str]) -> int:
    """Assign each chosen overseer (old assignment id → new commune code) to the new commune
    from the effective date, all or nothing, through ``do_assign`` (its rights and checks)."""
    offered = {p.assignment.pk: p for p in proposals(plan)}
    made = 0
    for assignment_id, code in chosen.items():
        proposal = offered.get(assignment_id)
        if proposal is None:
            raise ValidationError(_("Đề xuất số %(id)s không còn.") % {"id": assignment_id})
        target = next((unit for unit in proposal.options if unit.code == code), None)
        if target is None:
            raise ValidationError(
                _("“%(code)s” không phải xã mới của %(old)s.")
                % {"code": code, "old": proposal.assignment.unit.name}
            )
        if proposal.already and target == proposal.proposed:
            continue
        do_assign(
            actor,
            proposal.assignment.member,
            target,
            kind=proposal.assignment.kind,
            start_date=plan.effective_date,
            note=_("Chuyển tiếp từ %(old)s theo %(basis)s")
            % {"old": proposal.assignment.unit.name, "basis": plan.legal_basis},
        )
        made += 1
    return made
