"""Bulk writes that Django's own are too slow for at national scale."""

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Run a bulk load without Python's cycle collector, which resumes when it ends.

    A load makes objects by the hundred thousand (a row result, an instance and 26 summary
    rows for each of 10,000 imported assignments), none of them garbage until the load ends,
    and each time the heap grows by a quarter the collector walks all of it again: 1.6 s of a
    7.6 s import. Reference counting still frees what is dropped; only cycles wait for the
    end. The collector is process-wide, so a nested pause leaves it to the outer one.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def write_rows(model: type[Model], objs: Sequence[Model], fields: list[str]) -> None:
    """Write each object's own values of ``fields`` (column attributes) in one statement.

    Django's ``bulk_update`` builds one CASE per field with a branch per row, which PostgreSQL
    evaluates row by row: moving the country's 100,000 cells that way took over ten minutes.
    On PostgreSQL the values travel as arrays joined by ``unnest``; elsewhere (SQLite, the
    demo's few thousand rows) ``bulk_update`` writes them.
    """
    if not objs:
        return
    concrete = [f for f in model._meta.concrete_fields if f.attname in fields]
    if connection.vendor != "postgresql":
        model._base_manager.bulk_update(objs, [f.name for f in concrete], batch_size=500)
        return
    typed = [(field.column, field.db_type(connection)) for field in concrete]
    setting = ", ".join(f'"{column}" = moved."{column}"' for column, _kind in typed)
    arrays = ", ".join(["%s::bigint[]", *(f"%s::{kind}[]" for _column, kind in typed)])
    header = ", ".join(f'"{column}"' for column in ["id", *(c for c, _kind in typed)])
    params = [
        [obj.pk for obj in objs],
        *([getattr(obj, f.attname) for obj in objs] for f in concrete),
    ]
    with connection.cursor() as cursor:
        # Names come from the model's own meta; every value is a bound parameter.
        cursor.execute(
            f'UPDATE "{model._meta.db_table}" AS target SET {setting} '  # nosec B608
            f"FROM unnest({arrays}) AS moved({header}) WHERE target.id = moved.id",
            params,
        )


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows``, plain tuples of the values of ``fields`` (column attributes), without
    making a model instance of each: on PostgreSQL by ``COPY`` (a quarter of a million summary
    rows in about a second, where ``bulk_create`` took over ten); elsewhere ``bulk_create``.
    No ``save()``, no signals, as bulk_create."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
        model._base_manager.bulk_create(objs, batch_size=1000)
        return
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    names = ", ".join(f'"{by_name[name].column}"' for name in fields)
    # Binary: the server reads ints and dates as they are instead of parsing their text.
    types = [(by_name[name].db_type(connection) or "").partition("(")[0] for name in fields]
    # Names come from the model's own meta; the values travel as COPY's data.
    statement = f'COPY "{model._meta.db_table}" ({names}) FROM STDIN (FORMAT BINARY)'
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def record_history(
    model: type[Model], objs: Sequence[Model], actor: Any, reason: str, created: bool = False
) -> None:
    """One history row per object as it stands now ("created" or "changed"), with who and why.

    simple-history's ``bulk_history_create`` builds a Python object per row (half the time of
    applying the national plan); on PostgreSQL the database copies the rows itself, into the
    same columns, in one INSERT … SELECT.
    """
    if not objs:
        return
    history = model.history  # type: ignore[attr-defined]
    if connection.vendor != "postgresql":
        history.bulk_history_create(
            objs, batch_size=1000, update=not created, default_user=actor,
            default_change_reason=reason,
        )  # fmt: skip
        return
    historical = history.model
    own = [f.column for f in historical._meta.concrete_fields if not f.name.startswith("history_")]
    columns = ", ".join(f'"{column}"' for column in own)
    with connection.cursor() as cursor:
        # Names come from the models' own meta; every value is a bound parameter.
        cursor.execute(
            f'INSERT INTO "{historical._meta.db_table}" ({columns}, "history_date", '  # nosec B608
            f'"history_change_reason", "history_type", "history_user_id") '
            f'SELECT {columns}, %s, %s, %s, %s FROM "{model._meta.db_table}" WHERE id = ANY(%s)',
            [timezone.now(), reason, "+" if created else "~", actor.pk, [obj.pk for obj in objs]],
        )
