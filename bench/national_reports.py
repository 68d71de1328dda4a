"""Benchmark: the reports over a national data set, against one hand-written SQL aggregate each.

Builds (once; it is kept in the benchmark database) every commune of the country with ten
cells each (~100,000 cells), ~8,000 members (16 per province, 10 per district), their
assignments, twelve months of regular meetings (~1.2 million) and a visit for four cells of each
assigned commune every month (~1 million visits). Then times, for one province (Hà Nội) and
for the whole country, the report function, the whole page (HTML through the Django test
client) and the bare SQL aggregate that counts the same visits, and prints the ratio.
"""

import statistics
import time
from collections.abc import Callable

from _setup import ROOT, machine, setup

RUNS = 3


def timed(action: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def build(cursor, first_month: str, term_id: int, term_start: str) -> None:
    """The national data set, in a few INSERT … SELECT statements."""
    steps = [
        (
            "members",
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                email, is_staff, is_active, date_joined, full_name, phone)
            SELECT '!', false, 'bench.' || u.code || '.' || g, '', '', '', false, true, now(),
                   'Cán bộ ' || u.code || ' số ' || g, ''
            FROM oversight_unit u
            CROSS JOIN LATERAL generate_series(1, CASE WHEN u.level = 'province' THEN 16 ELSE 10 END) g
            WHERE u.level IN ('province', 'district')""",
        ),
        (
            "positions",
            """
            INSERT INTO accounts_position (role, title, start_date, end_date, term_id, unit_id, user_id)
            SELECT 'executive_member', '', %(term_start)s, NULL, %(term_id)s, u.id, usr.id
            FROM accounts_user usr JOIN oversight_unit u ON u.code = split_part(usr.username, '.', 2)
            WHERE usr.username LIKE 'bench.%%'""",
        ),
        (
            "assignments",
            """
            WITH communes AS (
                SELECT c.id, c.parent_id, split_part(c.path, '/', 1) AS province,
                       row_number() OVER (PARTITION BY c.parent_id ORDER BY c.code) AS in_district,
                       count(*) OVER (PARTITION BY c.parent_id) AS per_district,
                       row_number() OVER (PARTITION BY split_part(c.path, '/', 1) ORDER BY c.code) AS in_province,
                       count(*) OVER (PARTITION BY split_part(c.path, '/', 1)) AS per_province
                FROM oversight_unit c WHERE c.level = 'commune'),
            members AS (
                SELECT usr.id, u.id AS unit_id, u.level, u.code,
                       split_part(usr.username, '.', 3)::int AS n
                FROM accounts_user usr JOIN oversight_unit u ON u.code = split_part(usr.username, '.', 2)
                WHERE usr.username LIKE 'bench.%%')
            INSERT INTO assignments_assignment (kind, start_date, end_date, note, created_at,
                assigned_by_id, member_id, term_id, unit_id)
            SELECT DISTINCT 'in_charge', %(term_start)s::date, NULL::date, '', now(), NULL::bigint,
                   m.id, %(term_id)s::bigint, c.id
            FROM members m JOIN communes c ON
                 (m.level = 'district' AND c.parent_id = m.unit_id
                  AND c.in_district IN ((m.n * 3) %% c.per_district + 1,
                                        (m.n * 3 + 1) %% c.per_district + 1,
                                        (m.n * 3 + 2) %% c.per_district + 1))
              OR (m.level = 'province' AND c.province = m.code
                  AND c.in_province IN ((m.n * 2) %% c.per_province + 1,
                                        (m.n * 2 + 1) %% c.per_province + 1))""",
        ),
        (
            "meetings",
            """
            INSERT INTO visits_meeting (kind, month, date, time, place, topic, status, original_date,
                change_reason, self_points, self_total, self_rating, cell_id)
            SELECT 'regular', m::date, (m + make_interval(days => (c.id %% 25)::int))::date, NULL, '',
                   '', 'planned', NULL, '', NULL, NULL,
                   CASE WHEN c.id %% 7 = 0 THEN 'fair' ELSE '' END, c.id
            FROM oversight_unit c
            CROSS JOIN generate_series(%(first_month)s::date, date_trunc('month', now())::date,
                                       interval '1 month') m
            WHERE c.level = 'cell'""",
        ),
        (
            "visits",
            """
            INSERT INTO visits_visit (kind, date, field_type, members_present, members_total,
                findings, recommendations, follow_up_needed, attachment, score_points, score_total,
                rating, status, submitted_at, reviewed_at, review_comment, client_token, created_at,
                updated_at, logged_by_id, meeting_id, member_id, reviewed_by_id, unit_id,
                assignment_id, accepted_late)
            SELECT 'meeting', mt.date, '', 18, 20, 'Chi bộ sinh hoạt đúng giờ.', '', false, '',
                   NULL, NULL, (ARRAY['good', 'fair', 'average', 'poor'])[1 + (mt.id %% 4)],
                   CASE WHEN (mt.id + a.id) %% 20 = 0 THEN 'returned'
                        WHEN (mt.id + a.id) %% 10 = 1 THEN 'submitted' ELSE 'accepted' END,
                   mt.date + time '21:00', mt.date + time '21:00' + interval '3 days', '',
                   gen_random_uuid(), now(), now(), a.member_id, mt.id, a.member_id, NULL,
                   mt.cell_id, a.id, (mt.id %% 10 = 3)
            FROM assignments_assignment a
            JOIN oversight_unit cell ON cell.parent_id = a.unit_id AND cell.level = 'cell'
                 AND right(cell.code, 2) IN ('01', '02', '03', '04')
            JOIN visits_meeting mt ON mt.cell_id = cell.id AND mt.date <= current_date""",
        ),
    ]
    params = {"first_month": first_month, "term_id": term_id, "term_start": term_start}
    for name, sql in steps:
        started = time.perf_counter()
        cursor.execute(sql, params)
        print(f"  built {name}: {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s")
    cursor.execute("ANALYZE")


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


def main() -> None:
    setup()
    import datetime

    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from oversight import reports
    from oversight.importing import UnitRow, import_units, read_unit_file
    from oversight.models import Level, Term, Unit
    from visits.models import Visit, add_months

    today = datetime.date.today()
    last = today.replace(day=1)
    first = add_months(last, -11)
    end = add_months(last, 1) - datetime.timedelta(days=1)
    if Unit.objects.filter(level=Level.CELL).count() < 100_000:
        national = read_unit_file(ROOT / "seeds" / "vn-divisions-3-level.csv")
        import_units(national)
        communes = [row.code for row in national if row.level == Level.COMMUNE]
        import_units(
            [UnitRow(0, f"{c}-{i:02d}", f"Chi bộ thôn {i}", Level.CELL, "chi bộ", c)
             for c in communes for i in range(1, 11)]
        )  # fmt: skip
    if not Visit.objects.exists():
        term = Term.objects.get(name="2025–2030")
        print("building the national data set (once):")
        with connection.cursor() as cursor:
            build(cursor, first.isoformat(), term.pk, term.start_date.isoformat())
    admin, _ = User.objects.get_or_create(
        username="bench.admin", defaults={"is_superuser": True, "is_staff": True}
    )
    counts = {
        "units": Unit.objects.count(),
        "members": User.objects.filter(username__startswith="bench.").count(),
        "visits": Visit.objects.count(),
    }
    print(f"machine: {machine()}; PostgreSQL; {counts}")
    client = Client()
    client.force_login(admin)
    hanoi = Unit.objects.get(code="P01")
    month_args = f"start={first:%Y-%m}&end={last:%Y-%m}"
    cases = [
        ("compliance", "Hà Nội", f"/reports/compliance/?unit=P01&{month_args}",
         lambda: reports.compliance(User.objects.get(pk=admin.pk), hanoi, first, last),
         BARE_COMPLIANCE, {"prefix": "P01/%", "start": first, "end": end}),
        ("compliance", "country", f"/reports/compliance/?{month_args}",
         lambda: reports.compliance(User.objects.get(pk=admin.pk), None, first, last),
         BARE_COMPLIANCE, {"prefix": "%", "start": first, "end": end}),
        ("coverage", "Hà Nội", "/reports/coverage/?unit=P01&months=3",
         lambda: reports.coverage(User.objects.get(pk=admin.pk), hanoi, 3),
         BARE_COVERAGE, {"prefix": "P01/%", "since": add_months(last, -2)}),
        ("coverage", "country", "/reports/coverage/?months=3",
         lambda: reports.coverage(User.objects.get(pk=admin.pk), None, 3),
         BARE_COVERAGE, {"prefix": "%", "since": add_months(last, -2)}),
        ("quality", "Hà Nội", f"/reports/quality/?unit=P01&{month_args}",
         lambda: reports.quality(User.objects.get(pk=admin.pk), hanoi, first, last),
         BARE_QUALITY, {"prefix": "P01/%", "depth": 2, "start": first, "end": end}),
        ("quality", "country", f"/reports/quality/?{month_args}",
         lambda: reports.quality(User.objects.get(pk=admin.pk), None, first, last),
         BARE_QUALITY, {"prefix": "%", "depth": 1, "start": first, "end": end}),
    ]  # fmt: skip
    print(
        f"{'report':<11} {'scope':<8} {'bare SQL':>9} {'function':>9} {'page':>9} {'page/SQL':>9}"
    )
    for name, scope, url, function, sql, params in cases:

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
