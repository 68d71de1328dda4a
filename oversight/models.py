"""The unit tree (party organisations at every level) and the one scoping gate.

Every unit carries a materialised ``path`` built from the official codes of its ancestors
("P08/D070/C02215/"), so "everything under this district" is one indexed prefix query
whatever the depth or the size of the tree. Levels are data (``Unit.level``): a province can
hold communes directly (the two-level structure since July 2025) or through districts.

``scope_for(user)`` decides which subtrees a person may see; ``ScopedQuerySet.visible_to``
applies it. Every query that returns tenant data goes through ``visible_to``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, Length, Substr
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.manager import HistoricalQuerySet
from simple_history.models import HistoricalRecords

from oversight.clock import local_today
from oversight.text import search_key

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

PATH_SEPARATOR = "/"
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
PATH_MAX_LENGTH = 255


class Level(models.TextChoices):
    """Levels of the party organisation; the order of the members is the order of the tree."""

    PROVINCE = "province", _("Tỉnh")
    DISTRICT = "district", _("Huyện")
    COMMUNE = "commune", _("Xã")
    CELL = "cell", _("Chi bộ")

    @property
    def rank(self) -> int:
        return list(Level).index(self)

    @classmethod
    def rank_of(cls, value: str) -> int:
        return cls(value).rank


def in_force_on(day: datetime.date) -> Q:
    """Rows whose ``valid_from``/``valid_to`` (either may be open) hold ``day``: a unit that
    existed, a rule in force."""
    return Q(Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & Q(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


def path_for(code: str, parent_path: str | None) -> str:
    """The materialised path of a unit with ``code`` under a parent whose path is given."""
    return f"{parent_path or ''}{code}{PATH_SEPARATOR}"


def codes_in_path(path: str) -> list[str]:
    """The codes of a unit's ancestors and of the unit itself, root first."""
    return [code for code in path.split(PATH_SEPARATOR) if code]


def ancestor_paths(path: str) -> list[str]:
    """The paths of a unit and of every unit above it, root first."""
    codes = codes_in_path(path)
    return [PATH_SEPARATOR.join(codes[: i + 1]) + PATH_SEPARATOR for i in range(len(codes))]


class PathSegment(models.Func):
    """The ``index``-th code (1-based) of a materialised path, in SQL: the unit at that depth.

    PostgreSQL's ``split_part``; SQLite gets the same function registered on each connection
    (``register_sqlite_functions``), so reports group by it on both.
    """

    function = "split_part"
    output_field = models.CharField()

    def __init__(self, path: Any, index: int) -> None:
        super().__init__(path, Value(PATH_SEPARATOR), Value(index))


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give SQLite the ``split_part`` that PostgreSQL has."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "split_part",
            3,
            lambda text, sep, index: (
                (text or "").split(sep)[index - 1]
                if text and 0 < index <= len(text.split(sep))
                else ""
            ),
            deterministic=True,
        )


@dataclass(frozen=True)
class Scope:
    """The subtrees a user may see: every unit whose path starts with one of ``root_paths``."""

    everything: bool = False
    root_paths: tuple[str, ...] = ()

    @classmethod
    def of_roots(cls, paths: list[str]) -> Scope:
        """A scope over ``paths``, dropping any root that lies inside another."""
        roots: list[str] = []
        for path in sorted(set(paths)):
            if not roots or not path.startswith(roots[-1]):
                roots.append(path)
        return cls(root_paths=tuple(roots))

    def filter(self, path_lookup: str) -> Q:
        """A Q that keeps rows whose unit path (reached by ``path_lookup``) is in scope."""
        if self.everything:
            return Q()
        if not self.root_paths:
            return Q(pk__in=[])
        condition = Q()
        for root in self.root_paths:
            condition |= Q(**{f"{path_lookup}__startswith": root})
        return condition

    def covers(self, path: str) -> bool:
        return self.everything or any(path.startswith(root) for root in self.root_paths)


