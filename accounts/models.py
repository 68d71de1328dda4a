"""People and the positions through which they work in a tenant (a unit and its subtree)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection
from typing import Any, ClassVar, Self

from django.contrib.auth.models import AbstractUser, AnonymousUser, Group, UserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import Role, group_name
from oversight.clock import local_today
from oversight.models import Level, ScopedQuerySet, Unit, scope_for, scoped_history


class PeopleManager(UserManager["User"]):
    def visible_to(self, user: User | AnonymousUser) -> models.QuerySet[User]:
        """People who hold or held a position in ``user``'s scope, and ``user`` themselves (an
        administrator: everyone): the gate for people, through the positions' gate."""
        if scope_for(user).everything:
            return self.all()
        holders = Position.objects.visible_to(user).values("user_id")
        condition = Q(pk__in=holders)
        if user.is_authenticated:
            condition |= Q(pk=user.pk)
        return self.filter(condition)


class PeopleHistory(HistoricalRecords):
    """A person's history: signing in saves only ``last_login``, which is not a change of the
    person (and would fill the audit trail with every login)."""

    def post_save(self, instance: Any, created: bool, using: Any = None, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields and set(update_fields) <= {"last_login"}:
            return
        super().post_save(instance, created, using=using, **kwargs)


def name_fields(relation: str) -> tuple[str, ...]:
    """The fields ``User.get_full_name`` and ``str(user)`` read, reached through ``relation``
    (``"member"``): what a list's ``only()`` keeps of the person each row names."""
    return tuple(
        f"{relation}__{name}" for name in ("full_name", "first_name", "last_name", "username")
    )


class User(AbstractUser):
    """A person using the portal. Names are kept whole, as Vietnamese names are written."""

    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    staff_number = models.CharField(
        _("số hiệu cán bộ"), max_length=32, unique=True, null=True, blank=True
    )
    phone = models.CharField(_("điện thoại"), max_length=32, blank=True)
    current_tenant = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị đang làm việc"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects: ClassVar[PeopleManager] = PeopleManager()
    history = PeopleHistory(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    def current_positions(self) -> list[Position]:
        """Positions held today, highest unit first; read once per request."""
        cached: list[Position] | None = getattr(self, "_current_positions", None)
        if cached is None:
            # Not through ``self.positions``, which would tie each position to this object:
            # the list is kept in the cache between requests (``accounts.access``).
            cached = list(
                Position.objects.current()
                .filter(user_id=self.pk)
                .select_related("unit", "term")
                .order_by("unit__path")
            )
            self._current_positions = cached
        return cached

    def tenants(self) -> list[Unit]:
        """Units this person can work in: where they hold a current position."""
        seen: dict[int, Unit] = {}
        for position in self.current_positions():
            seen.setdefault(position.unit_id, position.unit)
        return list(seen.values())

    def working_tenant(self) -> Unit | None:
        """The tenant chosen with the switcher, or the highest unit held when none is chosen."""
        tenants = self.tenants()
        for unit in tenants:
            if unit.pk == self.current_tenant_id:
                return unit
        return tenants[0] if tenants else None

    def switch_tenant(self, unit: Unit) -> None:
        """Work in ``unit`` from now on; only a unit where a position is held is accepted."""
        if unit.pk not in {tenant.pk for tenant in self.tenants()}:
            raise ValidationError(
                {"current_tenant": _("Bạn không giữ chức vụ nào tại đơn vị này.")}
            )
        self.current_tenant = unit
        self.save(update_fields=["current_tenant"])
        self.__dict__.pop("_oversight_scope", None)

    def sync_role_groups(self) -> None:
        """Make the user's role groups exactly those of the positions they hold today."""
        sync_role_groups_of([self.pk])


def sync_role_groups_of(user_ids: Collection[int]) -> None:
    """Make each person's role groups exactly those of the positions they hold today, for many
    people in four queries (a reorganisation ends thousands of positions at once)."""
    groups = dict(Group.objects.filter(name__startswith="role:").values_list("name", "pk"))
    held: dict[int, set[int]] = defaultdict(set)
    for user_id, role in (
        Position.objects.current().filter(user_id__in=user_ids).values_list("user_id", "role")
    ):
        if group_name(role) in groups:
            held[user_id].add(groups[group_name(role)])
    membership = User.groups.through
    membership.objects.filter(user_id__in=user_ids, group_id__in=groups.values()).delete()
    membership.objects.bulk_create(
        [membership(user_id=user, group_id=group) for user in user_ids for group in held[user]]
    )


class PositionQuerySet(ScopedQuerySet):
    def current(self, on: datetime.date | None = None) -> Self:
        """Positions held on ``on`` (today by default)."""
        day = on or local_today()
        return self.filter(Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gte=day))


class Position(models.Model):
    """A person holds a role at a unit for a term; it covers the unit's whole subtree."""

    user = models.ForeignKey(
        User, verbose_name=_("người giữ"), on_delete=models.CASCADE, related_name="positions"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="positions"
    )
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    term = models.ForeignKey("oversight.Term", verbose_name=_("nhiệm kỳ"), on_delete=models.PROTECT)
    title = models.CharField(
        _("chức danh"),
        max_length=200,
        blank=True,
        help_text=_("Chức danh đầy đủ, ví dụ: Phó Bí thư Thường trực Tỉnh ủy."),
    )
    start_date = models.DateField(_("từ ngày"))
    end_date = models.DateField(_("đến ngày"), null=True, blank=True)

    objects = PositionQuerySet.as_manager()
    history = HistoricalRecords(
        historical_queryset=scoped_history(PositionQuerySet.unit_path_lookup)
    )

    class Meta:
        verbose_name = _("chức vụ")
        verbose_name_plural = _("chức vụ")
        ordering = ["unit__path", "role"]
        permissions = [("view_audit", _("Xem nhật ký thay đổi trong phạm vi"))]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role", "term"], name="position_unique_per_term"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="position_date_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.unit}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.user.sync_role_groups()

    @property
    def rights_unit(self) -> Unit:
        """Where a right must hold to act on this row (``accounts.rights.may``)."""
        return self.unit

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            self.user.sync_role_groups()
        return result

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("Ngày kết thúc phải sau ngày bắt đầu.")})
        # A unit abolished by a reorganisation (or not formed yet) takes no new position.
        problem = (
            self.unit.lifetime_error(self.start_date) if self.unit_id and self.start_date else ""
        )
        if problem and not self.pk:
            raise ValidationError({"unit": problem})
        if self.unit_id is None or not self.role:
            return
        at_cell = self.unit.level == Level.CELL
        if at_cell != (self.role == Role.CELL_SECRETARY):
            raise ValidationError(
                {"role": _("Bí thư chi bộ giữ chức vụ tại chi bộ; các vai trò khác tại cấp ủy.")}
            )


class AccessEpoch(models.Model):
    """How often what a person's access is read from has changed: one row, counted up by
    PostgreSQL triggers (migration 0007) in the transaction of every such write, so that
    ``accounts.access`` never serves a snapshot older than the rows it was read from."""

    changes = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("mốc quyền truy cập")
        verbose_name_plural = _("mốc quyền truy cập")

    def __str__(self) -> str:
        return str(self.changes)


class CalendarFeed(models.Model):
    """A person's secret address of their meetings for a phone's calendar. The token is the
    only credential of the address: renewing it (``do_renew_calendar_feed``) makes the old
    address stop working."""

    user = models.OneToOneField(
        User, verbose_name=_("người dùng"), on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(_("mã bí mật"), max_length=64, unique=True)
    renewed_at = models.DateTimeField(_("tạo lúc"), auto_now=True)

    class Meta:
        verbose_name = _("lịch trên điện thoại")
        verbose_name_plural = _("lịch trên điện thoại")

    def __str__(self) -> str:
        return str(self.user)
