"""Pages of long lists found by key (keyset pagination), not by counting and skipping rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import BadRequest
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.utils.translation import gettext as _


@dataclass
class KeysetPage:
    """One page of a list ordered newest first by (date, pk), and the keys of its neighbours:
    ``older`` the key to ask for the next page (``?after=``), ``newer`` the previous one
    (``?before=``); None where there is none. A province's 44,736 visits cost the page's 50
    rows, read along the (date, id) index, whatever page is asked for."""

    rows: list[Any]
    older: str | None
    newer: str | None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _key(row: Any) -> str:
    return f"{row.date:%Y-%m-%d}.{row.pk}"


def _parse(text: str, name: str) -> tuple[datetime.date, int] | None:
    if not text:
        return None
    day, _dot, pk = text.partition(".")
    try:
        key = datetime.date.fromisoformat(day), int(pk)
    except ValueError:
        key = None
    if key is None or not 0 < key[1] < 2**63:  # an id PostgreSQL's bigint can hold
        raise BadRequest(
            _("Trang “%(value)s” không hợp lệ (%(name)s).") % {"value": text, "name": name}
        )
    return key


def keyset_page(queryset: Any, after: str, before: str, size: int) -> KeysetPage:
    """The page of ``queryset`` (rows with a ``date``, newest first) after the key ``after``
    (older rows) or before ``before`` (newer rows), or its first page."""
    if (newer_than := _parse(before, "before")) is not None:
        day, pk = newer_than
        rows = list(
            queryset.filter(Q(date__gt=day) | Q(date=day, pk__gt=pk)).order_by("date", "pk")[
                : size + 1
            ]
        )
        more = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(rows, _key(rows[-1]) if rows else None, _key(rows[0]) if more else None)
    older_than = _parse(after, "after")
    if older_than is not None:
        day, pk = older_than
        queryset = queryset.filter(Q(date__lt=day) | Q(date=day, pk__lt=pk))
    rows = list(queryset.order_by("-date", "-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    older = _key(rows[-1]) if more else None
    return KeysetPage(rows, older, _key(rows[0]) if older_than is not None and rows else None)


def read_page(rows: Any, per_page: int, number: Any) -> Page:
    """``Paginator(rows, per_page).get_page(number)`` with the page's rows read here, in the
    view: the template renders what was read and runs no query (tests/test_rendering.py)."""
    page = Paginator(rows, per_page).get_page(number)
    page.object_list = list(page.object_list)
    return page
