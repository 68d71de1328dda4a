"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis): whatever a
client sends, the portal never answers with a server error, every answer (errors included) has
the status code, content type and body its schema promises, and an operation that requires
authentication refuses a request without it or with a forged token. Bounded: a few examples
for each operation.

One check is left out: ``positive_data_acceptance`` expects every request that fits the schema
to be accepted, but a schema cannot say which ids and codes exist and lie in the caller's scope,
so a well-formed request naming a meeting of another district is rightly refused with a 400.
"""

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
current_token: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class PortalToken:
    """The token of this test's province office, declared to schemathesis as the valid
    credentials, so that its authentication check can also try requests without them."""

    def get(self, case: Any, context: Any) -> str | None:
        return current_token.get("key")  # None while schemathesis reads the schema itself

    def set(self, case: Any, data: str | None, context: Any) -> None:
        if data:
            case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The app is called as plain WSGI; like Django's test client, keep each request from
    closing the connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(people, oversight) -> None:
    current_token["key"] = Token.objects.get_or_create(user=people.province_office)[0].key


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_keeps_to_its_schema(case, token):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
