"""Property-based testing of the whole API from its own OpenAPI description (schemathesis, in-process WSGI).

Every operation gets generated requests, signed with an administrator's API key: no answer may be a 5xx and
every answer must match the schema it documents. Bounded (``MAX_EXAMPLES`` per operation, no deadline) so it
fits in CI; ``SCHEMATHESIS_EXAMPLES`` raises it for a longer run (``make security``).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from cityops.core.choices import Role
from cityops.core.services.apikeys import apikey_create

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.content_type_conformance,
]


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection after each request; in a test that would end the test's
    transaction on PostgreSQL. Django's test client does the same as this while it serves a request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_key_header(province, agency_a, make_member, settings, keep_test_connection):
    settings.RATE_LIMIT_ENABLED = False  # generated wrong keys would otherwise end in 429s
    admin = make_member(province, Role.ADMINISTRATOR, username="st-admin")
    make_member(agency_a, Role.SPECIALIST, username="st-specialist")
    _key, raw = apikey_create(actor=admin, name="schemathesis", user=admin, organization=province)
    return {"X-API-Key": raw}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same examples on every run: a failure here is reproducible, never flaky
    database=None,
)
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, api_key_header):
    response = case.call(headers=api_key_header)
    case.validate_response(response, checks=CHECKS)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "delete", "post"])
def test_unmatched_api_path_is_a_json_404(client, method):
    response = getattr(client, method)("/api/v1/organizations/not-a-number")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
