"""Benchmark: fifty committee members at once on the main pages and the API (locust, headless),
on the national data set, under gunicorn; then the same load with Redis stopped for the middle
third of the run, while the office returns visits (each return stores a reminder to send).

Prints, per page and overall: requests, failures, requests per second, p50 and p95; then, for
the outage run, the failures while Redis was down and whether every reminder stored during the
outage was sent exactly once after Redis came back (a real Celery worker, the portal's outbox).

Locust lives in its own virtual environment (``var/locust-venv``, made by ``make bench``): it
only speaks HTTP to the portal and shares none of its packages.
"""

import csv
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from _national import national_data_set, office_staff
from _setup import ROOT, machine, serve, setup, stop

PORT = 8767
USERS = 50
SECONDS = int(os.environ.get("BENCH_SECONDS", "90"))
PASSWORD = "bench-load-2026"
RETURNS_DURING_OUTAGE = 20
LOCUST = ROOT / "var" / "locust-venv" / "bin" / "locust"
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port",
               "6379", "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
               "--logfile", "/var/log/redis/ci.log"]  # fmt: skip
SERVICES = {
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "REDIS_URL": "redis://127.0.0.1:6379/1",
    "CACHE_URL": "redis://127.0.0.1:6379/2",
}


def redis_up() -> bool:
    return subprocess.run(["redis-cli", "ping"], capture_output=True).returncode == 0


def start_redis() -> None:
    subprocess.run(REDIS_START, check=True, capture_output=True)
    while not redis_up():
        time.sleep(0.1)


def stop_redis() -> None:
    subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True)
    while redis_up():
        time.sleep(0.1)


def run_locust(accounts: str, prefix: Path) -> dict[str, dict[str, str]]:
    env = {**os.environ, "LOAD_USERS": accounts, "LOAD_PASSWORD": PASSWORD}
    subprocess.run(
        [str(LOCUST), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
         "-u", str(USERS), "-r", "2", "-t", f"{SECONDS}s", "--host", f"http://127.0.0.1:{PORT}",
         "--csv", str(prefix), "--only-summary"],
        env=env, check=False, capture_output=True,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv", newline="") as stats:
        return {row["Name"]: row for row in csv.DictReader(stats)}


def print_stats(title: str, stats: dict[str, dict[str, str]]) -> None:
    print(f"\n{title}")
    print(f"{'page':<28} {'requests':>8} {'failed':>6} {'req/s':>6} {'p50':>7} {'p95':>7}")
    for name, row in sorted(stats.items(), key=lambda item: item[0] == "Aggregated"):
        print(f"{name:<28} {row['Request Count']:>8} {row['Failure Count']:>6} "
              f"{float(row['Requests/s']):>6.1f} {row['50%']:>5}ms {row['95%']:>5}ms")  # fmt: skip


def main() -> None:
    if not LOCUST.exists():
        raise SystemExit("locust is needed: make bench (it installs it into var/locust-venv)")
    os.environ.update(SERVICES)
    database_url = setup()
    from django.contrib.auth.hashers import make_password
    from django.db.models import F, Q, Value
    from django.db.models.functions import Concat

    from accounts.models import User
    from accounts.roles import sync_role_groups
    from oversight.models import Unit
    from visits import tasks
    from visits.models import (
        OutboxMessage,
        Reminder,
        ReminderKind,
        ReminderStatus,
        Visit,
        VisitStatus,
    )
    from visits.services import do_return_visit

    national_data_set()
    sync_role_groups()
    members = list(
        User.objects.filter(username__regex=r"^bench\.D[0-9]+\.[0-9]+$").order_by("username")[:60]
    )
    User.objects.filter(pk__in=[m.pk for m in members]).update(password=make_password(PASSWORD))
    # The data set's members have no email address; the reminders of the outage run need one.
    User.objects.filter(username__startswith="bench.", email="").update(
        email=Concat(F("username"), Value("@bench.invalid"))
    )
    accounts = ",".join(f"{m.username}:{m.username.split('.')[1]}" for m in members)
    server_env = {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", **SERVICES}
    out = ROOT / "var" / "bench-load"
    out.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}; PostgreSQL; gunicorn 3 workers × 4 threads (keep-alive 5 s); "
          f"locust {USERS} users arriving 2 a second, 1–3 s between requests, "
          f"{SECONDS} s per run")  # fmt: skip
    if not redis_up():
        start_redis()
    # Keep-alive longer than a user's pause, so that the server never closes a connection the
    # client is about to reuse.
    gthread = ["--workers", "3", "--threads", "4", "--worker-class", "gthread", "--keep-alive", "5"]
    server = serve(PORT, gthread, server_env)
    try:
        print_stats("steady load", run_locust(accounts, out / "steady"))

        # The outage run: Redis stops after a third of the run and returns after two thirds;
        # meanwhile a district office returns visits, each storing a reminder to its member.
        district = Unit.objects.get(code=members[0].username.split(".")[1])
        office = office_staff(district)
        waiting = list(
            Visit.objects.visible_to(User.objects.get(pk=office.pk))
            .filter(status=VisitStatus.SUBMITTED)
            .order_by("pk")[:RETURNS_DURING_OUTAGE]
        )
        returned: list[int] = []

        def outage() -> None:
            time.sleep(SECONDS / 3)
            stop_redis()
            for visit in waiting:
                do_return_visit(User.objects.get(pk=office.pk), visit, "Bổ sung biên bản")
                returned.append(visit.pk)
            time.sleep(SECONDS / 3 - 1)
            start_redis()

        thread = threading.Thread(target=outage)
        thread.start()
        stats = run_locust(accounts, out / "outage")
        thread.join()
        print_stats("Redis stopped for the middle third", stats)
        print(f"failures over the outage run: {stats['Aggregated']['Failure Count']}")
    finally:
        stop(server)
        if not redis_up():
            start_redis()

    # Redis is back: a worker and beat's tick send what waited, each once.
    about_returns = Q(pk__in=[])
    for pk in returned:
        about_returns |= Q(subject__startswith=f"visit:{pk}:returned:")
    reminders = Reminder.objects.filter(about_returns, kind=ReminderKind.RETURNED_VISIT)
    pending = reminders.filter(status=ReminderStatus.PENDING).count()
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--pool", "solo",
         "--loglevel", "WARNING"],
        cwd=ROOT, env={**os.environ, **server_env}, start_new_session=True,
    )  # fmt: skip
    try:
        tasks.dispatch_pending()  # what beat's next tick ends with
        deadline = time.monotonic() + 120
        unfinished = [ReminderStatus.PENDING, ReminderStatus.SENDING]
        while time.monotonic() < deadline and reminders.filter(status__in=unfinished).exists():
            time.sleep(1)
    finally:
        stop(worker, 60)
    sent = reminders.filter(status=ReminderStatus.SENT)
    delivered = OutboxMessage.objects.filter(message_id__in=[r.message_id for r in sent]).count()
    print(f"visits returned while Redis was down: {len(returned)}; their reminders pending "
          f"after the outage: {pending}; sent once Redis was back: {sent.count()}; failed: "
          f"{reminders.filter(status=ReminderStatus.FAILED).count()}; messages in the outbox: "
          f"{delivered}")  # fmt: skip


if __name__ == "__main__":
    main()
