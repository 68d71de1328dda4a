"""The documented backup and restore of PostgreSQL (README, "Backup and restore"): a dump of
the portal's database restored into an empty one holds the same visits."""

import shutil
import subprocess

import psycopg
import pytest
from django.db import connection

from tests.conftest import fresh
from visits.models import Visit
from visits.services import do_save_visit


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dump_restores_with_the_same_visits(oversight, tmp_path, require_services):
    if connection.vendor != "postgresql" or shutil.which("pg_dump") is None:
        assert not require_services, "REQUIRE_SERVICES is set but PostgreSQL tools are missing"
        pytest.skip("the backup is of PostgreSQL")
    for member, meeting in [
        (oversight.district_member, oversight.meeting_a),
        (oversight.province_member, oversight.meeting_a2),
    ]:
        visit = Visit(member=member, logged_by=member, kind="meeting", meeting=meeting)
        do_save_visit(fresh(member), visit, submit=True)
    expected = sorted(Visit.objects.values_list("pk", "member_id", "status", "date"))

    params = connection.get_connection_params()
    server = ["-h", params.get("host") or "127.0.0.1", "-p", str(params.get("port") or 5432),
              "-U", params.get("user") or "postgres"]  # fmt: skip
    dump = tmp_path / "portal.dump"
    subprocess.run(
        ["pg_dump", *server, "-Fc", "--no-owner", "-f", str(dump), params["dbname"]], check=True
    )
    restored = f"{params['dbname']}_restored"
    admin = {"host": server[1], "port": server[3], "user": server[5], "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        conn.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(["pg_restore", *server, "--no-owner", "-d", restored, str(dump)], check=True)
        with psycopg.connect(**{**admin, "dbname": restored}) as conn:
            rows = conn.execute(
                "SELECT id, member_id, status, date FROM visits_visit ORDER BY id"
            ).fetchall()
        assert sorted(rows) == expected and len(rows) == 2
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{restored}"')
