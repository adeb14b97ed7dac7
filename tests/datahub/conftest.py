"""Fixtures of the data hub tests: API keys for integrators, a sector and datasets of two agencies."""

from __future__ import annotations

import pytest
from django.utils import translation

from cityops.core.services.apikeys import apikey_create


@pytest.fixture
def admin_a(agency_a, make_member):
    return make_member(agency_a, "administrator", username="dh-admin-a")


@pytest.fixture
def integrator_a(agency_a, make_member):
    return make_member(agency_a, "integrator", username="dh-integrator-a")


@pytest.fixture
def key_a(admin_a, integrator_a, agency_a) -> str:
    _key, raw = apikey_create(actor=admin_a, name="Sensors A", user=integrator_a, organization=agency_a)
    return raw


@pytest.fixture
def key_b(agency_b, make_member) -> str:
    admin = make_member(agency_b, "administrator", username="dh-admin-b")
    integrator = make_member(agency_b, "integrator", username="dh-integrator-b")
    _key, raw = apikey_create(actor=admin, name="Sensors B", user=integrator, organization=agency_b)
    return raw


@pytest.fixture(autouse=True)
def _english():
    """Reasons are asserted in their English source text."""
    with translation.override("en"):
        yield
