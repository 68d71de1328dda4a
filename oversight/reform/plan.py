"""The dry run of a reorganisation: what applying a plan would change, row by row and in totals,
and what blocks it.

A plan is the new tree (``code,name,level,division_type,parent_code``) and the NSO crosswalk
(``old_code,…,new_code,…,share``, see the data README) with an effective date. ``impact`` reads
the portal as it is and answers the same whether the plan was applied already or not: a plan
applied once has nothing left to do, which is what makes applying it twice harmless.
"""

from __future__ import annotations

import datetime
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from django.db.models import Q

from accounts.models import Position
from assignments.models import Assignment, BreakthroughTask
from oversight.clock import local_today
from oversight.importing import (
    ImportProblem,
    UnitImportError,
    UnitRow,
    check_unit_rows,
    read_table,
    read_unit_file,
    records,
)
from oversight.models import Level, LineageKind, Unit, UnitLineage, path_for
from visits.models import Meeting, Reminder, ReminderKind, ReminderStatus, Visit

if TYPE_CHECKING:
    from oversight.models import ReorganisationPlan

CROSSWALK_COLUMNS = (
    "old_code", "old_name", "old_district_code", "old_province_code",
    "new_code", "new_name", "new_province_code", "share",
)  # fmt: skip
# Tokens of ``share`` that explain why an old code is not in the portal's tree (see the README).
EXPLAINED_ABSENCE = ("via:", "alias:", "not-in-vp")
LOOKUP_BATCH = 5000

REFORM_PROBLEMS: dict[str, tuple[str, str]] = {
    **ImportProblem.catalogue,
    "unresolved": (
        "xã cũ “{value}” chưa xác định được xã mới; hãy chọn một trong: {limit}",
        "old commune “{value}” has no new commune yet; choose one of: {limit}",
    ),
    "bad_choice": (
        "xã cũ “{value}”: “{limit}” không phải một xã mới của tệp cây mới",
        "old commune “{value}”: “{limit}” is not a new commune of the new tree",
    ),
    "old_unknown": (
        "không có xã “{value}” đang hoạt động trước ngày hiệu lực trong hệ thống",
        "no commune “{value}” was active in the portal before the effective date",
    ),
    "old_explained": (
        "bỏ qua xã cũ “{value}”: không có trong cây của hệ thống ({limit})",
        "old commune “{value}” skipped: not in the portal's tree ({limit})",
    ),
    "not_commune": (
        "“{value}” là đơn vị cấp {limit}, không phải xã",
        "“{value}” is a unit of level {limit}, not a commune",
    ),
    "new_unknown": (
        "xã mới “{value}” không có trong tệp cây mới",
        "new commune “{value}” is not in the new tree",
    ),
    "not_covered": (
        "xã “{value}” ({limit}) của cây cũ không có trong bảng chuyển đổi",
        "commune “{value}” ({limit}) of the old tree is missing from the crosswalk",
    ),
    "code_taken": (
        "mã “{value}” đang là của “{limit}”, đơn vị không thuộc phương án",
        "code “{value}” belongs to “{limit}”, a unit outside this plan",
    ),
    "no_primary": (
        "xã cũ “{value}” bị chia nhưng không dòng nào có “primary:”; chi bộ về “{limit}”",
        "old commune “{value}” is split but no row carries “primary:”; cells go to “{limit}”",
    ),
    "bad_placement": (
        "chi bộ “{value}”: “{limit}” không phải một xã mới của tệp cây mới",
        "cell “{value}”: “{limit}” is not a new commune of the new tree",
    ),
    "starts_after": (
        "{value} bắt đầu ngày {limit}, sau ngày hiệu lực, tại đơn vị bị giải thể",
        "{value} starts on {limit}, after the effective date, at an abolished unit",
    ),
    "orphan": (
        "“{value}” nằm trực tiếp dưới huyện bị giải thể “{limit}”; hãy chuyển trước",
        "“{value}” lies directly under the dissolved district “{limit}”; move it first",
    ),
    "not_yet": (
        "ngày hiệu lực {value} chưa đến: phương án chỉ áp dụng được từ ngày đó",
        "the effective date {value} has not come yet: the plan applies from that day on",
    ),
    "nothing": (
        "phương án không thay đổi gì: đã được áp dụng",
        "the plan changes nothing: it has been applied already",
    ),
    "tree_level": (
        "cấp “{value}” không dùng trong cây mới; chỉ nhận: province, commune",
        "level “{value}” cannot be used in the new tree; expected province or commune",
    ),
    "tree_parent": (
        "đơn vị cấp trên “{value}” không phải một tỉnh của tệp",
        "parent “{value}” is not a province of the file",
    ),
    "duplicate_pair": (
        "cặp xã cũ “{value}” → xã mới “{limit}” lặp lại",
        "the pair old “{value}” → new “{limit}” repeats",
    ),
}


