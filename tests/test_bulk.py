"""What makes large reads and writes cheap: ``__any``, the SQL history copy, the kept Redis
clients. Each gives what the plain Django way gives."""

import subprocess

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assignments.models import Assignment
from config.cache import RedisCache
from oversight.bulk import record_history
from oversight.models import Unit
from tests.clock import frozen_command, frozen_environment
from tests.factories import AssignmentFactory


def test_any_finds_what_in_finds(tree):
    codes = ["C01", "C02", "X999", "C01-01"]
    ids = list(Unit.objects.filter(code__in=["P01", "D02"]).values_list("pk", flat=True))

    assert set(Unit.objects.filter(code__any=codes)) == set(Unit.objects.filter(code__in=codes))
    assert set(Unit.objects.filter(pk__any=[*ids, None])) == set(Unit.objects.filter(pk__in=ids))
    assert set(Unit.objects.filter(parent_id__any=ids)) == set(
        Unit.objects.filter(parent_id__in=ids)
    )
    assert list(Unit.objects.filter(code__any=[])) == []
    assert Unit.objects.exclude(code__any=codes).count() == Unit.objects.count() - 3


def test_any_binds_one_array_on_postgresql(tree):
    """Ten thousand values are one parameter, not ten thousand (what makes it cheap)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no arrays: __any is __in there")
    codes = [f"X{number}" for number in range(10_000)] + ["C01"]
    with CaptureQueriesContext(connection) as captured:
        assert [unit.code for unit in Unit.objects.filter(code__any=codes)] == ["C01"]
    sql = captured.captured_queries[0]["sql"]
    assert '"code" = ANY(' in sql and "X9999" in sql and sql.count("X") < 10_100


def test_any_binds_ids_as_one_array_literal_of_the_column_type(tree):
    """Ids travel as one text literal cast to the column's array type: no per-element
    adaptation in Python, and PostgreSQL still walks the column's index."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no arrays: __any is __in there")
    district = Unit.objects.get(code="D01")
    ids = [*range(10**9, 10**9 + 10_000), district.pk]
    with CaptureQueriesContext(connection) as captured:
        found = set(Unit.objects.filter(parent_id__any=ids).values_list("code", flat=True))
    assert found == set(Unit.objects.filter(parent=district).values_list("code", flat=True))
    sql = captured.captured_queries[0]["sql"]
    assert "= ANY('{1000000000,1000000001," in sql and "}'::bigint[])" in sql
    # A value given as text is made an id first, as ``__in`` makes it.
    assert list(Unit.objects.filter(pk__any=[str(district.pk)])) == [district]
    # Whether the index can be used at all: a table this small is cheaper to scan, so the
    # scan is priced out; a cast the index cannot serve would still show a Seq Scan.
    sql, params = Unit.objects.filter(parent_id__any=ids[-50:]).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)  # nosec B608
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan and "Seq Scan" not in plan


def test_any_takes_a_queryset_as_the_array(tree):
    """Given a queryset, the database builds the array: the same rows as ``__in``."""
    districts = Unit.objects.filter(code__in=["D01", "D02"]).values("pk")
    with CaptureQueriesContext(connection) as captured:
        found = set(Unit.objects.filter(parent_id__any=districts))
    assert found == set(Unit.objects.filter(parent_id__in=districts)) and len(found) == 3
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY(SELECT" in captured.captured_queries[0]["sql"]


def test_history_copied_by_the_database_is_the_object_as_it_stands(people, tree, oversight):
    made = AssignmentFactory(member=oversight.district_member, unit=tree.cell_b)
    Assignment.objects.filter(pk=made.pk).update(note="ghi chú mới")
    assignment = Assignment.objects.get(pk=made.pk)

    record_history(Assignment, [assignment], people.admin, "Nhập từ tệp", created=True)

    latest = assignment.history.latest("history_id")
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "+",
        people.admin,
        "Nhập từ tệp",
    )
    assert (latest.note, latest.unit_id, latest.member_id) == (
        "ghi chú mới",
        tree.cell_b.pk,
        oversight.district_member.pk,
    )
    record_history(Assignment, [assignment], people.admin, "Sửa")
    assert assignment.history.latest("history_id").history_type == "~"


def test_the_redis_cache_keeps_one_client_per_server(require_services):
    """Django's own makes a client per call; this one keeps it, and still reads and writes."""
    if not settings.REDIS_URL:
        assert not require_services
        pytest.skip("no Redis configured")
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-bulk"})
    cache.set("person", {"name": "Nguyễn Văn A"}, 30)
    client = cache._cache.get_client()

    assert cache.get("person") == {"name": "Nguyễn Văn A"}
    assert cache._cache.get_client() is client
    assert cache._cache.get_client(write=True) is client
    cache.delete("person")
    assert cache.get("person") is None


def test_production_settings_use_the_kept_clients(tmp_path):
    """A redis:// CACHE_URL gets ``config.cache.RedisCache``, not Django's."""
    script = tmp_path / "backend.py"
    script.write_text("import config.settings as s; print(s.CACHES['default']['BACKEND'])")
    answer = subprocess.run(
        frozen_command(str(script)),
        env={**frozen_environment(), "CACHE_URL": "redis://127.0.0.1:6379/9"},
        cwd=settings.BASE_DIR, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert answer.stdout.strip() == "config.cache.RedisCache"
