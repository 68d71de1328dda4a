"""The audit trail: who changed what, and when, across every tenant-owned record and every
permission (positions carry the roles; grants give single units; a person's flags and details).

Each tracked model keeps its history with django-simple-history. The trail is one UNION over
those history tables, each narrowed through the same scope as everything else (the unit the
changed record belongs to lies in the reader's subtree; a person's changes are visible where
the person is), newest first, filtered by who made the change, by unit and by dates.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, F, IntegerField, Model, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oversight.models import (
    ScopedQuerySet,
    Unit,
    UnitGroupObjectPermission,
    UnitUserObjectPermission,
)

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Tracked:
    """A model whose changes the trail shows, and how to name one of its versions from that
    version's own columns (no query per line). Where its history rows belong is its history
    queryset's business (``scoped_history``)."""

    kind: str
    label: Any
    model: type[Model]
    title: Callable[[Any], str]


def _day(value: datetime.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def tracked() -> list[Tracked]:
    from accounts.models import Position, User
    from assignments.models import (
        Assignment,
        BreakthroughTask,
        ExtensionRequest,
        TaskMilestone,
        TaskProgress,
    )
    from oversight.reporting.documents.layout import reference
    from oversight.reporting.models import IssuedDocument
    from visits.models import Meeting, MeetingSchedule, Visit

    grant = str(_("quyền xem đơn vị"))
    return [
        Tracked("visit", _("Bản ghi dự sinh hoạt / kiểm tra"), Visit,
                lambda r: f"{_day(r.date)} · {r.get_kind_display()} · {r.get_status_display()}"),
        Tracked("meeting", _("Buổi sinh hoạt chi bộ"), Meeting,
                lambda r: f"{_day(r.date)} · {r.get_kind_display()} · {r.get_status_display()}"),
        Tracked("schedule", _("Lịch sinh hoạt"), MeetingSchedule,
                lambda r: str(_("ngày %(day)s hằng tháng") % {"day": r.day_of_month})),
        Tracked("assignment", _("Phân công phụ trách"), Assignment,
                lambda r: f"{r.get_kind_display()} {_day(r.start_date)}–{_day(r.end_date)}"),
        Tracked("task", _("Việc đột phá"), BreakthroughTask, lambda r: r.title),
        Tracked("progress", _("Báo cáo tiến độ"), TaskProgress,
                lambda r: f"{r.percent}% · {_day(r.date)}"),
        Tracked("milestone", _("Mốc nhiệm vụ"), TaskMilestone,
                lambda r: f"{r.title} · {_day(r.due_date)}"),
        Tracked("extension", _("Đề nghị gia hạn"), ExtensionRequest,
                lambda r: f"{_day(r.new_deadline)} · {r.get_status_display()}"),
        Tracked("position", _("Chức vụ (vai trò)"), Position,
                lambda r: f"{r.get_role_display()} {_day(r.start_date)}–{_day(r.end_date)}"),
        Tracked("grant", _("Cấp quyền theo đơn vị (người)"), UnitUserObjectPermission,
                lambda r: grant),
        Tracked("group_grant", _("Cấp quyền theo đơn vị (nhóm)"), UnitGroupObjectPermission,
                lambda r: grant),
        Tracked("document", _("Văn bản đã ban hành"), IssuedDocument,
                lambda r: f"{reference(r.number, r.type_code, r.symbol)} · {r.subject}"),
        Tracked("unit", _("Đơn vị"), Unit, lambda r: r.name),
        Tracked("person", _("Người dùng"), User,
                lambda r: f"{r.full_name} ({r.username})"),
    ]  # fmt: skip


ACTIONS = {"+": _("Tạo"), "~": _("Sửa"), "-": _("Xóa")}


def _branch(entry: Tracked, reader: User, person: User | None, unit: Unit | None) -> QuerySet:
    from accounts.models import User

    history: QuerySet = entry.model.history.all()  # type: ignore[attr-defined]
    if isinstance(history, ScopedQuerySet):
        history = history.visible_to(reader)
        if unit is not None:
            history = history.within(unit)
        # "unit__path" → unit_id; a unit's own history ("path") is its own id.
        to_unit = history.unit_path_lookup.removesuffix("path").removesuffix("__")
        unit_ref: Any = F(f"{to_unit}_id" if to_unit else "id")
    else:
        # A person's changes: seen where the person is seen, and in no unit.
        history = history.filter(id__in=User.objects.visible_to(reader).values("pk"))
        if unit is not None:
            history = history.none()
        unit_ref = Value(None, output_field=IntegerField())
    if person is not None:
        history = history.filter(history_user=person)
    # No ORDER BY inside a branch (SQLite refuses it in a UNION; the union is ordered once).
    return history.order_by().annotate(
        trail_kind=Value(entry.kind, output_field=CharField()),
        trail_object=F("id"),
        trail_unit=unit_ref,
    ).values("history_id", "trail_kind", "trail_object", "history_type", "history_date",
             "history_user_id", "trail_unit")  # fmt: skip


def trail(
    reader: User,
    *,
    person: User | None = None,
    unit: Unit | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    kinds: Sequence[str] = (),
) -> QuerySet:
    """Every change ``reader`` may see, newest first, as rows of history id, kind
    (``trail_kind``), the record's id (``trail_object``), action (+ ~ -), time, who and the unit's
    id (``trail_unit``): one query, however many tables."""
    branches = []
    for entry in tracked():
        if kinds and entry.kind not in kinds:
            continue
        branch = _branch(entry, reader, person, unit)
        if since is not None:
            branch = branch.filter(history_date__date__gte=since)
        if until is not None:
            branch = branch.filter(history_date__date__lte=until)
        branches.append(branch)
    if not branches:
        return Unit.history.none().values("history_id")
    first, *rest = branches
    return first.union(*rest, all=True).order_by("-history_date", "-history_id")


@dataclass
class Change:
    """One line of the trail, ready to show: who did what to which record, where."""

    when: datetime.datetime
    who: str
    action: str
    kind: str
    what: str
    unit: str
    fields: list[str] = field(default_factory=list)


def changed_fields(model: type[Model], before: Any, after: Any) -> list[str]:
    """The names of the fields that differ between two versions, read from the versions' own
    columns (simple-history's ``diff_against`` would load the live record and its relations)."""
    names = []
    for model_field in model._meta.concrete_fields:
        column = model_field.attname
        if hasattr(after, column) and getattr(before, column) != getattr(after, column):
            names.append(str(model_field.verbose_name))
    return sorted(names)


def describe(rows: Sequence[dict[str, Any]]) -> list[Change]:
    """The page's rows with names, the record's label and, for an edit, the fields it changed
    (against the record's previous version): a few queries per kind, whatever the page size."""
    from accounts.models import User

    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_kind[row["trail_kind"]].append(row)
    entries = {entry.kind: entry for entry in tracked()}
    records: dict[tuple[str, int], Any] = {}
    previous: dict[tuple[str, int], Any] = {}
    for kind, kind_rows in by_kind.items():
        history = entries[kind].model.history  # type: ignore[attr-defined]
        object_ids = {row["trail_object"] for row in kind_rows}
        latest = max(row["history_date"] for row in kind_rows)
        versions: dict[int, list[Any]] = defaultdict(list)
        for record in history.filter(id__in=object_ids, history_date__lte=latest).order_by(
            "history_date", "history_id"
        ):
            versions[record.id].append(record)
        for object_versions in versions.values():
            for before, after in zip([None, *object_versions], object_versions, strict=False):
                records[(kind, after.history_id)] = after
                previous[(kind, after.history_id)] = before
    people = User.objects.in_bulk({row["history_user_id"] for row in rows} - {None})
    units = Unit.objects.in_bulk({row["trail_unit"] for row in rows} - {None})
    changes = []
    for row in rows:
        key = (row["trail_kind"], row["history_id"])
        record, before = records.get(key), previous.get(key)
        changed: list[str] = []
        if row["history_type"] == "~" and record is not None and before is not None:
            changed = changed_fields(entries[row["trail_kind"]].model, before, record)
        who = people.get(row["history_user_id"])
        unit = units.get(row["trail_unit"])
        changes.append(
            Change(
                when=timezone.localtime(row["history_date"]),
                who=who.get_full_name() if who else str(_("hệ thống")),
                action=str(ACTIONS.get(row["history_type"], row["history_type"])),
                kind=str(entries[row["trail_kind"]].label),
                what=(
                    entries[row["trail_kind"]].title(record)
                    if record is not None
                    else f"#{row['trail_object']}"
                ),
                unit=f"{unit.code} {unit.name}" if unit else "",
                fields=changed,
            )
        )
    return changes
