"""A person's access, kept between requests: the positions they hold today, their permissions,
their scope and their confirmed authenticators.

Every page needs all four (the navigation, the gate, the rights, the second factor) and they
change seldom, so they are read from the database once per change and kept in the cache, under
a key that carries everything they are read from: the person, their working tenant, whether
they are an administrator, the portal's date (a position ends with a day) and the access epoch,
a counter that PostgreSQL triggers raise in the same transaction as any write to the rows
access is read from (positions, role groups and permissions, per-unit grants, units and their
lineage, terms, authenticators: migration ``accounts.0007``). A write the ORM never sees (a
bulk update, the admin, SQL by hand) raises it too, so a revoked position or a deleted phone is
never served from the cache: the next request asks under a key no snapshot was filed under.
A snapshot read while such a write was committing is filed under the epoch before it, which no
later request asks for. Where the epoch is unknown (SQLite, a lost row) nothing is cached.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts.models import AccessEpoch, Position, User
from oversight.clock import local_today
from oversight.models import Scope, Term, Unit, scope_for

logger = logging.getLogger(__name__)

#: the epoch, as ``person`` reads it with the person of a request
EPOCH = "access_epoch"

#: the shape of what a snapshot holds: a release that changes these models files its snapshots
#: apart from the ones pickled before it
SHAPE = zlib.crc32(
    " ".join(
        f"{model._meta.label}.{field.attname}"
        for model in (Position, Unit, Term, TOTPDevice)
        for field in model._meta.concrete_fields
    ).encode()
)


@dataclass(frozen=True)
class Snapshot:
    """What a person's requests read of their access, as read together."""

    positions: list[Position]
    permissions: set[str]
    scope: Scope
    devices: dict[str, TOTPDevice]


def person(user_id: Any) -> User | None:
    """The person of a session, with the access epoch read in the same query.

    Written out rather than built by the ORM: compiling it on every request took 0.35 of the
    0.55 ms it cost, a tenth of a near-empty page."""
    return _read_person(f'"{User._meta.db_table}"."id" = %s', [user_id])


def person_of_token(key: str) -> User | None:
    """The person an API token is for, with the access epoch and the token's creation time
    (``token_created``), in one written-out query as ``person``."""
    people, tokens = User._meta.db_table, Token._meta.db_table
    return _read_person(
        f'"{tokens}"."key" = %s',
        [key],
        columns=f', "{tokens}"."created" AS "token_created"',
        joined=f' JOIN "{tokens}" ON "{tokens}"."user_id" = "{people}"."id"',
    )


def _read_person(
    condition: str, params: list[Any], columns: str = "", joined: str = ""
) -> User | None:
    """The person ``condition`` finds, with the access epoch (and ``columns`` of a ``joined``
    table). Every name comes from the models' own meta; every value is a bound parameter."""
    people, epochs = User._meta.db_table, AccessEpoch._meta.db_table
    query = User._default_manager.raw(
        f'SELECT "{people}".*{columns}, '  # nosec B608
        f'(SELECT "changes" FROM "{epochs}" WHERE "id" = 1) AS "{EPOCH}" '
        f'FROM "{people}"{joined} WHERE {condition}',
        params,
    )
    return next(iter(query), None)


def key(user: User, changes: int) -> str:
    return (
        f"access:{SHAPE}:{changes}:{user.pk}:{user.current_tenant_id}:{int(user.is_superuser)}:"
        f"{local_today():%Y%m%d}"
    )


def read(user: User) -> Snapshot:
    """The person's access from the database (four queries), left on ``user`` for the request."""
    devices = {
        device.persistent_id: device
        for device in TOTPDevice.objects.filter(user_id=user.pk, confirmed=True)
    }
    user._confirmed_devices = devices  # type: ignore[attr-defined]
    return Snapshot(
        positions=user.current_positions(),
        permissions=user.get_all_permissions(),
        scope=scope_for(user),
        devices=devices,
    )


def install(user: User, snapshot: Snapshot) -> None:
    """Give ``user`` the access of ``snapshot`` for the request: where ``current_positions``,
    the permission backend, the gate and the second factor look first."""
    for position in snapshot.positions:
        position.user = user
    user._current_positions = snapshot.positions
    user._perm_cache = snapshot.permissions  # type: ignore[attr-defined]
    user._oversight_scope = snapshot.scope  # type: ignore[attr-defined]
    user._confirmed_devices = snapshot.devices  # type: ignore[attr-defined]


def attach(user: User) -> None:
    """Give ``user`` (read with the epoch, ``person``) their access from the cache, or read it
    and keep it for as long as a session lasts."""
    changes = getattr(user, EPOCH, None)
    if changes is None:
        return
    cache_key = key(user, changes)
    try:
        snapshot = cache.get(cache_key)
    except Exception:  # the cache is down: read from the database, as the sessions then do
        logger.warning("access: the cache is unreachable, read from the database", exc_info=True)
        read(user)
        return
    if snapshot is not None:
        install(user, snapshot)
        return
    fresh = read(user)
    try:
        cache.set(cache_key, fresh, timeout=settings.SESSION_COOKIE_AGE)
    except Exception:
        logger.warning("access: the cache is unreachable, nothing kept", exc_info=True)


def known_devices(user: User) -> dict[str, TOTPDevice] | None:
    """The person's confirmed authenticators by persistent id, when their access was attached
    to them for this request; ``None`` when it was not (they are then read as django-otp does)."""
    return getattr(user, "_confirmed_devices", None)
