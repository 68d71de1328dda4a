"""Benchmark: the scoping gate over the national tree with 100,000+ cells.

Run after bench/import_units.py (it leaves the national tree and its cells in the
benchmark database). Prints queries and time for a district user's ``visible_to`` and the
subtree count of a province.
"""

import statistics
import time
from collections.abc import Callable

from _setup import machine, setup


def timed(action: Callable[[], object], runs: int = 20) -> tuple[float, int, object]:
    from django.db import connection, reset_queries

    results = []
    queries = 0
    value: object = None
    for _ in range(runs):
        reset_queries()
        started = time.perf_counter()
        value = action()
        results.append(time.perf_counter() - started)
        queries = len(connection.queries)
    return statistics.median(results) * 1000, queries, value


def main() -> None:
    setup()
    from django.conf import settings
    from django.db import connection

    from accounts.models import Position, User
    from accounts.roles import Role
    from oversight.models import Level, Term, Unit

    settings.DEBUG = True  # record queries to count them
    total = Unit.objects.count()
    if total < 100_000:
        raise SystemExit("run bench/import_units.py first: it loads the national tree and cells")
    district = Unit.objects.get(code="D001")  # Ba Đình, Hà Nội
    province = Unit.objects.get(code="P01")
    term = Term.objects.get(name="2025–2030")
    user, _ = User.objects.get_or_create(username="bench.district")
    Position.objects.get_or_create(
        user=user, unit=district, role=Role.OFFICE_STAFF, term=term,
        defaults={"start_date": term.start_date},
    )  # fmt: skip
    print(f"machine: {machine()}; database: {connection.vendor}; units: {total:,}")

    def visible_list() -> int:
        fresh = User.objects.get(pk=user.pk)
        return len(list(Unit.objects.visible_to(fresh).values_list("pk", flat=True)))

    def visible_count() -> int:
        fresh = User.objects.get(pk=user.pk)
        return Unit.objects.visible_to(fresh).count()

    def subtree_count() -> int:
        return Unit.objects.subtree_of(province).count()

    def cells_of_province() -> int:
        return Unit.objects.subtree_of(province).filter(level=Level.CELL).count()

    for label, action in [
        ("visible_to(district user), rows", visible_list),
        ("visible_to(district user).count()", visible_count),
        ("subtree_of(Hà Nội).count()", subtree_count),
        ("cells under Hà Nội", cells_of_province),
    ]:
        ms, queries, value = timed(action)
        # One query of the count is the user's own row, read to start from a cold cache.
        print(f"{label:<36} {value!s:>8} rows  {queries} queries  median {ms:.2f} ms")

    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT count(*) FROM oversight_unit WHERE path LIKE %s", [province.path + "%"]
        )
        plan = " / ".join(row[0].strip() for row in cursor.fetchall())
    print(f"plan: {plan}")


if __name__ == "__main__":
    main()