@dataclass(frozen=True)
class ReformProblem(ImportProblem):
    """A problem of a plan's files or of the portal's state, located by file, row and column."""

    catalogue: ClassVar[dict[str, tuple[str, str]]] = REFORM_PROBLEMS
    file: str = ""

    def _where(self, vietnamese: bool) -> str:
        where = super()._where(vietnamese)
        if not self.file:
            return where
        label = ("tệp " if vietnamese else "file ") + self.file
        return f"{label}, {where}" if where else label


@dataclass(frozen=True)
class CrosswalkRow:
    number: int
    old_code: str
    old_name: str
    old_district_code: str
    old_province_code: str
    new_code: str
    new_name: str
    new_province_code: str
    share: str

    @property
    def tokens(self) -> list[str]:
        return [token.strip() for token in self.share.split(";") if token.strip()]

    @property
    def is_split(self) -> bool:
        return any(token.startswith("split:") for token in self.tokens)

    @property
    def is_primary(self) -> bool:
        return any(token.startswith("primary:") for token in self.tokens)

    @property
    def is_unresolved(self) -> bool:
        return "unresolved" in self.tokens

    @property
    def candidates(self) -> list[str]:
        for token in self.tokens:
            if token.startswith("candidates:"):
                return [code for code in token.removeprefix("candidates:").split("|") if code]
        return []

    @property
    def absence_reason(self) -> str:
        """The ``share`` token that explains an old code missing from the portal, if any."""
        return next((t for t in self.tokens if t.startswith(EXPLAINED_ABSENCE)), "")


def read_tree(text: str) -> list[UnitRow]:
    """The new tree, in the unit importer's own format."""
    return read_unit_file(io.BytesIO(text.encode("utf-8")), "tree.csv")


def read_crosswalk(text: str) -> list[CrosswalkRow]:
    table = read_table(io.BytesIO(text.encode("utf-8")), "crosswalk.csv")
    return [CrosswalkRow(number=n, **values) for n, values in records(table, CROSSWALK_COLUMNS)]


@dataclass
class NewUnit:
    """A unit of the new tree: created by the plan, or already there (kept or renamed)."""

    row: UnitRow
    existing: Unit | None = None
    predecessors: list[tuple[Unit, str, str]] = field(default_factory=list)  # unit, kind, part

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        if (self.existing.name, self.existing.division_type) != (
            self.row.name,
            self.row.division_type,
        ):
            return "rename"
        return "keep"


@dataclass
class CellMove:
    cell: Unit
    old_commune: Unit
    target: str  # code of the new commune
    default: str
    choices: dict[str, str]  # code → name: the new communes the old one went into, and target

    @property
    def is_choice(self) -> bool:
        """Whether a person has something to choose: a split commune, or a cell placed by hand."""
        return len(self.choices) > 1


@dataclass
class Ending:
    """An open position or assignment at an abolished unit: it ends the day before."""

    row: Position | Assignment
    label: str


@dataclass
class Retirement:
    unit: Unit
    successor_code: str  # the new unit it goes into (merged_into), or the province


