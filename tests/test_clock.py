"""The suite's clock: frozen for every test and every process a test starts, and checked.

Two guards keep a run from depending on its day: at run time, ``conftest.py`` freezes the clock
before collection and refuses a Python subprocess that would not share it; in the source, no
test reads the wall clock itself (it states its day, or travels there), and the portal's own
code asks ``oversight.clock.local_today()`` for "today", never the server's date.
"""

import ast
import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from oversight.clock import local_today
from tests.clock import FROZEN_NOW, TODAY, frozen_command, frozen_environment, local, now

ROOT = Path(settings.BASE_DIR)
PRODUCT = ["config", "oversight", "accounts", "assignments", "visits", "bench"]

# (name the function hangs on, function): calls that read the machine's clock.
WALL_CLOCK = {
    ("date", "today"),
    ("datetime", "today"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("time", "time"),
    ("time", "time_ns"),
    ("timezone", "now"),
    ("timezone", "localdate"),
    ("timezone", "localtime"),
}
# In the product an instant (timezone.now(), an aware datetime.now(tz)) is fine; "today" is not.
SERVER_TODAY = {
    ("date", "today"),
    ("datetime", "today"),
    ("datetime", "utcnow"),
    ("timezone", "localdate"),
}


def clock_reads(source: str, forbidden: set[tuple[str, str]]) -> list[tuple[int, str]]:
    """Line and text of every call in ``source`` to one of ``forbidden`` (a ``localtime`` or
    ``datetime.now`` given a value or a zone converts rather than reads, for the product)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        call = (owner_name, node.func.attr)
        naive_now = call == ("datetime", "now") and not node.args and not node.keywords
        if call in forbidden or (forbidden is SERVER_TODAY and naive_now):
            if call == ("timezone", "localtime") and node.args:
                continue
            found.append((node.lineno, ast.unparse(node)))
    return found


def python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def test_no_test_reads_the_wall_clock():
    """Tests state their day (``tests.clock``) or travel (``time_machine``); they ask the portal
    (``local_today()``) when they mean the day the portal is on."""
    allowed = {ROOT / "tests" / "clock.py"}
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in python_files("tests")
        if path not in allowed
        for line, text in clock_reads(path.read_text(), WALL_CLOCK)
    ]
    assert offenders == []


def test_the_portal_asks_one_helper_for_today():
    allowed = {ROOT / "oversight" / "clock.py"}
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in python_files(*PRODUCT)
        if path not in allowed and "migrations" not in path.parts
        for line, text in clock_reads(path.read_text(), SERVER_TODAY)
    ]
    templates = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if "{% now" in path.read_text()
    ]
    assert offenders == [] and templates == []


@pytest.mark.parametrize(
    "source, flagged",
    [
        ("TODAY = datetime.date.today()", True),
        ("x = date.today() + delta", True),
        ("stamp = time.time()", True),
        ("when = timezone.now()", True),
        ("day = timezone.localdate()", True),
        ("local = timezone.localtime()", True),
        ("local = timezone.localtime(value)", False),
        ("day = local_today()", False),
        ("day = TODAY + datetime.timedelta(days=1)", False),
    ],
)
def test_the_source_guard_catches_a_wall_clock_read(source, flagged):
    assert bool(clock_reads(source, WALL_CLOCK)) is flagged


@pytest.mark.parametrize(
    "source, flagged",
    [
        ("day = datetime.date.today()", True),
        ("day = timezone.localdate()", True),
        ("stamp = datetime.datetime.now()", True),
        ("stamp = datetime.datetime.utcnow()", True),
        ("stamp = datetime.datetime.now(datetime.UTC)", False),
        ("stamp = timezone.now()", False),
        ("day = local_today()", False),
    ],
)
def test_the_product_guard_catches_the_servers_date(source, flagged):
    assert bool(clock_reads(source, SERVER_TODAY)) is flagged


def test_every_test_starts_on_the_frozen_day():
    assert local_today() == TODAY
    assert datetime.timedelta(0) <= now() - FROZEN_NOW < datetime.timedelta(seconds=30)


def test_a_test_travels_explicitly(time_machine):
    time_machine.move_to(local(2028, 2, 29, 23, 59))
    assert local_today() == datetime.date(2028, 2, 29)
    time_machine.move_to(datetime.datetime(2028, 2, 29, 17, 0, tzinfo=datetime.UTC))
    assert local_today() == datetime.date(2028, 3, 1)  # midnight in Hà Nội


@pytest.mark.time_machine(local(2027, 1, 1, 0, 5))
def test_a_marker_travels_before_the_fixtures():
    assert local_today() == datetime.date(2027, 1, 1)


def test_a_python_process_on_the_machines_clock_is_refused():
    with pytest.raises(RuntimeError, match="frozen_command"):
        subprocess.run([sys.executable, "-c", "print(1)"], check=False)


PRINT_TODAY = "import oversight.clock as clock; print(clock.local_today())"


def test_a_process_started_through_the_frozen_command_shares_the_day(time_machine):
    time_machine.move_to(local(2028, 2, 29, 12))
    printed = subprocess.run(
        frozen_command(
            "manage.py", "shell", "-c", "import oversight.clock as c; print(c.local_today())"
        ),
        cwd=ROOT,
        env=frozen_environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed.splitlines()[-1] == "2028-02-29"
