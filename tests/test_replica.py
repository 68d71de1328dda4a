"""Reports read from a PostgreSQL replica when one is configured; everything else, the primary."""

import pytest
from django.db import connections
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oversight.replica import REPLICA, ReplicaRouter, replica_reads
from tests.conftest import fresh
from visits.models import AttendanceTally

# Adding a database to the settings at run time is what the fixture means to do.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def replica(transactional_db, settings):
    """A replica that mirrors the test database (as ``TEST: MIRROR`` does): a second
    connection to the same database, so what the test committed is what the replica holds."""
    mirror = {**connections["default"].settings_dict}
    connection = load_backend(mirror["ENGINE"]).DatabaseWrapper(mirror, REPLICA)
    connections[REPLICA] = connection
    settings.DATABASES = {**settings.DATABASES, REPLICA: mirror}
    yield connection
    connection.close()
    del connections[REPLICA]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_report_page_reads_from_the_replica(client, people, oversight, replica):
    client.force_login(people.district_a_secretary)
    month = oversight.month.strftime("%Y-%m")
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        answer = client.get(reverse("report-compliance"), {"start": month, "end": month})
    assert answer.status_code == 200
    table = AttendanceTally._meta.db_table
    assert any(table in q["sql"] for q in on_replica.captured_queries)
    assert not any(table in q["sql"] for q in on_primary.captured_queries)
    # The session and the person were read before the report began, on the primary.
    assert any("accounts_user" in q["sql"] for q in on_primary.captured_queries)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pages_and_writes_stay_on_the_primary(client, people, oversight, replica):
    client.force_login(people.district_a_secretary)
    person = fresh(people.district_a_secretary)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(reverse("my-work")).status_code == 200
        with replica_reads():
            person.save(update_fields=["full_name"])  # a write, even among report reads
    assert on_replica.captured_queries == []


def test_without_a_replica_reports_read_the_primary():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(AttendanceTally) is None
    assert router.allow_migrate(REPLICA, "visits") is False
