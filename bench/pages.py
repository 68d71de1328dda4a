"""Benchmark: the portal's pages under gunicorn against a bare Django view under the same gunicorn.

On the national data set (``_national.py``, built once). The floor is a Django view rendering a
small template (50 table rows), no database, no middleware, in a project of its own made in a
temporary folder, under gunicorn with the same two sync workers and the same Django; the pages
are the portal's, each requested by a person of its role signed in over HTTP with password and
TOTP code (the API with a token). wrk, two threads and ``CONNECTIONS`` connections, 3 s to
warm up and ``SECONDS`` per case, all on the same machine as gunicorn and PostgreSQL. Before a
page is timed it is fetched once and must answer 200 with its marker; every timed answer must
be 2xx (wrk's non-2xx count is printed and must be 0).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _national import national_data_set, office_staff
from _setup import http_signed_in, machine, serve, setup, stop, wrk

PORT, FLOOR_PORT = 8771, 8772
WORKERS = 2
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "20"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
PASSWORD = "bench-pages-2026"
CACHE = {"CACHE_URL": "redis://127.0.0.1:6379/2"}

FLOOR_SETTINGS = """
SECRET_KEY = "floor"; DEBUG = False; ALLOWED_HOSTS = ["*"]; ROOT_URLCONF = "floor.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
              "DIRS": [__import__("pathlib").Path(__file__).parent / "templates"]}]
DATABASES = {}; USE_TZ = True
"""
FLOOR_URLS = """
from django.shortcuts import render
from django.urls import path
def page(request):
    return render(request, "page.html", {"rows": range(50)})
urlpatterns = [path("", page)]
"""
FLOOR_TEMPLATE = (
    "<html><body><table>{% for r in rows %}<tr><td>{{ r }}</td><td>Xã {{ r }}</td></tr>"
    "{% endfor %}</table></body></html>"
)


def floor() -> dict[str, float]:
    """The bare Django view's figures under the same gunicorn."""
    folder = Path(tempfile.mkdtemp())
    package = folder / "floor"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(FLOOR_SETTINGS)
    (package / "urls.py").write_text(FLOOR_URLS)
    (package / "wsgi.py").write_text(
        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"
    )
    (package / "templates" / "page.html").write_text(FLOOR_TEMPLATE)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "floor.wsgi:application",
         "--workers", str(WORKERS), "--bind", f"127.0.0.1:{FLOOR_PORT}", "--log-level", "warning"],
        cwd=folder, env={**os.environ, "DJANGO_SETTINGS_MODULE": "floor.settings"},
        start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{FLOOR_PORT}/").read()
                assert body.count(b"<tr>") == 50
                break
            except OSError:
                time.sleep(0.2)
        return wrk(f"http://127.0.0.1:{FLOOR_PORT}/", SECONDS, CONNECTIONS, {})
    finally:
        stop(server)
        shutil.rmtree(folder)


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    os.environ.update(CACHE)
    database_url = setup()
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from accounts.roles import sync_role_groups
    from oversight.models import Level, Unit

    national_data_set()
    hanoi = Unit.objects.get(code="P01")
    district = Unit.objects.filter(parent=hanoi, level=Level.DISTRICT).order_by("code").first()
    assert district is not None

    member = User.objects.filter(username=f"bench.{district.code}.1").get()
    people = {
        "member": member,
        "district office": office_staff(district),
        "Hà Nội office": office_staff(hanoi),
    }
    User.objects.filter(pk__in=[p.pk for p in people.values()]).update(
        password=make_password(PASSWORD)
    )
    sync_role_groups()
    token = Token.objects.get_or_create(user=people["Hà Nội office"])[0].key
    code = district.code
    cases = [
        ("near-empty page (reminder settings)", "district office", "/my/reminders/",
         'name="kind"'),
        ("/my/ (a member's work)", "member", "/my/", 'data-testid="progress"'),
        (f"a district's page (/units/{code}/)", "district office", f"/units/{code}/",
         'data-testid="unit-meetings"'),
        (f"compliance of district {code}", "district office",
         f"/reports/compliance/?unit={code}", 'data-testid="compliance-table"'),
        ("/visits/ (Hà Nội's list)", "Hà Nội office", "/visits/", 'data-testid="visit-list"'),
        ("API visit list, by key (the default)", "token", "/api/v1/visits/", '"next"'),
        ("API visit list, counted (?paging=count)", "token", "/api/v1/visits/?paging=count",
         '"count"'),
    ]  # fmt: skip
    base = f"http://127.0.0.1:{PORT}"
    print(f"machine: {machine()}; PostgreSQL; gunicorn {WORKERS} sync workers (portal and floor); "
          f"wrk 2 threads, {CONNECTIONS} connections, {SECONDS} s per case")  # fmt: skip
    bare = floor()
    print(f"{'case':<40} {'req/s':>7} {'of floor':>8} {'p50':>8} {'p99':>8} {'non-2xx':>7}")
    print(f"{'bare Django view (the floor)':<40} {bare['rps']:>7.1f} {'100 %':>8} "
          f"{bare['p50']:>6.1f}ms {bare['p99']:>6.1f}ms {int(bare['non2xx']):>7}")  # fmt: skip
    server = serve(
        PORT,
        ["--workers", str(WORKERS)],
        {"DATABASE_URL": database_url, "API_LOGIN_THROTTLE": "1000/min", **CACHE},
    )
    try:
        sessions = {
            role: http_signed_in(base, person.username, PASSWORD) for role, person in people.items()
        }
        for name, role, url, marker in cases:
            if role == "token":
                headers = {"Authorization": f"Token {token}"}
                opener = urllib.request.build_opener()
            else:
                opener, cookies = sessions[role]
                headers = {"Cookie": cookies}
            answer = opener.open(urllib.request.Request(f"{base}{url}", headers=headers))
            body = answer.read().decode()
            assert answer.status == 200, f"{url}: {answer.status}"
            assert marker in body, f"{url}: no {marker}"
            figures = wrk(f"{base}{url}", SECONDS, CONNECTIONS, headers)
            assert figures["non2xx"] == 0 and figures["errors"] == 0, figures
            print(f"{name:<40} {figures['rps']:>7.1f} {100 * figures['rps'] / bare['rps']:>6.1f} % "
                  f"{figures['p50']:>6.1f}ms {figures['p99']:>6.1f}ms "
                  f"{int(figures['non2xx']):>7}")  # fmt: skip
    finally:
        stop(server)


if __name__ == "__main__":
    main()
