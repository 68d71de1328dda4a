"""Benchmark: the reports over a national data set, against one hand-written SQL aggregate each.

On the national data set (``_national.py``, built once), times, for one province (Hà Nội) and
for the whole country, the report function, the whole page (HTML through the Django test
client) and the bare SQL aggregate that counts the same visits, and prints the ratio.
"""

from _national import national_data_set
from _setup import machine, setup, signed_in, timed

BARE_COMPLIANCE = """
    SELECT v.assignment_id, date_trunc('month', v.date) AS month, count(*),
           count(*) FILTER (WHERE v.status = 'accepted'),
           count(*) FILTER (WHERE v.status = 'accepted' AND v.accepted_late)
    FROM visits_visit v
    JOIN assignments_assignment a ON a.id = v.assignment_id
    JOIN oversight_unit u ON u.id = a.unit_id
    WHERE u.path LIKE %(prefix)s AND v.kind = 'meeting' AND v.status <> 'draft'
      AND v.date >= %(start)s AND v.date <= %(end)s
    GROUP BY 1, 2"""
BARE_COVERAGE = """
    SELECT count(*) FROM oversight_unit c
    WHERE c.level = 'cell' AND c.path LIKE %(prefix)s AND c.is_active AND NOT EXISTS (
        SELECT 1 FROM visits_visit v WHERE v.unit_id = c.id AND v.status <> 'draft'
        AND v.date >= %(since)s)"""
BARE_QUALITY = """
    SELECT split_part(u.path, '/', %(depth)s), date_trunc('month', m.date), v.rating, count(*)
    FROM visits_meeting m JOIN oversight_unit u ON u.id = m.cell_id
    JOIN visits_visit v ON v.meeting_id = m.id
    WHERE u.path LIKE %(prefix)s AND m.kind = 'regular' AND v.rating <> ''
      AND m.date >= %(start)s AND m.date <= %(end)s
    GROUP BY 1, 2, 3"""

BENCH_PASSWORD = "bench-pass-2026"


def main() -> None:
    setup()
    import datetime

    from django.db import connection

    from accounts.models import User
    from oversight.models import Unit
    from oversight.reporting import reports
    from visits.models import Visit, add_months

    first, last = national_data_set()
    end = add_months(last, 1) - datetime.timedelta(days=1)
    admin, _ = User.objects.get_or_create(
        username="bench.admin", defaults={"is_superuser": True, "is_staff": True}
    )
    admin.set_password(BENCH_PASSWORD)
    admin.save(update_fields=["password"])
    counts = {
        "units": Unit.objects.count(),
        "members": User.objects.filter(username__startswith="bench.").count(),
        "visits": Visit.objects.count(),
    }
    print(f"machine: {machine()}; PostgreSQL; {counts}")
    # As the administrator signs in: password and second factor (a session that still owed its
    # code would time a redirect to the code page, 5–11 ms, instead of the report).
    client = signed_in(admin.username, BENCH_PASSWORD)
    hanoi = Unit.objects.get(code="P01")
    month_args = f"start={first:%Y-%m}&end={last:%Y-%m}"
    cases = [
        ("compliance", "Hà Nội", f"/reports/compliance/?unit=P01&{month_args}", "compliance-table",
         lambda: reports.compliance(User.objects.get(pk=admin.pk), hanoi, first, last),
         BARE_COMPLIANCE, {"prefix": "P01/%", "start": first, "end": end}),
        ("compliance", "country", f"/reports/compliance/?{month_args}", "compliance-table",
         lambda: reports.compliance(User.objects.get(pk=admin.pk), None, first, last),
         BARE_COMPLIANCE, {"prefix": "%", "start": first, "end": end}),
        ("coverage", "Hà Nội", "/reports/coverage/?unit=P01&months=3", "cells-unvisited",
         lambda: reports.coverage(User.objects.get(pk=admin.pk), hanoi, 3),
         BARE_COVERAGE, {"prefix": "P01/%", "since": add_months(last, -2)}),
        ("coverage", "country", "/reports/coverage/?months=3", "cells-unvisited",
         lambda: reports.coverage(User.objects.get(pk=admin.pk), None, 3),
         BARE_COVERAGE, {"prefix": "%", "since": add_months(last, -2)}),
        ("quality", "Hà Nội", f"/reports/quality/?unit=P01&{month_args}", "rating-totals",
         lambda: reports.quality(User.objects.get(pk=admin.pk), hanoi, first, last),
         BARE_QUALITY, {"prefix": "P01/%", "depth": 2, "start": first, "end": end}),
        ("quality", "country", f"/reports/quality/?{month_args}", "rating-totals",
         lambda: reports.quality(User.objects.get(pk=admin.pk), None, first, last),
         BARE_QUALITY, {"prefix": "%", "depth": 1, "start": first, "end": end}),
    ]  # fmt: skip
    print(
        f"{'report':<11} {'scope':<8} {'bare SQL':>9} {'function':>9} {'page':>9} {'page/SQL':>9}"
    )
    for name, scope, url, marker, function, sql, params in cases:
        answer = client.get(url)  # what is timed must be the report itself
        assert answer.status_code == 200, f"{url}: {answer.status_code}"
        assert f'data-testid="{marker}"' in answer.content.decode(), f"{url}: no {marker}"

        def bare(sql: str = sql, params: dict = params) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        def page(url: str = url) -> None:
            client.get(url)

        sql_ms = timed(bare)
        function_ms = timed(function)
        page_ms = timed(page)
        print(f"{name:<11} {scope:<8} {sql_ms:>7.0f}ms {function_ms:>7.0f}ms {page_ms:>7.0f}ms "
              f"{page_ms / sql_ms:>8.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