@dataclass
class Impact:
    """Everything a plan would do, and why it may not be applied yet."""

    effective_date: datetime.date
    eve: datetime.date  # the last day of the old tree
    problems: list[ReformProblem] = field(default_factory=list)
    notes: list[ReformProblem] = field(default_factory=list)
    new_units: dict[str, NewUnit] = field(default_factory=dict)
    links: list[tuple[Unit, str, str, str]] = field(default_factory=list)  # old, new, kind, part
    retire_communes: list[Retirement] = field(default_factory=list)
    retire_districts: list[Retirement] = field(default_factory=list)
    retire_provinces: list[Retirement] = field(default_factory=list)
    cells: list[CellMove] = field(default_factory=list)
    endings: list[Ending] = field(default_factory=list)
    meetings_moving: int = 0
    reminders_stopping: list[Reminder] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)

    @property
    def retirements(self) -> list[Retirement]:
        """Every unit that ends on the eve: communes, districts, provinces."""
        return [*self.retire_communes, *self.retire_districts, *self.retire_provinces]

    @property
    def new_communes(self) -> list[tuple[str, str]]:
        """(code, name) of every commune of the new tree, by code."""
        return sorted(
            (code, unit.row.name)
            for code, unit in self.new_units.items()
            if unit.row.level == Level.COMMUNE
        )

    @property
    def creates(self) -> list[NewUnit]:
        return [unit for unit in self.new_units.values() if unit.action == "create"]

    @property
    def totals(self) -> dict[str, int]:
        kinds = Counter(kind for _old, _new, kind, _part in self.links)
        split_old = {old.pk for old, _new, kind, _part in self.links if kind == LineageKind.SPLIT}
        return {
            "created": len(self.creates),
            "renamed_provinces": sum(1 for u in self.new_units.values() if u.action == "rename"),
            "merged": sum(1 for u in self.creates if len(u.predecessors) > 1),
            "split": len(split_old),
            "renamed": kinds[LineageKind.RENAME],
            "reparented": kinds[LineageKind.REPARENT],
            "communes_abolished": len(self.retire_communes),
            "districts_dissolved": len(self.retire_districts),
            "provinces_merged": len(self.retire_provinces),
            "cells_moved": len(self.cells),
            "positions_ended": sum(1 for e in self.endings if isinstance(e.row, Position)),
            "assignments_ended": sum(1 for e in self.endings if isinstance(e.row, Assignment)),
            "meetings_moving": self.meetings_moving,
            "reminders_stopped": len(self.reminders_stopping),
        }

    @property
    def changes(self) -> int:
        return sum(self.totals.values()) + len(self.links)

    @property
    def confirmable(self) -> bool:
        return not self.problems and self.changes > 0


def impact(plan: ReorganisationPlan) -> Impact:
    """The dry run of ``plan`` against the portal as it is now (a fixed number of queries per
    batch of rows: the whole country reads in a few dozen)."""
    result = Impact(effective_date=plan.effective_date, eve=plan.eve)
    try:
        tree = read_tree(plan.tree_text)
    except UnitImportError as error:
        result.problems += [_in_file(p, plan.tree_name) for p in error.problems]
        tree = []
    try:
        crosswalk = read_crosswalk(plan.crosswalk_text)
    except UnitImportError as error:
        result.problems += [_in_file(p, plan.crosswalk_name) for p in error.problems]
        crosswalk = []
    if result.problems:
        return result
    _Planner(plan, result, tree, crosswalk).run()
    return result


def _in_file(problem: ImportProblem, name: str) -> ReformProblem:
    return ReformProblem(
        problem.kind, problem.row, problem.column, problem.value, problem.limit, file=name
    )


