"""The day the suite runs on, whatever the machine's clock says.

``conftest.py`` starts time-machine at this instant before anything is collected, and moves
back to it before every test, so no outcome depends on the day or the hour of the run. A test
that needs another day travels there with the ``time_machine`` fixture (``move_to(local(...))``).
A Python process that a test starts gets the same instant through ``frozen_command``.
"""

from __future__ import annotations

import datetime
import os
import sys
import zoneinfo

PORTAL_ZONE = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
# A Wednesday in the middle of a month and a quarter, after October's books closed.
TODAY = datetime.date(2026, 11, 18)
FROZEN_NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=PORTAL_ZONE)
# The variable ``tests.frozen_process`` reads: the instant, ISO 8601 with its offset.
FROZEN_NOW_VARIABLE = "PORTAL_TEST_NOW"


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A moment of the portal's wall clock (Asia/Ho_Chi_Minh), to travel to."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PORTAL_ZONE)


def frozen_command(*arguments: str) -> list[str]:
    """``python -m <module> …`` (or ``python <script>.py …``) as a process that starts on this
    process's instant; run it with ``frozen_environment()``."""
    return [sys.executable, "-m", "tests.frozen_process", *arguments]


def now() -> datetime.datetime:
    """The instant this test is at (frozen, or where it travelled), on the portal's wall clock."""
    return datetime.datetime.now(PORTAL_ZONE)


def frozen_environment() -> dict[str, str]:
    """The environment for ``frozen_command``: this process's own, and its current instant."""
    return {**os.environ, FROZEN_NOW_VARIABLE: now().isoformat()}
