"""A person's access kept between requests (``accounts.access``): read once per change of what
it is read from, never served after a write that changes it, whatever made the write."""

import datetime
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm, remove_perm
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import AccessEpoch, Position, User
from accounts.roles import Role, group_name
from accounts.services import do_end_position
from oversight.clock import local_today
from oversight.models import Level, LineageKind, Unit, UnitLineage
from tests.clock import local
from tests.conftest import People, Tree, fresh
from tests.factories import UnitFactory
from tests.support import across_each_other
from tests.test_security import code_for

pytestmark = pytest.mark.django_db

#: what a request reads when the person's access is not in the cache
ACCESS_TABLES = ("accounts_position", "auth_permission", "otp_totp_totpdevice", "unitlineage")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def reads_of_access(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries if any(f'"{t}' in q["sql"] for t in ACCESS_TABLES)]


def test_the_second_request_reads_no_access_from_the_database(client, people, settings):
    settings.TWO_FACTOR_REQUIRED = True
    device = TOTPDevice.objects.create(user=people.district_b_office, name="Điện thoại")
    client.force_login(people.district_b_office)
    client.post(reverse("two-factor-verify"), {"code": code_for(device)})
    page = reverse("reminder-settings")
    cache.clear()
    assert len(reads_of_access(client, page)) == 4  # positions, permissions, devices, lineage
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(page)
    assert answer.status_code == 200 and b'name="kind"' in answer.content
    # The person with the epoch, and the page's own: nothing else.
    assert len(queries) == 2, "\n".join(q["sql"] for q in queries)
    assert "accounts_accessepoch" in queries[0]["sql"]


def test_an_api_token_reads_access_once_too(people):
    api = APIClient()
    token = Token.objects.create(user=people.district_b_office)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = reverse("api:visit-list")
    assert len(reads_of_access(api, url)) >= 2
    assert reads_of_access(api, url) == []
    assert api.get("/api/v1/units/D02/").status_code == 200
    end_today(people.district_b_office)
    assert reads_of_access(api, url)  # read again after the change
    assert api.get("/api/v1/units/D02/").status_code == 404


def test_an_api_token_is_refused_for_a_deactivated_person_and_when_unknown(people):
    """The written-out token query answers as DRF's did: an unknown key and a person no longer
    active are refused (401), and a good key gives its person and the token itself."""
    from oversight.api_defaults import TokenAuthentication

    token = Token.objects.create(user=people.district_b_office)
    user, found = TokenAuthentication().authenticate_credentials(token.key)
    assert (user, found.key, found.user_id, found.created) == (
        people.district_b_office, token.key, token.user_id, token.created,
    )  # fmt: skip
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert api.get(reverse("api:visit-list")).status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(reverse("api:visit-list")).status_code == 200
    User.objects.filter(pk=people.district_b_office.pk).update(is_active=False)
    assert api.get(reverse("api:visit-list")).status_code == 401


def end_today(person) -> None:
    Position.objects.filter(user=person).update(end_date=local_today() - datetime.timedelta(1))


def end_with_save(person) -> None:
    position = Position.objects.get(user=person)
    position.end_date = local_today() - datetime.timedelta(1)
    position.save()


def move_to_another_province(person) -> None:
    district = Unit.objects.get(code="D02")
    district.move_to(UnitFactory(code="P02", name="Tỉnh Khác", level=Level.PROVINCE))


#: a write, and the page the district office of D02 reaches before it and not after it
REVOCATIONS: dict[str, tuple[Callable, str]] = {
    "position ended by save": (end_with_save, "D02"),
    "position ended in bulk": (end_today, "D02"),
    "unit moved away": (move_to_another_province, "D02"),
}


@pytest.mark.parametrize("write", REVOCATIONS, ids=list(REVOCATIONS))
def test_a_revoked_position_is_never_served_from_the_cache(client, people, write):
    change, code = REVOCATIONS[write]
    client.force_login(people.district_b_office)
    unit_page = reverse("unit-detail", args=[code])
    assert client.get(unit_page).status_code == 200
    assert client.get(unit_page).status_code == 200  # from the cache
    change(people.district_b_office)
    if write == "unit moved away":
        # The unit is the same: the new path is in scope and the old one no longer.
        assert client.get(unit_page).status_code == 200
        assert client.get(reverse("unit-detail", args=["C02"])).status_code == 200
    else:
        assert client.get(unit_page).status_code == 404


def test_a_grant_given_and_taken_back_is_seen_at_once(client, people, tree):
    client.force_login(people.nobody)
    page = reverse("unit-detail", args=["D01"])
    assert client.get(page).status_code == 404
    assign_perm("oversight.view_unit", people.nobody, tree.district_a)
    assert client.get(page).status_code == 200
    remove_perm("oversight.view_unit", people.nobody, tree.district_a)
    assert client.get(page).status_code == 404


def test_a_grant_to_a_group_is_seen_at_once(client, people, tree):
    group = Group.objects.create(name="Đoàn kiểm tra")
    client.force_login(people.nobody)
    page = reverse("unit-detail", args=["D01"])
    assert client.get(page).status_code == 404
    assign_perm("oversight.view_unit", group, tree.district_a)
    people.nobody.groups.add(group)
    assert client.get(page).status_code == 200
    people.nobody.groups.remove(group)
    assert client.get(page).status_code == 404


def test_a_permission_taken_from_a_role_leaves_its_menu_at_once(client, people):
    client.force_login(people.district_b_office)
    review = f'class="nav-link" href="{reverse("review-queue")}"'.encode()
    assert review in client.get(reverse("home")).content
    role = Group.objects.get(name=group_name(Role.OFFICE_STAFF))
    role.permissions.remove(Permission.objects.get(codename="review_visit"))
    assert review not in client.get(reverse("home")).content


