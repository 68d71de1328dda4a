"""Shared fixtures: a small three-level tree and one person per role, plus outsiders.

Every scoping test has an owner (someone whose subtree holds the object), a member of
another tenant and a user with no position at all.
"""

import datetime
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from time_machine import TimeMachineFixture, escape_hatch, travel

from accounts.models import User
from accounts.roles import Role
from oversight.clock import local_today
from oversight.models import Level, Unit
from tests.clock import FROZEN_NOW
from tests.factories import AssignmentFactory, PositionFactory, UnitFactory, UserFactory
from visits.models import Meeting, MeetingSchedule, add_months

# -- the clock ---------------------------------------------------------------------------------
# The whole run, collection included, sees the frozen instant (``tests/clock.py``): a module-level
# date in a test file is the frozen day too. Each test starts again at that instant.
_suite_clock = travel(FROZEN_NOW)
_real_popen_init = subprocess.Popen.__init__


def _popen_on_the_suite_clock(
    self: subprocess.Popen, args: Any, *rest: Any, **options: Any
) -> None:
    """A Python process started by a test would read the machine's clock: refuse it unless it
    runs through ``tests.frozen_process`` (``tests.clock.frozen_command``)."""
    argv = [args] if isinstance(args, str | bytes | os.PathLike) else list(args)
    program = os.path.basename(os.fsdecode(argv[0])) if argv else ""
    if program.startswith("python") and "tests.frozen_process" not in map(os.fsdecode, argv):
        raise RuntimeError(
            f"{argv!r} would run on the machine's clock: start it with tests.clock.frozen_command"
        )
    _real_popen_init(self, args, *rest, **options)


def pytest_configure(config: pytest.Config) -> None:
    _suite_clock.start()
    subprocess.Popen.__init__ = _popen_on_the_suite_clock  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    subprocess.Popen.__init__ = _real_popen_init  # type: ignore[method-assign]
    _suite_clock.stop()


# -- the access epoch --------------------------------------------------------------------------
# Its triggers fire when a transaction commits (accounts migration 0007); a test's own
# transaction is rolled back instead, so within it they fire at each write (and at once for
# the fixtures' writes), as a committed request's would have by the next request.
ACCESS_EPOCH_AT_EACH_WRITE = """
DO $$ BEGIN EXECUTE (
    SELECT 'SET CONSTRAINTS ' || string_agg(quote_ident(tgname), ', ') || ' IMMEDIATE'
    FROM pg_trigger WHERE tgfoid = 'accounts_bump_access_epoch'::regproc
); END $$
"""


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    from django.db import connection

    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(ACCESS_EPOCH_AT_EACH_WRITE)


@pytest.fixture(autouse=True)
def frozen_clock(
    request: pytest.FixtureRequest, time_machine: TimeMachineFixture
) -> Iterator[TimeMachineFixture]:
    """Every test starts at ``FROZEN_NOW`` (or where its ``time_machine`` marker says); the
    ``time_machine`` fixture travels elsewhere. Refuses to run a test on the real clock."""
    if not escape_hatch.is_travelling():
        raise RuntimeError("the suite's clock is not frozen (tests/conftest.py)")
    if request.node.get_closest_marker("time_machine") is None:
        time_machine.move_to(FROZEN_NOW)
    yield time_machine


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def second_factor_not_required(settings):
    """Most tests sign people in with ``force_login``; the second factor has its own tests
    (``test_security.py``), which turn the requirement back on."""
    settings.TWO_FACTOR_REQUIRED = False


