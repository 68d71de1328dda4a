"""What a person may do, and where: every right comes from a position and holds only in that
position's subtree.

A person's roles give them model permissions (``accounts.roles``), but a right held as secretary
of Lâm Bình acts in Lâm Bình only, not in the province they may also be working in: the working
tenant chooses what a person looks at (``oversight.models.scope_for``), never what they may
change. ``may`` is the one answer, for the pages, the API, the admin and the imports alike
(NetBox's constrained permissions: a right and the rows it applies to, checked together).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import PermissionDenied

from accounts.roles import ROLE_PERMISSIONS
from oversight.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class HasRightsUnit(Protocol):
    @property
    def rights_unit(self) -> Unit: ...


def rights_unit(target: Unit | HasRightsUnit) -> Unit:
    """The unit whose subtree a right must cover to act on ``target`` (a unit is its own)."""
    return target if isinstance(target, Unit) else target.rights_unit


def units_where(user: User | AnonymousUser, permission: str) -> list[Unit]:
    """The units of the positions held today whose role grants ``permission``: the right holds
    in their subtrees (for an administrator, see ``may``)."""
    if not user.is_authenticated or not user.is_active:
        return []
    return [
        position.unit
        for position in user.current_positions()
        if permission in ROLE_PERMISSIONS.get(position.role, ())
    ]


def may(user: User | AnonymousUser, permission: str, target: Unit | HasRightsUnit | Any) -> bool:
    """Whether ``user`` may use ``permission`` ("app.codename") on ``target``: a unit, or a row
    with a ``rights_unit``. An administrator always may; anyone else only through a position
    held today whose role grants the permission and whose unit's subtree holds the target."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return True
    path = rights_unit(target).path
    return any(path.startswith(unit.path) for unit in units_where(user, permission))


def require(
    user: User | AnonymousUser, permission: str, target: Unit | HasRightsUnit | Any, message: str
) -> None:
    """``may``, or ``PermissionDenied(message)``: the 403 of a service."""
    if not may(user, permission, target):
        raise PermissionDenied(message)


def may_somewhere(user: User | AnonymousUser, permission: str) -> bool:
    """Whether any position ``user`` holds today grants ``permission``: what a page may offer
    before the row is known. The row's own check is ``may``."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return True
    return bool(units_where(user, permission))