class _Planner:
    def __init__(
        self,
        plan: ReorganisationPlan,
        result: Impact,
        tree: list[UnitRow],
        crosswalk: list[CrosswalkRow],
    ):
        self.plan, self.result, self.tree, self.crosswalk = plan, result, tree, crosswalk
        self.eve = result.eve

    def problem(self, kind: str, file: str = "", **where: object) -> None:
        self.result.problems.append(ReformProblem(kind, file=file, **where))  # type: ignore[arg-type]

    def note(self, kind: str, file: str = "", **where: object) -> None:
        self.result.notes.append(ReformProblem(kind, file=file, **where))  # type: ignore[arg-type]

    def run(self) -> None:
        if self.plan.effective_date > local_today():
            # Until then the old tree is the living one: its units, positions and meetings.
            self.problem("not_yet", value=f"{self.plan.effective_date:%d/%m/%Y}")
        self.read_tree()
        old_units = self.read_old_units()
        targets = self.resolve_crosswalk(old_units)
        if self.result.problems:
            return
        self.link(targets)
        self.retire(targets)
        self.check_coverage(targets)
        self.place_cells(targets)
        self.end_rows()
        if not self.result.problems and self.result.changes == 0:
            self.note("nothing")

    # The new tree ---------------------------------------------------------------------------
    def read_tree(self) -> None:
        name = self.plan.tree_name
        # The unit importer's checks of each row, then the new tree's own: two levels.
        problems, _valid = check_unit_rows(self.tree)
        self.result.problems += [_in_file(problem, name) for problem in problems]
        provinces = {row.code for row in self.tree if row.level == Level.PROVINCE}
        for row in self.tree:
            if row.level not in Level.values:
                continue  # reported above
            if row.level not in (Level.PROVINCE, Level.COMMUNE):
                self.problem("tree_level", name, row=row.number, column="level", value=row.level)
            elif row.level == Level.COMMUNE and row.parent_code not in provinces:
                self.problem(
                    "tree_parent", name, row=row.number, column="parent_code",
                    value=row.parent_code,
                )  # fmt: skip
        existing = {
            unit.code: unit
            for unit in Unit.objects.active().filter(level=Level.PROVINCE, code__in=provinces)
        }
        province_paths = {code: path_for(code, None) for code in provinces}
        new_paths = {
            row.code: path_for(row.code, province_paths.get(row.parent_code))
            for row in self.tree
            if row.level == Level.COMMUNE
        }
        self.bearing = {
            unit.code: unit
            for codes in _batches(list(new_paths))
            for unit in Unit.objects.active().filter(code__in=codes)
        }
        for row in self.tree:
            if row.level == Level.PROVINCE:
                self.result.new_units[row.code] = NewUnit(row, existing.get(row.code))
            elif row.level == Level.COMMUNE:
                holder = self.bearing.get(row.code)
                there = (
                    holder if holder is not None and holder.path == new_paths[row.code] else None
                )
                self.result.new_units[row.code] = NewUnit(row, there)

    # The crosswalk --------------------------------------------------------------------------
    def read_old_units(self) -> dict[str, Unit]:
        """The units that bore the crosswalk's old codes on the eve of the reform."""
        codes = sorted({row.old_code for row in self.crosswalk if row.old_code})
        found: dict[str, Unit] = {}
        for batch in _batches(codes):
            for unit in Unit.objects.existing_on(self.eve).filter(code__in=batch):
                # The new commune bearing the same code was not there on the eve.
                if unit.code not in found or unit.level == Level.COMMUNE:
                    found[unit.code] = unit
        return found

    def resolve_crosswalk(self, old_units: dict[str, Unit]) -> dict[int, list[CrosswalkRow]]:
        """Each old commune (by id) and the rows that say where it went, after the choices
        made on the dry run for unresolved rows."""
        name = self.plan.crosswalk_name
        communes = {code for code, _name in self.result.new_communes}
        choices = self.plan.choices or {}
        targets: dict[int, list[CrosswalkRow]] = defaultdict(list)
        pairs: set[tuple[str, str]] = set()
        for row in self.crosswalk:
            if row.is_unresolved:
                chosen = choices.get(row.old_code, "")
                if not chosen:
                    self.problem(
                        "unresolved", name, row=row.number, column="share", value=row.old_code,
                        limit=", ".join(row.candidates),
                    )  # fmt: skip
                    continue
                if chosen not in communes:
                    self.problem(
                        "bad_choice", name, row=row.number, value=row.old_code, limit=chosen
                    )
                    continue
                row = CrosswalkRow(**{**row.__dict__, "new_code": chosen})
            if (row.old_code, row.new_code) in pairs:
                self.problem(
                    "duplicate_pair", name, row=row.number, value=row.old_code, limit=row.new_code
                )
                continue
            pairs.add((row.old_code, row.new_code))
            if row.new_code not in communes:
                self.problem(
                    "new_unknown", name, row=row.number, column="new_code", value=row.new_code
                )
                continue
            old = old_units.get(row.old_code)
            if old is None:
                if row.absence_reason:
                    self.note(
                        "old_explained", name, row=row.number, column="old_code",
                        value=row.old_code, limit=row.absence_reason,
                    )  # fmt: skip
                else:
                    self.problem(
                        "old_unknown", name, row=row.number, column="old_code", value=row.old_code
                    )
                continue
            if old.level != Level.COMMUNE:
                self.problem(
                    "not_commune", name, row=row.number, column="old_code", value=row.old_code,
                    limit=old.get_level_display(),
                )  # fmt: skip
                continue
            targets[old.pk].append(row)
        self.old_by_id = {u.pk: u for u in old_units.values()}
        # A living unit that bears a new code and is neither the new unit nor an old commune
        # of the plan would collide with it.
        leaving = {self.old_by_id[pk].code for pk in targets if self.old_by_id[pk].is_active}
        for code in communes:
            unit = self.result.new_units[code]
            if unit.existing is None and code not in leaving:
                # The living units bearing the new codes were read with the new tree.
                holder = self.bearing.get(code)
                if holder is not None:
                    self.problem(
                        "code_taken", self.plan.tree_name, row=unit.row.number, column="code",
                        value=code, limit=holder.name,
                    )  # fmt: skip
        return targets

    def link(self, targets: dict[int, list[CrosswalkRow]]) -> None:
        """The lineage of each new commune, with its kind: a split part, a merge of several,
        or one old commune renamed or moved up under the province. Links already recorded
        (the plan applied before) are shown but not written again."""
        sources: Counter[str] = Counter()
        for rows in targets.values():
            sources.update(row.new_code for row in rows)
        recorded = set(
            UnitLineage.objects.filter(
                effective_date=self.plan.effective_date, predecessor_id__in=list(targets)
            ).values_list("predecessor_id", "successor__code")
        )
        for old_id, rows in targets.items():
            old = self.old_by_id[old_id]
            split = len(rows) > 1 or rows[0].is_split
            for row in rows:
                new = self.result.new_units[row.new_code]
                if split:
                    kind, part = LineageKind.SPLIT, row.share
                elif sources[row.new_code] > 1:
                    kind, part = LineageKind.MERGE, ""
                elif old.name == new.row.name:
                    kind, part = LineageKind.REPARENT, ""
                else:
                    kind, part = LineageKind.RENAME, ""
                new.predecessors.append((old, kind, part))
                if (old_id, row.new_code) not in recorded:
                    self.result.links.append((old, row.new_code, kind, part))

    def retire(self, targets: dict[int, list[CrosswalkRow]]) -> None:
        """The old communes, districts and provinces that end on the eve (those still alive)."""
        for old_id, rows in targets.items():
            old = self.old_by_id[old_id]
            if old.is_active:
                self.result.retire_communes.append(Retirement(old, self.primary(old, rows)))
        old_paths = {self.old_by_id[pk].path for pk in targets}
        district_paths = {path.rsplit("/", 2)[0] + "/" for path in old_paths}
        new_province = {
            self.old_by_id[pk].path.split("/", 1)[0]: rows[0].new_province_code
            for pk, rows in targets.items()
        }
        new_provinces = {
            c for c, u in self.result.new_units.items() if u.row.level == Level.PROVINCE
        }
        for district in Unit.objects.active().filter(level=Level.DISTRICT, path__in=district_paths):
            into = new_province.get(district.path.split("/", 1)[0], "")
            self.result.retire_districts.append(Retirement(district, into))
        for province in Unit.objects.active().filter(
            level=Level.PROVINCE, code__in=set(new_province) - new_provinces
        ):
            self.result.retire_provinces.append(Retirement(province, new_province[province.code]))
        self.old_provinces = sorted(new_province)

    def primary(self, old: Unit, rows: list[CrosswalkRow]) -> str:
        """Where the cells of an old commune go unless a person places them: the only new
        commune, or the split's ``primary:`` row (the first row, noted, when none is)."""
        if len(rows) == 1:
            return rows[0].new_code
        marked = [row for row in rows if row.is_primary]
        if marked:
            return marked[0].new_code
        self.note(
            "no_primary", self.plan.crosswalk_name, row=rows[0].number, value=old.code,
            limit=rows[0].new_code,
        )  # fmt: skip
        return rows[0].new_code

    def check_coverage(self, targets: dict[int, list[CrosswalkRow]]) -> None:
        """Every living commune of the old provinces must be in the crosswalk; nothing else may
        sit directly under a district that is dissolved."""
        known = set(targets) | {u.existing.pk for u in self.result.new_units.values() if u.existing}
        # One query for every old province: the living communes under them, compared in Python.
        under_old = Q(pk__in=[])
        for code in self.old_provinces:
            under_old |= Q(path__startswith=f"{code}/")
        communes = Unit.objects.active().filter(under_old, level=Level.COMMUNE).order_by("path")
        for pk, code, name in communes.values_list("pk", "code", "name"):
            if pk not in known:
                self.problem("not_covered", self.plan.crosswalk_name, value=code, limit=name)
        districts = [r.unit for r in self.result.retire_districts]
        for unit in (
            Unit.objects.active()
            .filter(parent__in=districts)
            .exclude(level=Level.COMMUNE)
            .select_related("parent")
        ):
            self.problem("orphan", value=unit.code, limit=unit.parent.name if unit.parent else "")

    def place_cells(self, targets: dict[int, list[CrosswalkRow]]) -> None:
        name = self.plan.crosswalk_name
        names = dict(self.result.new_communes)
        placements = self.plan.placements or {}
        retiring = {r.unit.pk: r for r in self.result.retire_communes}
        cells = Unit.objects.active().filter(level=Level.CELL, parent_id__in=list(retiring))
        for cell in cells.order_by("path"):
            commune_id = cell.parent_id or 0
            retirement = retiring[commune_id]
            options = [row.new_code for row in targets[commune_id]]
            target = placements.get(cell.code, retirement.successor_code)
            if target not in names:
                self.problem("bad_placement", name, value=cell.code, limit=target)
                continue
            choices = {code: names[code] for code in (*options, target)}
            self.result.cells.append(
                CellMove(cell, retirement.unit, target, retirement.successor_code, choices)
            )
        # The cells as a subquery: a hundred thousand ids make a slow query text.
        moving = cells.values("pk")
        future = Meeting.objects.filter(cell__in=moving, date__gte=self.plan.effective_date)
        self.result.meetings_moving = future.count()
        abolished = self.abolished_ids()
        self.result.kept = {
            "visits": Visit.objects.filter(unit__in=moving).count()
            + Visit.objects.filter(unit_id__in=abolished).count(),
            "meetings": Meeting.objects.filter(cell__in=moving).count(),
            "tasks": BreakthroughTask.objects.filter(owner_unit_id__in=abolished).count(),
        }

    def abolished_ids(self) -> list[int]:
        return [r.unit.pk for r in self.result.retirements]

    def end_rows(self) -> None:
        """Open positions and assignments at abolished units end on the eve; one that starts
        on or after the effective date there cannot, and blocks the plan."""
        abolished = self.abolished_ids()
        effective = self.plan.effective_date
        open_after = Q(end_date__isnull=True) | Q(end_date__gte=effective)
        positions = Position.objects.filter(open_after, unit_id__in=abolished).select_related(
            "user", "unit"
        )
        assignments = Assignment.objects.filter(open_after, unit_id__in=abolished).select_related(
            "member", "unit"
        )
        rows: list[Position | Assignment] = [*positions, *assignments]
        for row in rows:
            label = f"{row}"
            if row.start_date >= effective:
                self.problem("starts_after", value=label, limit=f"{row.start_date:%d/%m/%Y}")
            else:
                self.result.endings.append(Ending(row, label))
        # Reminders of meetings from the effective date on, to a member whose assignment
        # covering the cell ends: nobody asks them to go any more.
        ending_members: dict[int, list[str]] = defaultdict(list)
        for ending in self.result.endings:
            if isinstance(ending.row, Assignment):
                ending_members[ending.row.member_id].append(ending.row.unit.path)
        old_paths = {move.cell.pk: move.cell.path for move in self.result.cells}
        pending = list(
            Reminder.objects.filter(
                kind=ReminderKind.UPCOMING_MEETING,
                status=ReminderStatus.PENDING,
                recipient_id__in=list(ending_members),
                subject__startswith="meeting:",
            )
        )
        meetings = dict(
            Meeting.objects.filter(
                pk__in=[int(r.subject.removeprefix("meeting:")) for r in pending],
                date__gte=effective,
            ).values_list("pk", "cell_id")
        )
        for reminder in pending:
            cell_path = old_paths.get(
                meetings.get(int(reminder.subject.removeprefix("meeting:")), 0)
            )
            if cell_path and any(
                cell_path.startswith(path) for path in ending_members[reminder.recipient_id]
            ):
                self.result.reminders_stopping.append(reminder)


def _batches(values: list[str]) -> list[list[str]]:
    return [values[i : i + LOOKUP_BATCH] for i in range(0, len(values), LOOKUP_BATCH)]
