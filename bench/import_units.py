"""Benchmark: import the national unit list (10,810 rows) into an empty tree, then again.

Prints the wall time of: a fresh import, a re-import of the unchanged file, and a fresh
import of 100,000+ generated cells below the communes (the design's national scale).
"""

import statistics
import time

from _setup import ROOT, machine, setup


def main() -> None:
    url = setup()
    from django.db import connection

    from oversight.importing import UnitRow, import_units, read_unit_file
    from oversight.models import Level, Unit

    national = ROOT / "seeds" / "vn-divisions-3-level.csv"
    print(f"machine: {machine()}; database: {connection.vendor} ({url.rsplit('/', 1)[-1]})")

    def clear() -> None:
        # A throw-away database: empty the tree and everything that hangs on it at once.
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Unit._meta.db_table} RESTART IDENTITY CASCADE")

    fresh, again = [], []
    for _ in range(3):
        clear()
        started = time.perf_counter()
        report = import_units(read_unit_file(national))
        fresh.append(time.perf_counter() - started)
        assert report.created == 10_810, report
        started = time.perf_counter()
        report = import_units(read_unit_file(national))
        again.append(time.perf_counter() - started)
        assert report.unchanged == 10_810, report
    print(f"import_units national, empty tree: median {statistics.median(fresh):.2f} s {fresh}")
    print(f"import_units national, unchanged:  median {statistics.median(again):.2f} s {again}")

    communes = list(Unit.objects.filter(level=Level.COMMUNE).values_list("code", flat=True))
    cells = [
        UnitRow(0, f"{code}-{i:02d}", f"Chi bộ thôn {i}", Level.CELL, "chi bộ", code)
        for code in communes
        for i in range(1, 11)
    ]
    started = time.perf_counter()
    report = import_units(cells)
    elapsed = time.perf_counter() - started
    print(f"import of {report.created:,} cells under {len(communes):,} communes: {elapsed:.2f} s")


if __name__ == "__main__":
    main()