def scope_for(user: User | AnonymousUser) -> Scope:
    """The one place that decides what a person may see.

    A superuser sees everything. Anyone else sees the subtree of the tenant they work in (one
    of the units where they hold a current position, see ``User.working_tenant``) plus the
    subtrees of the units granted to them or their groups one by one (``view_unit`` grants
    through django-guardian), and the subtrees of the tenant's predecessors in a
    reorganisation (lineage). The answer is cached on the user object for the request.
    """
    if not user.is_authenticated or not user.is_active:
        return Scope()
    # Through getattr, not the instance's __dict__: a request's user is a lazy proxy, and the
    # scope read with the person's access (``accounts.access``) is on the person it wraps.
    cached = getattr(user, "_oversight_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True)
    else:
        tenant = user.working_tenant()
        roots = Unit.objects.granted_to(user).order_by().values_list("path", flat=True)
        if tenant is not None:
            # A unit formed by a reorganisation inherits its predecessors' history (their own
            # rows: old assignments, positions), never a neighbour's; read in the same query,
            # a UNION: an OR of the two subqueries makes PostgreSQL filter every unit (21 ms
            # on the national tree, against 1).
            roots = roots.union(tenant.predecessors().order_by().values_list("path", flat=True))
        paths = list(roots)
        if tenant is not None:
            paths.append(tenant.path)
        scope = Scope.of_roots(paths)
    user._oversight_scope = scope  # type: ignore[attr-defined]
    return scope


class ScopedQuerySet(models.QuerySet):
    """Base queryset of every tenant-owned model: ``visible_to(user)`` is the scoping gate.

    Subclasses name the lookup from their rows to the unit path in ``unit_path_lookup`` and,
    where a row belongs to one person (their assignment, their visit), that person's field in
    ``owner_lookup``: a person always sees their own rows, whatever tenant they work in.
    """

    unit_path_lookup: ClassVar[str] = "unit__path"
    owner_lookup: ClassVar[str | None] = None

    def visible_to(self, user: User | AnonymousUser) -> Self:
        scope = scope_for(user)
        if scope.everything:
            return self.all()
        condition = scope.filter(self.unit_path_lookup)
        if self.owner_lookup and user.is_authenticated and user.is_active:
            # One's own rows outside the scope are few (someone working in another of their
            # tenants), so they are fetched first by the owner's index: an OR of the owner and
            # the path across the join would make PostgreSQL scan the whole table.
            own = self.model._base_manager.filter(**{self.owner_lookup: user})
            outside = list(own.exclude(condition).values_list("pk", flat=True))
            if outside:
                condition |= Q(pk__in=outside)
        return self.filter(condition)

    def visible_within(self, user: User, *units: Unit, on: datetime.date | None = None) -> Self:
        """``visible_to(user).within(*units, on=on)``: when every unit lies inside the person's
        scope (in today's tree) its subtree is all visible, so the scope's own condition is
        left out. The rows are the same; PostgreSQL, no longer given the same prefix twice,
        estimates them right (a province's visit list walked its index instead of sorting
        18,640 rows)."""
        scope = scope_for(user)
        if on is None and all(scope.covers(unit.path) for unit in units):
            return self.within(*units)
        return self.visible_to(user).within(*units, on=on)

    def within(self, *units: Unit, on: datetime.date | None = None) -> Self:
        """Rows whose unit lies in the subtree of one of ``units`` (an indexed prefix OR);
        with ``on``, in the tree as it stood that day ("cơ cấu tại ngày"), before the
        reorganisations that moved units since (``with_structure_path``)."""
        if on is None:
            lookup, queryset = self.unit_path_lookup, self
        else:
            lookup, queryset = "structure_path", self.with_structure_path(on)
        roots = [u.path for u in units] if on is None else UnitPlacement.paths_on(units, on)
        condition = Q(pk__in=[])
        for root in roots:
            condition |= Q(**{f"{lookup}__startswith": root})
        return queryset.filter(condition)

    def with_structure_path(self, day: datetime.date) -> Self:
        """Each row's unit path as it stood on ``day``, as ``structure_path``: the first place a
        reorganisation moved the unit from after that day, else where it is now."""
        unit = self.unit_path_lookup.removesuffix("path").removesuffix("__") or "pk"
        earlier = (
            UnitPlacement.objects.filter(unit=OuterRef(unit), until__gte=day)
            .order_by("until")
            .values("path")[:1]
        )
        return self.annotate(structure_path=Coalesce(Subquery(earlier), F(self.unit_path_lookup)))


def scoped_history(unit_path_lookup: str) -> type[ScopedQuerySet]:
    """The queryset class of a tenant-owned model's history: its rows go through the same gate
    (``visible_to``, ``within``) as the model's own, by the same path to their unit."""
    return type(
        "ScopedHistoricalQuerySet",
        (ScopedQuerySet, HistoricalQuerySet),
        {"unit_path_lookup": unit_path_lookup, "__module__": __name__},
    )


# One recursive query walks every generation of lineage (UNION stops at cycles).
LINEAGE_SQL = {
    "past": (
        "WITH RECURSIVE chain(id) AS ("
        " SELECT predecessor_id FROM oversight_unitlineage WHERE successor_id = %s"
        " UNION SELECT link.predecessor_id FROM oversight_unitlineage link"
        " JOIN chain ON link.successor_id = chain.id"
        ") SELECT id FROM chain"
    ),
    "future": (
        "WITH RECURSIVE chain(id) AS ("
        " SELECT successor_id FROM oversight_unitlineage WHERE predecessor_id = %s"
        " UNION SELECT link.successor_id FROM oversight_unitlineage link"
        " JOIN chain ON link.predecessor_id = chain.id"
        ") SELECT id FROM chain"
    ),
}


class UnitQuerySet(ScopedQuerySet):
    unit_path_lookup = "path"

    def subtree_of(self, unit: Unit, include_self: bool = True) -> Self:
        """``unit`` and every unit below it, in one indexed prefix query."""
        queryset = self.within(unit)
        return queryset if include_self else queryset.exclude(pk=unit.pk)

    def active(self) -> Self:
        return self.filter(is_active=True)

    def existing_on(self, day: datetime.date) -> Self:
        """Units that existed on ``day``: created on or before it, not yet abolished."""
        return self.filter(in_force_on(day))

    def holding(self, code: str, on: datetime.date | None = None) -> Unit | None:
        """The unit that bears the official ``code`` (on ``on``, if given).

        Since July 2025 a code names a unit only together with its dates: nearly every new
        commune carries the code of one of the old communes that formed it. Without a day the
        unit that holds the code now wins, then the one that held it last.
        """
        units = self.filter(code=code)
        if on is not None:
            units = units.existing_on(on)
        return cast(
            "Unit | None",
            units.order_by("-is_active", F("valid_to").desc(nulls_first=True)).first(),
        )

    def _lineage(self, unit: Unit, sql: str) -> Self:
        # A constant query (``LINEAGE_SQL``) whose one value is a bound parameter.
        return self.filter(pk__in=RawSQL(sql, [unit.pk])).exclude(pk=unit.pk)  # nosec B611

    def granted_to(self, user: User) -> Self:
        """Units granted one by one to ``user`` or to one of their groups (``view_unit``).

        Role permissions are deliberately not consulted: a role's model permission would
        otherwise open the whole table (django-guardian's ``accept_global_perms``).
        """
        by_user = UnitUserObjectPermission.objects.filter(
            user=user, permission__codename="view_unit"
        ).values("content_object_id")
        by_group = UnitGroupObjectPermission.objects.filter(
            group__user=user, permission__codename="view_unit"
        ).values("content_object_id")
        # One IN over a UNION lets the database start from the few grants, not the tree.
        return self.filter(pk__in=by_user.union(by_group))

    def scope_roots(self, user: User | AnonymousUser) -> Self:
        """The top units of what ``user`` may see: where the unit browser starts."""
        scope = scope_for(user)
        visible = self.visible_to(user)
        if scope.everything:
            return visible.filter(parent__isnull=True)
        return visible.filter(path__in=scope.root_paths)

    def with_child_counts(self) -> Self:
        return self.annotate(child_count=models.Count("children"))

    def search(self, text: str) -> Self:
        """Units whose name or code contains ``text``, ignoring case and diacritics."""
        key = search_key(text)
        if not key:
            return self.none()
        return self.filter(Q(search_name__contains=key) | Q(code__iexact=text.strip()))

    def level_counts(self) -> dict[str, int]:
        """How many units of each level the queryset holds, in one query."""
        rows = self.order_by().values_list("level").annotate(total=models.Count("pk"))
        return dict(rows)

    def rewrite_path_prefix(self, old_prefix: str, new_prefix: str) -> int:
        """Move every unit under ``old_prefix`` to ``new_prefix`` in one UPDATE."""
        return self.filter(path__startswith=old_prefix).update(
            path=Concat(
                Value(new_prefix),
                Substr(F("path"), len(old_prefix) + 1, Length(F("path"))),
                output_field=models.CharField(),
            )
        )


class Unit(models.Model):
    """A party organisation: a provincial, district or commune committee, or a cell."""

    code = models.CharField(
        _("mã"),
        max_length=32,
        validators=[RegexValidator(CODE_PATTERN, _("Mã chỉ gồm chữ, số, dấu chấm, gạch."))],
        help_text=_("Mã chính thức (Tổng cục Thống kê), ví dụ P08, D070, C02215."),
    )
    name = models.CharField(_("tên"), max_length=255)
    level = models.CharField(_("cấp"), max_length=16, choices=Level.choices)
    division_type = models.CharField(_("loại đơn vị"), max_length=64, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("đường dẫn"), max_length=PATH_MAX_LENGTH, editable=False)
    search_name = models.CharField(max_length=255, editable=False, default="")
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("sáp nhập vào"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_units",
    )

    objects = UnitQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["search_name"],
        historical_queryset=scoped_history(UnitQuerySet.unit_path_lookup),
    )

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="unit_path_idx"),
            # LIKE 'prefix%' can use a btree only under C ordering; this opclass gives it.
            models.Index(
                fields=["path"], name="unit_path_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["parent", "code"], name="unit_children_idx"),
            models.Index(fields=["code"], name="unit_code_idx"),
        ]
        constraints = [
            # An official code is reused by the unit that succeeds its bearer (a new commune takes
            # the code of one of the old communes it absorbed): one living unit per code, one
            # unit per place in the tree, whatever its dates.
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_active=True), name="unit_one_active_per_code"
            ),
            models.UniqueConstraint(fields=["path"], name="unit_unique_path"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="unit_valid_range",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=F("pk")), name="unit_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, keeping the path of this unit and of its whole subtree in step with ``parent``."""
        self.path = path_for(self.code, self.parent.path if self.parent else None)
        self.search_name = search_key(self.name)
        with transaction.atomic():
            previous_path = (
                Unit.objects.filter(pk=self.pk).values_list("path", flat=True).first()
                if self.pk
                else None
            )
            super().save(*args, **kwargs)
            if previous_path and previous_path != self.path:
                Unit.objects.exclude(pk=self.pk).rewrite_path_prefix(previous_path, self.path)

    def get_absolute_url(self) -> str:
        """The unit's page; an abolished unit whose code passed to a successor is named with
        the last day it existed."""
        url = reverse("unit-detail", args=[self.code])
        return url if self.is_active or self.valid_to is None else f"{url}?on={self.valid_to}"

    @property
    def rank(self) -> int:
        return Level.rank_of(self.level)

    @property
    def depth(self) -> int:
        return len(codes_in_path(self.path))

    @property
    def type_label(self) -> str:
        """What people call this unit: its official type (Phường, Thị trấn, Thành phố, Đặc
        khu…) where the list gives one, else its level (a cell's "Chi bộ")."""
        if self.division_type:
            return self.division_type[:1].upper() + self.division_type[1:]
        return str(self.get_level_display())

    def lifetime_error(self, day: datetime.date) -> str:
        """Why nothing can start at this unit on ``day`` (formed later, abolished before), or
        an empty text when it can."""
        if self.valid_from is not None and day < self.valid_from:
            return _("%(unit)s chỉ được thành lập từ %(day)s.") % {
                "unit": self.name,
                "day": f"{self.valid_from:%d/%m/%Y}",
            }
        if self.valid_to is not None and day > self.valid_to:
            return _("%(unit)s đã ngừng hoạt động từ sau %(day)s (sắp xếp đơn vị).") % {
                "unit": self.name,
                "day": f"{self.valid_to:%d/%m/%Y}",
            }
        return ""

    def predecessors(self) -> UnitQuerySet:
        """Every unit this one came from, through any number of reorganisations (one query)."""
        return Unit.objects.all()._lineage(self, LINEAGE_SQL["past"])

    def successors(self) -> UnitQuerySet:
        """Every unit this one went into, through any number of reorganisations (one query)."""
        return Unit.objects.all()._lineage(self, LINEAGE_SQL["future"])

    def is_visible_to(self, user: User | AnonymousUser) -> bool:
        """The gate's answer for this one unit (``Unit.objects.visible_to(user)`` holds it), read
        from the user's cached scope without a query."""
        return scope_for(user).covers(self.path)

    def ancestor_paths(self) -> list[str]:
        """Paths of this unit and of every unit above it, root first."""
        return ancestor_paths(self.path)

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        if self.parent is None:
            if self.level != Level.PROVINCE:
                errors.setdefault("parent", []).append(
                    _("Chỉ đơn vị cấp tỉnh được không có đơn vị cấp trên.")
                )
        else:
            if self.parent.rank >= Level.rank_of(self.level):
                errors.setdefault("parent", []).append(
                    _("Đơn vị cấp trên phải ở cấp cao hơn (%(level)s).")
                    % {"level": self.parent.get_level_display()}
                )
            if self.pk and self.path and self.parent.path.startswith(self.path):
                errors.setdefault("parent", []).append(
                    _("Không thể đặt một đơn vị vào bên dưới chính nó.")
                )
        if self.merged_into_id and self.merged_into_id == self.pk:
            errors.setdefault("merged_into", []).append(_("Không thể sáp nhập vào chính nó."))
        if errors:
            raise ValidationError(errors)

    def move_to(self, new_parent: Unit) -> None:
        """Re-parent this unit; its subtree follows in one UPDATE."""
        self.parent = new_parent
        self.full_clean(exclude=["code"])
        self.save()

    def merge_into(self, successor: Unit, on: datetime.date | None = None) -> None:
        """Merge this unit into ``successor`` (the July 2025 reform and its like).

        The unit is kept, inactive, pointing to its successor, so its history stays traceable;
        its active children move under the successor.
        """
        if successor.pk == self.pk or successor.path.startswith(self.path):
            raise ValidationError(
                {"merged_into": _("Không thể sáp nhập một đơn vị vào chính nó hay đơn vị con.")}
            )
        on = on or local_today()
        with transaction.atomic():
            for child in self.children.active():
                child.move_to(successor)
            self.merged_into = successor
            self.is_active = False
            self.valid_to = on
            self.save(update_fields=["merged_into", "is_active", "valid_to", "path", "search_name"])
            UnitLineage.objects.get_or_create(
                predecessor=self,
                successor=successor,
                effective_date=on,
                defaults={"kind": LineageKind.MERGE},
            )


