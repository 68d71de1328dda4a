"""Where queries go: reports may read from a PostgreSQL replica, everything else the primary."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings

REPLICA = "replica"
_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica, when one is configured (``DATABASE_REPLICA_URL``).
    For what may lag the primary by a moment: reports and exports, never a form's own read
    before it writes."""
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def reads_from_replica[View: Callable[..., Any]](view: View) -> View:
    """A view whose reads go to the replica (``replica_reads``)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


class ReplicaRouter:
    """Reads inside ``replica_reads`` go to the replica when the settings name one; the rest,
    and every write, to the primary; only the primary is migrated."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _reading_reports.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA
