"""Shared fixtures: organisations, people with roles, and database maintenance for transactional tests."""

from __future__ import annotations

import os

os.environ.setdefault("CITYOPS_TESTING", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityops.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _flush_clears_audit_table():
    """Transactional and live-server tests end with Django's ``flush``; let exactly that clear the audit table.

    The audit table refuses DELETE and TRUNCATE at the database level. The flush command runs inside
    ``audit_maintenance()``, so the window is as long as the flush and on the connection doing it.
    """
    from django.core.management.commands import flush

    from cityops.core.db import audit_maintenance

    original = flush.Command.handle

    def handle(self, *args, **options):
        with audit_maintenance():
            return original(self, *args, **options)

    flush.Command.handle = handle
    try:
        yield
    finally:
        flush.Command.handle = original


@pytest.fixture
def province(db):
    return OrganizationFactory(name="Tỉnh Bắc Ninh", code="province", kind="province", parent=None)


@pytest.fixture
def agency_a(province):
    return OrganizationFactory(name="Sở Xây dựng", code="so-xay-dung", kind="department", parent=province)


@pytest.fixture
def agency_b(province):
    return OrganizationFactory(name="Sở Y tế", code="so-y-te", kind="department", parent=province)


@pytest.fixture
def make_member(db):
    """Create a person holding ``role`` in ``organization``."""

    def make(organization, role, **user_fields):
        user = UserFactory(**user_fields)
        MembershipFactory(user=user, organization=organization, role=role)
        return user

    return make


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
