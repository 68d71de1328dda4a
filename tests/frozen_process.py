"""Run a Python module or script on the suite's clock: ``python -m tests.frozen_process celery -A
config worker`` or ``… manage.py check``. The instant comes from ``PORTAL_TEST_NOW`` (set by
``tests.clock.frozen_environment``); without it the process refuses to start rather than read
the machine's clock."""

import datetime
import os
import runpy
import sys

import time_machine

from tests.clock import FROZEN_NOW_VARIABLE


def main() -> None:
    instant = os.environ.get(FROZEN_NOW_VARIABLE)
    if not instant:
        sys.exit(f"{FROZEN_NOW_VARIABLE} is not set: give the process the suite's clock")
    time_machine.travel(datetime.datetime.fromisoformat(instant)).start()
    target, *arguments = sys.argv[1:]
    sys.argv = [target, *arguments]
    if target.endswith(".py"):
        runpy.run_path(target, run_name="__main__")
    else:
        runpy.run_module(target, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