class UnitPlacement(models.Model):
    """Where a unit sat in the tree until a day: the place a reorganisation moved it from (a
    cell from its old commune to the new one), so that a report can still be read in the tree
    of a past date and find it there."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.CASCADE, related_name="placements"
    )
    path = models.CharField(_("đường dẫn"), max_length=PATH_MAX_LENGTH)
    until = models.DateField(_("đến ngày"))

    class Meta:
        verbose_name = _("vị trí cũ của đơn vị")
        verbose_name_plural = _("vị trí cũ của đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["unit", "until"], name="placement_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.unit} @ {self.path} → {self.until:%d/%m/%Y}"

    @classmethod
    def paths_on(cls, units: Iterable[Unit], day: datetime.date) -> list[str]:
        """Where each of ``units`` sat in the tree on ``day`` (the first place it was moved from
        after that day, else where it is now), in one query."""
        units = list(units)
        earliest: dict[int, str] = {}
        for unit_id, path in (
            cls.objects.filter(unit__in=units, until__gte=day)
            .order_by("-until")
            .values_list("unit_id", "path")
        ):
            earliest[unit_id] = path  # the latest "until" first, so the earliest one stays
        return [earliest.get(unit.pk, unit.path) for unit in units]


class LineageKind(models.TextChoices):
    """How a unit came from another in a reorganisation."""

    MERGE = "merge", _("Sáp nhập")
    SPLIT = "split", _("Chia tách")
    RENAME = "rename", _("Đổi tên")
    REPARENT = "reparent", _("Chuyển cấp trên")
    DISSOLVE = "dissolve", _("Giải thể")


class LineageQuerySet(models.QuerySet):
    def around(self, unit: Unit) -> Self:
        """The links into and out of ``unit``."""
        return self.filter(Q(predecessor=unit) | Q(successor=unit))

    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Links whose two ends the person may both see (the gate's scope on each end)."""
        scope = scope_for(user)
        return self.filter(scope.filter("predecessor__path"), scope.filter("successor__path"))


