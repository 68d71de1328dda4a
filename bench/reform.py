"""Benchmark: the July 2025 reform applied to the whole country.

On a copy of the national data set (``_national.py``: 10,810 units of the old tree, 100,510
cells, members, assignments, a year of meetings and visits), the official crosswalk
(``seeds/vn-reform-2025-commune-map.csv``, 10,592 rows) and the new tree
(``seeds/vn-divisions-2-level.csv``) go through the same plan machinery as a person would use:
the dry run, the apply (one transaction), then the same files again (nothing to change). The
floor is the bare SQL that moves every cell to its primary new commune in one UPDATE.

The benchmark asserts what it measured before printing it: the totals of the plan, the units
and cells where they must be, and that the second application wrote nothing.
"""

import datetime
import time
from urllib.parse import urlparse

from _national import national_data_set
from _setup import ROOT, machine, peak_rss_mib, setup

COPY = "oversight_bench_reform"


def fresh_copy(url: str) -> None:
    """A throw-away copy of the benchmark database, so the national data set stays as it is."""
    import psycopg
    from django.db import connections

    connections.close_all()
    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    source = parsed.path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{COPY}"')
        conn.execute(f'CREATE DATABASE "{COPY}" TEMPLATE "{source}"')
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = COPY
    connections["default"].settings_dict["NAME"] = COPY


class QueryCounter:
    """A database execute wrapper that counts the queries run through it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, execute, sql, params, many, context):
        self.calls += 1
        return execute(sql, params, many, context)


def counted(action):
    """Run ``action`` and answer (result, seconds, queries, the process's peak memory so far in
    MiB). The peak is the resident set's high-water mark (tracemalloc would slow the run)."""
    from django.db import connection

    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = action()
    seconds = time.perf_counter() - started
    peak = peak_rss_mib()
    return result, seconds, counter.calls, peak


def main() -> None:
    url = setup()
    from django.db import connection

    national_data_set()
    fresh_copy(url)
    from accounts.models import User
    from oversight.clock import local_today
    from oversight.models import Level, Unit, UnitLineage
    from oversight.reform import services
    from oversight.reform.plan import impact, read_crosswalk

    admin, _ = User.objects.get_or_create(
        username="bench.admin", defaults={"is_superuser": True, "is_staff": True}
    )
    # The data set's term began in October 2025: the reform is applied as of today, so that its
    # assignments and positions at the old units end the day before.
    effective = local_today()
    tree_text = (ROOT / "seeds" / "vn-divisions-2-level.csv").read_text()
    crosswalk_text = (ROOT / "seeds" / "vn-reform-2025-commune-map.csv").read_text()
    files = services.PlanFiles("vn-divisions-2-level.csv", tree_text,
                               "vn-reform-2025-commune-map.csv", crosswalk_text)  # fmt: skip
    basis = ("202/2025/QH15", datetime.date(2025, 6, 12))
    plan = services.do_create_plan(admin, files, effective, *basis)
    unresolved = {r.old_code: r.candidates[0] for r in read_crosswalk(crosswalk_text)
                  if r.is_unresolved}  # fmt: skip
    services.do_save_choices(admin, plan, {}, unresolved)
    cells_before = Unit.objects.active().filter(level=Level.CELL).count()
    baseline = peak_rss_mib()

    result, dry_s, dry_q, dry_mib = counted(lambda: impact(plan))
    assert not result.problems, result.problems[:5]
    totals = result.totals
    assert totals["created"] >= 3_321, totals
    assert totals["communes_abolished"] >= 10_000, totals
    assert totals["cells_moved"] == cells_before, (totals, cells_before)

    applied, apply_s, apply_q, apply_mib = counted(lambda: services.do_apply_plan(admin, plan))
    assert applied == totals
    assert Unit.objects.active().filter(level=Level.COMMUNE).count() == 3_321
    assert Unit.objects.active().filter(level=Level.PROVINCE).count() == 34
    stranded = Unit.objects.active().filter(level=Level.CELL, parent__is_active=False).count()
    assert stranded == 0, stranded
    lineage = UnitLineage.objects.filter(plan=plan).count()

    again = services.do_create_plan(admin, files, effective, *basis)
    services.do_save_choices(admin, again, {}, unresolved)
    before = (Unit.objects.count(), UnitLineage.objects.count())
    (second, second_s, second_q, _mib) = counted(
        lambda: (impact(again).changes, services.do_apply_plan(admin, again))
    )
    assert second[0] == 0 and (Unit.objects.count(), UnitLineage.objects.count()) == before

    with connection.cursor() as cursor:
        # The floor: the one UPDATE that puts every cell under its new commune, undone after.
        cursor.execute("BEGIN")
        started = time.perf_counter()
        cursor.execute(
            "UPDATE oversight_unit c SET parent_id = p.parent_id FROM oversight_unit p "
            "WHERE c.parent_id = p.id AND c.level = 'cell'"
        )
        floor_s = time.perf_counter() - started
        cursor.execute("ROLLBACK")
    rss_mib = peak_rss_mib()
    print(f"machine: {machine()}; PostgreSQL")
    print(f"totals: {totals}; lineage rows {lineage:,}")
    print(f"dry run: {dry_s:.1f} s, {dry_q} queries, peak memory {dry_mib:.0f} MiB")
    print(f"apply:   {apply_s:.1f} s, {apply_q} queries, peak memory {apply_mib:.0f} MiB")
    print(f"again (dry run + apply, nothing to change): {second_s:.1f} s, {second_q} queries")
    print(f"floor (one UPDATE of {cells_before:,} cells' parents): {floor_s:.1f} s")
    print(f"process peak RSS {rss_mib:.0f} MiB (before the plan: {baseline:.0f} MiB)")


if __name__ == "__main__":
    main()
