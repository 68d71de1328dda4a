"""Benchmark: import 10,000 assignments from an XLSX file through the import resource.

Run after bench/national_reports.py (it uses that data set's members and cells). Prints the
time of the dry run and of the real import, and the process's peak resident memory.
"""

import io
import time

from _setup import machine, peak_rss_mib, setup, vacuum

ROWS = int(__import__("os").environ.get("BENCH_ROWS", "10000"))


def main() -> None:
    setup()
    from django.db import connection, transaction
    from openpyxl import Workbook

    from accounts.models import User
    from assignments.models import Assignment
    from assignments.resources import AssignmentImportResource
    from oversight.importing import read_dataset
    from oversight.models import Level, Unit
    from visits.models import AttendanceTally

    members = list(
        User.objects.filter(username__startswith="bench.", positions__isnull=False)
        .order_by("pk")
        .values_list("username", flat=True)
    )
    if len(members) < 1000:
        raise SystemExit("run bench/national_reports.py first: it builds the members")
    cells = list(
        Unit.objects.filter(level=Level.CELL, code__endswith="-09")
        .order_by("code")
        .values_list("code", flat=True)[:ROWS]
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["member", "unit_code", "kind", "start_date", "end_date", "note"])
    for index, cell in enumerate(cells):
        sheet.append([members[index % len(members)], cell, "Phụ trách", "01/11/2025", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    admin, _ = User.objects.get_or_create(
        username="bench.admin", defaults={"is_superuser": True, "is_staff": True}
    )
    print(f"machine: {machine()}; PostgreSQL; file {len(data) / 1024:.0f} KiB, {len(cells):,} rows")
    before = Assignment.objects.count()
    for dry_run in (True, False):
        started = time.perf_counter()
        with transaction.atomic():
            dataset = read_dataset(data)
            result = AssignmentImportResource().import_data(
                dataset,
                dry_run=dry_run,
                use_transactions=True,
                rollback_on_validation_errors=True,
                user=admin,
            )
            if not dry_run:
                # The keys of the rows written are checked at the commit (deferred), which this
                # run, rolled back, never reaches: check them now, inside the timing.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = time.perf_counter() - started
            # What is timed must be the whole file accepted: every row new, none refused.
            assert result.totals["new"] == len(cells) and not result.invalid_rows, result.totals
            if not dry_run:
                assert Assignment.objects.count() == before + len(cells)
            # The process's peak resident size so far (KiB on Linux), the file's parse included.
            peak = peak_rss_mib()
            label = "dry run" if dry_run else "import"
            print(
                f"{label:<8} {elapsed:6.1f} s  peak RSS {peak:5.0f} MiB  "
                f"totals {dict(result.totals)}  invalid rows {len(result.invalid_rows)}"
            )
            if not dry_run:
                # Leave the benchmark database as it was, for the next run.
                transaction.set_rollback(True)
    print(f"assignments after: {Assignment.objects.count():,}")
    vacuum(Assignment, Assignment.history.model, AttendanceTally)


if __name__ == "__main__":
    main()