class UnitLineage(models.Model):
    """One link of the tree's history: ``predecessor`` went (whole, or a part of it for a
    split) into ``successor`` on ``effective_date``, by the decision named in ``legal_basis``.

    Units are never deleted by a reorganisation: the predecessor stays, inactive, with its
    dates, so a report on the past still finds it and a successor can read its history.
    """

    predecessor = models.ForeignKey(
        Unit, verbose_name=_("đơn vị trước"), on_delete=models.PROTECT, related_name="later_links"
    )
    successor = models.ForeignKey(
        Unit, verbose_name=_("đơn vị sau"), on_delete=models.PROTECT, related_name="earlier_links"
    )
    kind = models.CharField(_("hình thức"), max_length=16, choices=LineageKind.choices)
    effective_date = models.DateField(_("ngày hiệu lực"))
    legal_basis = models.CharField(_("căn cứ"), max_length=255, blank=True)
    part = models.CharField(
        _("phần"),
        max_length=100,
        blank=True,
        help_text=_("Với chia tách: phần nào (theo bảng chuyển đổi), ví dụ “split:3;primary”."),
    )
    plan = models.ForeignKey(
        "ReorganisationPlan",
        verbose_name=_("phương án"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lineage",
    )

    objects = LineageQuerySet.as_manager()

    class Meta:
        verbose_name = _("quan hệ kế thừa đơn vị")
        verbose_name_plural = _("quan hệ kế thừa đơn vị")
        ordering = ["effective_date", "predecessor__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor", "effective_date"], name="lineage_once"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=F("successor")), name="lineage_not_to_itself"
            ),
        ]
        indexes = [models.Index(fields=["successor"], name="lineage_successor_idx")]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.get_kind_display()})"


