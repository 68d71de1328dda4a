"""Point Django at a throw-away benchmark database (PostgreSQL by default) and migrate it."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/oversight_bench"


def setup() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    parsed = urlparse(url)
    if parsed.scheme.startswith("postgres"):
        import psycopg

        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            name = parsed.path.lstrip("/")
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return url


def machine() -> str:
    import platform

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def serve(port: int, options: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """gunicorn with ``options`` on ``port`` in a session of its own (``stop`` it), once it
    answers the login page."""
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", *options],
        cwd=ROOT, env={**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", **env},
        start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen[bytes], seconds: int = 30) -> None:
    """Stop a process started in a session of its own (``serve``, a worker) and its children."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=seconds)


def vacuum(*models: Any) -> None:
    """VACUUM (FULL, ANALYZE) the tables of ``models``: a benchmark that rolls its writes back
    leaves their dead rows behind (autovacuum is off on the machines the figures were taken on),
    and even vacuumed, a table and its indexes stay the size the writes made them (the reminder
    run rewrites every summary row: 126 -> 234 MB). Rewritten, they are as the next benchmark
    would find them had nothing run before it."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            # The table's name comes from the model's own meta.
            cursor.execute(f'VACUUM (FULL, ANALYZE) "{model._meta.db_table}"')


def peak_rss_mib() -> float:
    """The process's resident-set high-water mark so far, in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(action: Callable[[], object], runs: int = 3) -> float:
    """The median of ``runs`` runs of ``action``, in milliseconds."""
    import statistics

    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def signed_in(username: str, password: str) -> Any:
    """A test client signed in as a person of the portal is: password, then a code from a
    confirmed authenticator (one is set up for the benchmark's person if they have none)."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    client = Client()
    answer = client.post("/login/", {"username": username, "password": password})
    assert answer.status_code == 302, f"sign-in refused: {answer.status_code}"
    # The next time step's code: the one used at an earlier sign-in is never accepted again.
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=device.drift + 1):06d}"
    answer = client.post("/account/two-factor/verify/", {"code": code})
    assert answer.status_code == 302 and "/account/" not in answer["Location"], answer
    return client


RESULT = re.compile(r"RESULT (.*)")


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    """wrk (two threads) against ``url`` for 3 s to warm up, then for ``seconds``; its figures
    (``bench/wrk_stats.lua``: rps, p50, p95, p99 in ms, requests, non2xx, errors)."""
    script = str(ROOT / "bench" / "wrk_stats.lua")
    options = ["-t2", f"-c{connections}", "--latency", "-s", script]
    for name, value in headers.items():
        options += ["-H", f"{name}: {value}"]
    subprocess.run(["wrk", "-d3s", *options, url], capture_output=True, check=True)
    output = subprocess.run(
        ["wrk", f"-d{seconds}s", *options, url], capture_output=True, text=True, check=True
    ).stdout
    match = RESULT.search(output)
    if match is None:
        raise SystemExit(output)
    return {key: float(value) for key, value in (p.split("=") for p in match.group(1).split())}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def http_signed_in(base: str, username: str, password: str) -> tuple[Any, str]:
    """Sign in over HTTP as a person does (the login form, then a TOTP code from a confirmed
    authenticator, set up for the benchmark's person if they have none): an opener that does
    not follow redirects, and the session's Cookie header for a load generator."""
    import http.cookiejar
    import urllib.parse

    from django.contrib.auth import get_user_model
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)

    def post(path: str, fields: dict[str, str]) -> int:
        opener.open(f"{base}{path}").read()
        token = next(c.value for c in jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(f"{base}{path}", body, headers={"Referer": base})
        try:
            return opener.open(request).status
        except urllib.error.HTTPError as answer:
            return answer.code

    assert post("/login/", {"username": username, "password": password}) == 302, username
    # The next time step's code: the one used at an earlier sign-in is never accepted again.
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=device.drift + 1):06d}"
    assert post("/account/two-factor/verify/", {"code": code}) == 302, f"{username}: code"
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    return opener, cookies
