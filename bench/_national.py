"""The national data set the benchmarks share: built once, kept in the benchmark database.

Every commune of the country with ten cells each (~100,000 cells), ~8,000 members (16 per
province, 10 per district), their assignments, twelve months of regular meetings (~1.2 million)
and a visit for four cells of each assigned commune every month (~1 million visits).
"""

import datetime
import time

from _setup import ROOT


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
                change_reason, self_points, self_total, self_rating, cell_id, ratings_diverge)
            SELECT 'regular', m::date, (m + make_interval(days => (c.id %% 25)::int))::date, NULL, '',
                   '', 'planned', NULL, '', NULL, NULL,
                   CASE WHEN c.id %% 7 = 0 THEN 'fair' ELSE '' END, c.id, false
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
    settle(cursor)


def settle(cursor) -> None:
    """VACUUM and ANALYZE the whole database, as autovacuum would soon after a load in
    production. The machines the figures are taken on run with autovacuum off, and a data set
    only analysed has no visibility map: every index-only scan of the reports would go back to
    the table for each row, which no production database does for long."""
    cursor.execute("VACUUM ANALYZE")


def national_data_set() -> tuple[datetime.date, datetime.date]:
    """Build the data set unless it is there; the first and the last of its twelve months."""
    from django.db import connection, transaction

    from oversight.clock import local_today
    from oversight.importing import UnitRow, import_units, read_unit_file
    from oversight.models import Level, Term, Unit
    from visits.models import AttendanceTally, RatingTally, Visit, add_months
    from visits.tallies import rebuild_tallies

    today = local_today()
    last = today.replace(day=1)
    first = add_months(last, -11)
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
    if not AttendanceTally.objects.exists() or not RatingTally.objects.exists():
        # The SQL above writes around the models: the summary is built from the raw rows once,
        # as ``manage.py rebuild_tallies`` does after such a load.
        started = time.perf_counter()
        with transaction.atomic():
            rebuild_tallies()
        with connection.cursor() as cursor:
            settle(cursor)
        print(
            f"  built the summaries: {AttendanceTally.objects.count():,} attendance rows, "
            f"{RatingTally.objects.count():,} rating rows in {time.perf_counter() - started:.1f} s"
        )
    return first, last


def office_staff(unit, username: str = ""):
    """The office staff of ``unit`` in the current term (made once; ``bench.office.<code>``
    unless another username is asked for), as the benchmarks sign in or act."""
    from accounts.models import Position, User
    from accounts.roles import Role
    from oversight.models import Term

    person, _ = User.objects.get_or_create(
        username=username or f"bench.office.{unit.code}",
        defaults={"full_name": f"Văn phòng {unit.name}"},
    )
    if not person.positions.exists():
        term = Term.objects.get(name="2025–2030")
        Position.objects.create(
            user=person, unit=unit, role=Role.OFFICE_STAFF, term=term, start_date=term.start_date
        )
    return person