def test_a_reorganisation_lineage_opens_the_predecessors_history(client, people, tree):
    client.force_login(people.district_b_office)
    page = reverse("unit-detail", args=["D01"])
    assert client.get(page).status_code == 404
    UnitLineage.objects.create(
        predecessor=tree.district_a,
        successor=tree.district_b,
        kind=LineageKind.MERGE,
        effective_date=local_today(),
    )
    assert client.get(page).status_code == 200


def test_a_deleted_phone_asks_for_a_second_factor_again(client, people, settings):
    settings.TWO_FACTOR_REQUIRED = True
    device = TOTPDevice.objects.create(user=people.district_b_office, name="Điện thoại")
    client.force_login(people.district_b_office)
    client.post(reverse("two-factor-verify"), {"code": code_for(device)})
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("home")).status_code == 200  # from the cache
    device.delete()
    assert client.get(reverse("home"))["Location"].startswith(reverse("two-factor"))


def test_a_position_that_ends_today_is_gone_after_midnight(client, people, time_machine):
    time_machine.move_to(local(2026, 11, 18, 23, 50))
    Position.objects.filter(user=people.district_b_office).update(end_date=local_today())
    client.force_login(people.district_b_office)
    page = reverse("unit-detail", args=["D02"])
    assert client.get(page).status_code == 200
    assert client.get(page).status_code == 200  # from the cache
    time_machine.shift(datetime.timedelta(minutes=20))
    assert client.get(page).status_code == 404


def test_without_the_trigger_the_cache_would_serve_a_revoked_position(client, people):
    """What the triggers guard: with the positions' trigger gone (for this test's transaction
    only), ending the position leaves the epoch alone and the cache answers with the old scope."""
    client.force_login(people.district_b_office)
    page = reverse("unit-detail", args=["D02"])
    assert client.get(page).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER accounts_position_access_epoch ON accounts_position")
    end_today(people.district_b_office)
    assert client.get(page).status_code == 200  # stale: what the trigger prevents


def test_without_an_epoch_access_is_read_on_every_request(client, people):
    AccessEpoch.objects.all().delete()
    client.force_login(people.district_b_office)
    page = reverse("reminder-settings")
    assert reads_of_access(client, page)
    assert reads_of_access(client, page)
    end_today(people.district_b_office)
    assert client.get(reverse("unit-detail", args=["D02"])).status_code == 404


def test_the_epoch_restarts_from_the_clock_once_lost(people):
    AccessEpoch.objects.all().delete()
    end_today(people.district_b_office)
    assert AccessEpoch.objects.get().changes > 1_700_000_000_000


def test_each_kind_of_write_raises_the_epoch(people: People, tree: Tree):
    def epoch() -> int:
        return AccessEpoch.objects.get().changes

    writes: list[Callable[[], object]] = [
        lambda: end_today(people.district_b_office),
        lambda: people.nobody.groups.add(Group.objects.get(name=group_name(Role.SECRETARY))),
        lambda: people.nobody.user_permissions.add(Permission.objects.get(codename="view_unit")),
        lambda: assign_perm("oversight.view_unit", people.nobody, tree.cell_b),
        lambda: Unit.objects.filter(code="C02").update(name="Xã Sơn Phú mới"),
        lambda: TOTPDevice.objects.create(user=people.nobody, name="Điện thoại", confirmed=True),
    ]
    for write in writes:
        before = epoch()
        write()
        assert epoch() > before, write
    quiet: list[Callable[[], object]] = [
        lambda: UnitFactory(code="C09", name="Xã Mới", level=Level.COMMUNE, parent=tree.district_b),
        lambda: people.nobody.save(update_fields=["last_login"]),
        lambda: TOTPDevice.objects.filter(user=people.nobody).update(last_t=5),
    ]
    for write in quiet:
        before = epoch()
        write()
        assert epoch() == before, write


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_position_ended_during_a_reorganisation_waits_instead_of_deadlocking(people, tree):
    """A reorganisation writes units (rows access is read from) and later the positions it
    ends; an office ending one of those positions meanwhile locks it first. The epoch's row is
    taken only as each commits, so neither holds it while waiting for the other (with the
    triggers firing at each statement, PostgreSQL aborts one of the two)."""
    position = Position.objects.get(user=people.district_b_office)
    before = AccessEpoch.objects.get().changes
    errors = across_each_other(
        lambda: Unit.objects.filter(pk=tree.cell_b.pk).update(name="Chi bộ thôn Khuổi Lừa mới"),
        lambda: Position.objects.filter(pk=position.pk).update(end_date=local_today()),
        lambda: do_end_position(fresh(people.province_office), position),
    )
    assert errors == []
    assert AccessEpoch.objects.get().changes == before + 2  # once for each commit


def test_with_the_cache_down_pages_read_the_session_and_access_from_the_database(
    client, people, settings
):
    """Redis unreachable: the session (``accounts.sessions``) and the person's access are read
    from the database, and a revocation is still seen at once; the pages go on for those
    signed in (signing in and out need the cache)."""
    client.force_login(people.district_b_office)
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "config.cache.RedisCache",  # production's, as a redis:// CACHE_URL gives
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        },
    }
    assert client.get(reverse("unit-detail", args=["D02"])).status_code == 200
    end_today(people.district_b_office)
    assert client.get(reverse("unit-detail", args=["D02"])).status_code == 404