class PlanQuerySet(ScopedQuerySet):
    unit_path_lookup = "province__path"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Chưa áp dụng")
    APPLIED = "applied", _("Đã áp dụng")


class ReorganisationPlan(models.Model):
    """A reorganisation of the tree as uploaded: the new tree, the crosswalk from the old
    communes to the new ones, the date and decision, and the choices a person made on the dry
    run (where each cell goes, which candidate an unresolved row takes). Applied once, all or
    nothing (``oversight.reform``)."""

    province = models.ForeignKey(
        Unit,
        verbose_name=_("tỉnh"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reorganisation_plans",
        help_text=_("Để trống: phương án của quản trị viên, nhiều tỉnh."),
    )
    effective_date = models.DateField(_("ngày hiệu lực"))
    basis_number = models.CharField(_("số nghị quyết"), max_length=100)
    basis_date = models.DateField(_("ngày ban hành"))
    tree_name = models.CharField(_("tệp cây mới"), max_length=200)
    tree_text = models.TextField(_("cây đơn vị mới"))
    crosswalk_name = models.CharField(_("tệp chuyển đổi"), max_length=200)
    crosswalk_text = models.TextField(_("bảng chuyển đổi"))
    placements = models.JSONField(_("nơi đặt chi bộ"), default=dict, blank=True)
    choices = models.JSONField(_("lựa chọn cho dòng chưa xác định"), default=dict, blank=True)
    status = models.CharField(
        _("trạng thái"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    summary = models.JSONField(_("kết quả"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người áp dụng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("áp dụng lúc"), null=True, blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("phương án sắp xếp đơn vị")
        verbose_name_plural = _("phương án sắp xếp đơn vị")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.basis_number} ({self.effective_date:%d/%m/%Y})"

    def clean(self) -> None:
        check_basis_date(self.basis_date, self.effective_date)

    @property
    def legal_basis(self) -> str:
        return f"{self.basis_number} ngày {self.basis_date:%d/%m/%Y}"

    @property
    def eve(self) -> datetime.date:
        """The last day of the old tree."""
        return self.effective_date - datetime.timedelta(days=1)


def check_basis_date(basis_date: datetime.date | None, effective: datetime.date | None) -> None:
    """A resolution is issued on or before the day it takes effect."""
    if basis_date and effective and basis_date > effective:
        raise ValidationError(
            {"basis_date": _("Nghị quyết phải ban hành trước hoặc đúng ngày có hiệu lực.")}
        )


class UnitUserObjectPermission(UserObjectPermissionBase):
    """A per-unit grant to one person (django-guardian, with a direct foreign key)."""

    content_object = models.ForeignKey(Unit, on_delete=models.CASCADE)
    history = HistoricalRecords(historical_queryset=scoped_history("content_object__path"))


class UnitGroupObjectPermission(GroupObjectPermissionBase):
    """A per-unit grant to a group (django-guardian, with a direct foreign key)."""

    content_object = models.ForeignKey(Unit, on_delete=models.CASCADE)
    history = HistoricalRecords(historical_queryset=scoped_history("content_object__path"))


class InForceQuerySet(models.QuerySet):
    def in_force(self, day: datetime.date) -> Self:
        """The rules in force on ``day``."""
        return self.filter(in_force_on(day))


class InForce(models.Model):
    """A rule with dates of force: a changed rule is a new row from a day on, so the past is
    judged by the rule of its day and never rewritten. Its manager derives from
    ``InForceQuerySet``."""

    valid_from = models.DateField(
        _("hiệu lực từ"), null=True, blank=True, help_text=_("Để trống: từ trước đến nay.")
    )
    valid_to = models.DateField(
        _("hiệu lực đến"), null=True, blank=True, help_text=_("Để trống: đến nay vẫn áp dụng.")
    )

    class Meta:
        abstract = True

    def is_in_force(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("Ngày hết hiệu lực phải sau ngày có hiệu lực.")})


class TermQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None) -> Self:
        day = on or local_today()
        return self.filter(start_date__lte=day, end_date__gte=day)


class Term(models.Model):
    """A term of office (nhiệm kỳ), e.g. 2020–2025."""

    name = models.CharField(_("tên"), max_length=32, unique=True)
    start_date = models.DateField(_("bắt đầu"))
    end_date = models.DateField(_("kết thúc"))

    objects = TermQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhiệm kỳ")
        verbose_name_plural = _("nhiệm kỳ")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="term_range"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": _("Ngày kết thúc phải sau ngày bắt đầu.")})


class Heartbeat(models.Model):
    """The last time a background process proved it was alive (``/health/`` reads it)."""

    CELERY = "celery"

    name = models.CharField(max_length=32, primary_key=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("nhịp hoạt động")
        verbose_name_plural = _("nhịp hoạt động")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%d/%m/%Y %H:%M:%S}"
