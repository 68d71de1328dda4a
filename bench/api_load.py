"""Benchmark: the API under gunicorn (2 sync workers) with wrk as the load generator.

On the national data set (``_national.py``, built once), as the provincial office of Hà Nội
(a scope of ~5,800 units and ~45,000 visits) with a token, it measures requests per second
and latency (p50, p95, p99) of

- ``GET /api/v1/visits/?paging=count`` (the first page of 50, newest first, with its count),
  also as the office of one district,
- ``GET /api/v1/visits/?offset=5000`` (a page deep in the list),
- ``GET /api/v1/reports/compliance/`` for one district over three months, and for the whole
  province over six.

wrk (Debian's package ``wrk``) runs on the same two cores as gunicorn and PostgreSQL, so the
figures are what this one machine does alone, not a server's ceiling.
"""

import os
import shutil

from _national import national_data_set, office_staff
from _setup import machine, serve, setup, stop, wrk

PORT = 8765
WORKERS = 2
CONNECTIONS = 4
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))


def load(url: str, token: str) -> dict[str, float]:
    return wrk(
        f"http://127.0.0.1:{PORT}{url}", SECONDS, CONNECTIONS, {"Authorization": f"Token {token}"}
    )


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    database_url = setup()
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from accounts.roles import sync_role_groups
    from oversight.models import Level, Unit
    from visits.models import Visit, add_months

    _first, last = national_data_set()
    sync_role_groups()
    hanoi = Unit.objects.get(code="P01")
    district = Unit.objects.filter(parent=hanoi, level=Level.DISTRICT).order_by("code").first()
    assert district is not None

    def office_token(unit: Unit) -> str:
        office = office_staff(unit, f"bench.api.{unit.code}")
        return Token.objects.get_or_create(user=office)[0].key

    token, district_token = office_token(hanoi), office_token(district)
    in_scope = Visit.objects.visible_to(User.objects.get(username="bench.api.P01")).count()
    print(f"machine: {machine()}; PostgreSQL; gunicorn {WORKERS} sync workers; "
          f"wrk 2 threads, {CONNECTIONS} connections, {SECONDS} s per case")  # fmt: skip
    print(f"scope: Hà Nội ({hanoi.code}), {in_scope:,} visits of {Visit.objects.count():,}")
    three = f"from={add_months(last, -2):%Y-%m}&to={last:%Y-%m}"
    six = f"from={add_months(last, -5):%Y-%m}&to={last:%Y-%m}"
    cases = [
        ("visits, first page", "/api/v1/visits/?paging=count", token),
        ("visits, offset 5000", "/api/v1/visits/?offset=5000", token),
        (f"visits, first page, {district.code} office", "/api/v1/visits/?paging=count",
         district_token),
        (f"compliance, district {district.code}, 3 months",
         f"/api/v1/reports/compliance/?unit={district.code}&{three}", token),
        ("compliance, Hà Nội, 6 months", f"/api/v1/reports/compliance/?unit=P01&{six}", token),
    ]  # fmt: skip
    server = serve(
        PORT,
        ["--workers", str(WORKERS)],
        {"DATABASE_URL": database_url, "API_LOGIN_THROTTLE": "1000/min"},
    )
    try:
        print(f"{'case':<36} {'req/s':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'requests':>9} "
              f"{'failed':>6}")  # fmt: skip
        for name, url, case_token in cases:
            figures = load(url, case_token)
            failed = int(figures["non2xx"] + figures["errors"])
            print(f"{name:<36} {figures['rps']:>7.1f} {figures['p50']:>6.1f}ms "
                  f"{figures['p95']:>6.1f}ms {figures['p99']:>6.1f}ms "
                  f"{int(figures['requests']):>9} {failed:>6}")  # fmt: skip
    finally:
        stop(server)


if __name__ == "__main__":
    main()
