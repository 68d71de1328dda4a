"""The writes of a reorganisation: a plan is made from its files, its choices are saved, and it is
applied once, all or nothing (``do_apply_plan``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.models import Position, User, sync_role_groups_of
from accounts.rights import may
from assignments.models import Assignment
from oversight.bulk import record_history, write_rows
from oversight.models import (
    Level,
    LineageKind,
    PlanStatus,
    ReorganisationPlan,
    Unit,
    UnitLineage,
    UnitPlacement,
    path_for,
)
from oversight.reform.plan import Impact, ReformProblem, impact, read_tree
from oversight.text import search_key
from visits.models import Reminder, ReminderStatus
from visits.tallies import refresh_tallies

RIGHT = "oversight.add_reorganisationplan"
WRITE_BATCH = 2000


class PlanRefused(Exception):
    """The plan cannot be applied as it stands; ``problems`` names each row."""

    def __init__(self, problems: list[ReformProblem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class PlanFiles:
    tree_name: str
    tree_text: str
    crosswalk_name: str
    crosswalk_text: str


def plan_province(files: PlanFiles) -> Unit | None:
    """The living province a plan's new tree is about when it names exactly one that exists
    (a province's own plan); None for a plan of several or of a new province."""
    codes = {row.code for row in read_tree(files.tree_text) if row.level == Level.PROVINCE}
    if len(codes) != 1:
        return None
    return Unit.objects.active().filter(level=Level.PROVINCE, code__in=codes).first()


def check_right(actor: User, province: Unit | None) -> None:
    """An administrator may apply any plan; a province's office only one of its own province
    (a plan of several provinces, or of a new one, has none: the administrator's)."""
    allowed = may(actor, RIGHT, province) if province is not None else actor.is_superuser
    if not allowed:
        raise PermissionDenied(
            _("Chỉ quản trị viên, hoặc văn phòng tỉnh ủy với tỉnh của mình, được sắp xếp đơn vị.")
        )


def do_create_plan(
    actor: User,
    files: PlanFiles,
    effective_date: datetime.date,
    basis_number: str,
    basis_date: datetime.date,
) -> ReorganisationPlan:
    """Store an uploaded plan (not applied) for its dry run; the tree must be readable (it names
    the province) and the resolution issued by its effective date."""
    province = plan_province(files)
    check_right(actor, province)
    plan = ReorganisationPlan(
        province=province,
        effective_date=effective_date,
        basis_number=basis_number.strip(),
        basis_date=basis_date,
        tree_name=files.tree_name,
        tree_text=files.tree_text,
        crosswalk_name=files.crosswalk_name,
        crosswalk_text=files.crosswalk_text,
        created_by=actor,
    )
    plan.full_clean()
    plan.save()
    return plan


def do_save_choices(
    actor: User,
    plan: ReorganisationPlan,
    placements: dict[str, str],
    choices: dict[str, str],
) -> None:
    """Keep where a person placed cells and which candidates they chose for unresolved rows
    (checked by the next dry run); an applied plan is not changed any more."""
    check_right(actor, plan.province)
    with transaction.atomic():
        locked = ReorganisationPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status == PlanStatus.APPLIED:
            raise ValidationError(_("Phương án đã được áp dụng, không sửa được nữa."))
        locked.placements = {k: v for k, v in placements.items() if v}
        locked.choices = {k: v for k, v in choices.items() if v}
        locked.save(update_fields=["placements", "choices"])
    plan.placements, plan.choices = locked.placements, locked.choices


def do_apply_plan(actor: User, plan: ReorganisationPlan) -> dict[str, int]:
    """Apply ``plan`` in one transaction and return its totals.

    The dry run is computed again inside the transaction, with the plan row locked, so two
    confirmations cannot both apply it and a plan whose rows are not all resolved is refused
    (``PlanRefused``, naming each row). A plan applied already answers its stored totals and
    changes nothing; any failure half way leaves nothing written.
    """
    check_right(actor, plan.province)
    with transaction.atomic():
        locked = ReorganisationPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status == PlanStatus.APPLIED:
            return dict(locked.summary)
        result = impact(locked)
        if result.problems:
            raise PlanRefused(result.problems)
        # Every unit it retires or moves must lie where the actor holds the right (a province's
        # office in its own province), not merely where they may look.
        outside = [u.code for u in _touched(result) if not may(actor, RIGHT, u)]
        if outside:
            raise PermissionDenied(
                _("Phương án chạm đến đơn vị ngoài phạm vi của bạn: %(codes)s")
                % {"codes": ", ".join(outside[:20])}
            )
        totals = result.totals
        _write(actor, locked, result)
        locked.status = PlanStatus.APPLIED
        locked.summary = totals
        locked.applied_by = actor
        locked.applied_at = timezone.now()
        locked.save(update_fields=["status", "summary", "applied_by", "applied_at"])
    plan.refresh_from_db()
    return totals


def _touched(result: Impact) -> list[Unit]:
    return [*(r.unit for r in result.retirements), *(move.cell for move in result.cells)]


def _write(actor: User, plan: ReorganisationPlan, result: Impact) -> None:
    reason = plan.legal_basis
    eve = result.eve
    # The old units leave first: a new commune takes the code of one of them, and only one
    # living unit may bear a code.
    retired = [r.unit for r in result.retirements]
    for unit in retired:
        unit.is_active, unit.valid_to = False, eve
    Unit.objects.filter(pk__in=[u.pk for u in retired]).update(is_active=False, valid_to=eve)
    units = _write_new_units(actor, plan, result)
    for retirement in result.retirements:
        retirement.unit.merged_into = units.get(retirement.successor_code)
    write_rows(Unit, [u for u in retired if u.merged_into is not None], ["merged_into_id"])
    record_history(Unit, retired, actor, reason)
    links = [
        UnitLineage(
            predecessor=old,
            successor=units[new_code],
            kind=kind,
            part=part,
            effective_date=plan.effective_date,
            legal_basis=reason,
            plan=plan,
        )
        for old, new_code, kind, part in result.links
    ]
    links += [
        UnitLineage(
            predecessor=r.unit,
            successor=units[r.successor_code],
            kind=LineageKind.DISSOLVE if r.unit.level == Level.DISTRICT else LineageKind.MERGE,
            effective_date=plan.effective_date,
            legal_basis=reason,
            plan=plan,
        )
        for r in (*result.retire_districts, *result.retire_provinces)
        if r.successor_code in units
    ]
    UnitLineage.objects.bulk_create(links, batch_size=WRITE_BATCH, ignore_conflicts=True)
    UnitPlacement.objects.bulk_create(
        [UnitPlacement(unit=move.cell, path=move.cell.path, until=eve) for move in result.cells],
        batch_size=WRITE_BATCH,
        ignore_conflicts=True,
    )
    cells = [move.cell for move in result.cells]
    for move in result.cells:
        move.cell.parent = units[move.target]
        move.cell.path = path_for(move.cell.code, move.cell.parent.path)
    write_rows(Unit, cells, ["parent_id", "path"])
    record_history(Unit, cells, actor, reason)
    _end_rows(actor, result, reason)
    Reminder.objects.filter(pk__in=[r.pk for r in result.reminders_stopping]).update(
        status=ReminderStatus.CANCELLED,
        last_error=_("Dừng do sắp xếp đơn vị (%(basis)s).") % {"basis": reason},
    )


def _write_new_units(actor: User, plan: ReorganisationPlan, result: Impact) -> dict[str, Unit]:
    """Provinces kept or renamed in place, new ones and the new communes created; every unit of
    the new tree, by code."""
    units: dict[str, Unit] = {}
    for code, new in result.new_units.items():
        if new.row.level != Level.PROVINCE:
            continue
        province = new.existing or Unit(code=code, level=Level.PROVINCE)
        if new.action != "keep":
            province.name, province.division_type = new.row.name, new.row.division_type
            if province.pk is None:
                province.valid_from = plan.effective_date
            province._change_reason = plan.legal_basis  # type: ignore[attr-defined]
            province.save()
        units[code] = province
    created = []
    for code, new in result.new_units.items():
        if new.row.level != Level.COMMUNE:
            continue
        if new.existing is not None:
            units[code] = new.existing
            continue
        parent = units[new.row.parent_code]
        unit = Unit(
            code=code,
            name=new.row.name,
            level=Level.COMMUNE,
            division_type=new.row.division_type,
            parent=parent,
            path=path_for(code, parent.path),
            search_name=search_key(new.row.name),
            valid_from=plan.effective_date,
        )
        created.append(unit)
        units[code] = unit
    bulk_create_with_history(
        created,
        Unit,
        batch_size=WRITE_BATCH,
        default_user=actor,
        default_change_reason=plan.legal_basis,
    )
    # bulk_create sets the ids (PostgreSQL, SQLite): the dict holds the same objects.
    return units


def _end_rows(actor: User, result: Impact, reason: str) -> None:
    positions = [e.row for e in result.endings if isinstance(e.row, Position)]
    assignments = [e.row for e in result.endings if isinstance(e.row, Assignment)]
    for row in result.endings:
        row.row.end_date = result.eve
    for model, rows in ((Position, positions), (Assignment, assignments)):
        model.objects.filter(pk__in=[row.pk for row in rows]).update(end_date=result.eve)
        record_history(model, rows, actor, reason)
    # What the members owe follows the endings, which the update wrote without save().
    ended_members = {p.user_id for p in positions}
    refresh_tallies(
        {a.pk for a in assignments}
        | set(Assignment.objects.filter(member_id__in=ended_members).values_list("pk", flat=True))
    )
    sync_role_groups_of({p.user_id for p in positions})