@pytest.fixture(autouse=True)
def media_in_a_temporary_folder(settings, tmp_path):
    """Uploaded and issued files go to the test's own folder, never to the checkout's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def require_services() -> bool:
    return settings.REQUIRE_SERVICES


@dataclass
class Tree:
    province: Unit
    district_a: Unit
    district_b: Unit
    commune_a: Unit
    commune_a2: Unit
    commune_b: Unit
    cell_a: Unit
    cell_a_2: Unit
    cell_b: Unit


@pytest.fixture
def tree(db) -> Tree:
    province = UnitFactory(code="P01", name="Tỉnh Thử Nghiệm", level=Level.PROVINCE)
    district_a = UnitFactory(
        code="D01", name="Huyện Lâm Bình", level=Level.DISTRICT, parent=province
    )
    district_b = UnitFactory(
        code="D02", name="Huyện Na Hang", level=Level.DISTRICT, parent=province
    )
    commune_a = UnitFactory(
        code="C01", name="Xã Thượng Lâm", level=Level.COMMUNE, parent=district_a
    )
    commune_a2 = UnitFactory(code="C03", name="Xã Khuôn Hà", level=Level.COMMUNE, parent=district_a)
    commune_b = UnitFactory(code="C02", name="Xã Sơn Phú", level=Level.COMMUNE, parent=district_b)
    cell_a = UnitFactory(
        code="C01-01", name="Chi bộ thôn Nà Mô", level=Level.CELL, parent=commune_a
    )
    cell_a_2 = UnitFactory(
        code="C01-02", name="Chi bộ thôn Bản Tát", level=Level.CELL, parent=commune_a
    )
    cell_b = UnitFactory(
        code="C02-01", name="Chi bộ thôn Khuổi Lừa", level=Level.CELL, parent=commune_b
    )
    return Tree(
        province, district_a, district_b, commune_a, commune_a2, commune_b, cell_a, cell_a_2, cell_b
    )


@dataclass
class People:
    province_office: User
    district_a_secretary: User
    district_b_office: User
    commune_a_staff: User
    cell_a_secretary: User
    nobody: User
    admin: User


@pytest.fixture
def people(tree: Tree) -> People:
    def holder(username: str, unit: Unit, role: str) -> User:
        return PositionFactory(user=UserFactory(username=username), unit=unit, role=role).user

    return People(
        province_office=holder("tinh.vp", tree.province, Role.OFFICE_STAFF),
        district_a_secretary=holder("d01.bithu", tree.district_a, Role.SECRETARY),
        district_b_office=holder("d02.vp", tree.district_b, Role.OFFICE_STAFF),
        commune_a_staff=holder("c01.vp", tree.commune_a, Role.OFFICE_STAFF),
        cell_a_secretary=holder("c01-01.bithu", tree.cell_a, Role.CELL_SECRETARY),
        nobody=UserFactory(username="khong.chuc.vu"),
        admin=UserFactory(username="admin", is_staff=True, is_superuser=True),
    )


def fresh(user: User) -> User:
    """The same person as a new request would load them, with nothing cached."""
    return User.objects.get(pk=user.pk)


@dataclass
class Oversight:
    """Two members with assignments, schedules for every cell and last month's meetings."""

    province_member: User
    district_member: User
    month: datetime.date
    meeting_a: Meeting  # cell C01-01, covered by both members
    meeting_a2: Meeting  # cell C01-02, covered by the province member only
    meeting_b: Meeting  # cell C02-01, in the other district


@pytest.fixture
def oversight(people: People, tree: Tree) -> Oversight:
    province_member = PositionFactory(
        user=UserFactory(username="tinh.uv"), unit=tree.province, role=Role.EXECUTIVE_MEMBER
    ).user
    district_member = PositionFactory(
        user=UserFactory(username="d01.uv"), unit=tree.district_a, role=Role.EXECUTIVE_MEMBER
    ).user
    AssignmentFactory(member=province_member, unit=tree.commune_a)
    AssignmentFactory(member=district_member, unit=tree.cell_a)
    for cell in (tree.cell_a, tree.cell_a_2, tree.cell_b):
        MeetingSchedule.objects.create(cell=cell, day_of_month=10, place="Nhà văn hóa")
    month = add_months(local_today(), -1)
    Meeting.objects.plan_month(month)
    meetings = {m.cell.code: m for m in Meeting.objects.in_month(month).select_related("cell")}
    return Oversight(
        province_member,
        district_member,
        month,
        meetings["C01-01"],
        meetings["C01-02"],
        meetings["C02-01"],
    )


@pytest.fixture
def celery_worker(transactional_db, require_services):
    """A real Celery worker in a thread, on the configured broker (Redis in CI)."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    if require_services:
        assert app.conf.broker_url.startswith("redis://")
    with start_worker(
        app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=20
    ):
        yield app


CHROMIUM = "/usr/bin/chromium"  # Debian's


@pytest.fixture
def chromium(require_services):
    """Playwright's Chromium, to launch as a test needs it (Debian's, at ``CHROMIUM``)."""
    if not shutil.which(CHROMIUM):
        assert not require_services, "Chromium is missing but REQUIRE_SERVICES is set"
        pytest.skip("no Chromium on this machine")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls
    # there unless told. The tests create their rows before this fixture starts.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        yield playwright.chromium
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
