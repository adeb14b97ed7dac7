"""API key service and selector: who may issue keys, how they are stored, and what authenticates."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cityops.core.choices import AuditVerbs
from cityops.core.models import ApiKey, AuditEvent
from cityops.core.permissions import NotFoundOrForbidden
from cityops.core.selectors.apikeys import apikey_get, apikey_list
from cityops.core.services.apikeys import (
    apikey_authenticate,
    apikey_create,
    apikey_revoke,
    apikey_touch,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(agency_a, make_member):
    return make_member(agency_a, "administrator", username="admin-a")


@pytest.fixture
def integrator_a(agency_a, make_member):
    return make_member(agency_a, "integrator", username="integrator-a")


@pytest.fixture
def integrator_b(agency_b, make_member):
    return make_member(agency_b, "integrator", username="integrator-b")


def test_create_returns_secret_once_and_stores_only_digest(admin_a, integrator_a, agency_a):
    key, raw = apikey_create(actor=admin_a, name="Trạm quan trắc", user=integrator_a, organization=agency_a)
    assert raw.startswith(f"cok_{key.prefix}_")
    secret = raw.split("_", 2)[2]
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    # The secret appears in no column of the stored row.
    for field in ApiKey._meta.concrete_fields:
        assert secret not in str(getattr(stored, field.attname))
    assert stored.created_by == admin_a
    assert apikey_authenticate(raw) == key


def test_audit_events_never_contain_the_secret(admin_a, integrator_a, agency_a):
    key, raw = apikey_create(actor=admin_a, name="k", user=integrator_a, organization=agency_a)
    apikey_revoke(actor=admin_a, api_key=key)
    secret = raw.split("_", 2)[2]
    events = AuditEvent.objects.filter(verb__in=[AuditVerbs.APIKEY_CREATED, AuditVerbs.APIKEY_REVOKED])
    assert {e.verb for e in events} == {AuditVerbs.APIKEY_CREATED, AuditVerbs.APIKEY_REVOKED}
    for event in events:
        dumped = json.dumps(event.data) + event.target_repr
        assert secret not in dumped
        assert raw not in dumped
        assert key.digest not in dumped
        assert event.data["prefix"] == key.prefix
        assert event.organization == agency_a


def test_name_is_nfc_normalised(admin_a, integrator_a, agency_a):
    decomposed = "Tra\u0323m"  # "Trạm" typed with a combining dot below
    key, _ = apikey_create(actor=admin_a, name=decomposed, user=integrator_a, organization=agency_a)
    assert key.name == "Trạm"


@pytest.mark.parametrize("role", ["specialist", "agency_head", "leader", "integrator", "citizen"])
def test_non_administrators_cannot_create(agency_a, make_member, integrator_a, role):
    actor = make_member(agency_a, role)
    with pytest.raises(PermissionDenied):
        apikey_create(actor=actor, name="k", user=integrator_a, organization=agency_a)
    assert not ApiKey.objects.exists()


def test_anonymous_cannot_create(integrator_a, agency_a):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        apikey_create(actor=AnonymousUser(), name="k", user=integrator_a, organization=agency_a)
    with pytest.raises(PermissionDenied):
        apikey_create(actor=None, name="k", user=integrator_a, organization=agency_a)


def test_admin_of_one_agency_cannot_create_for_another(admin_a, integrator_b, agency_b):
    with pytest.raises(PermissionDenied):
        apikey_create(actor=admin_a, name="k", user=integrator_b, organization=agency_b)


def test_admin_cannot_mint_key_for_someone_with_wider_rights(admin_a, agency_a, province, make_member):
    leader = make_member(province, "leader")
    from tests.factories import MembershipFactory

    MembershipFactory(user=leader, organization=agency_a, role="integrator")
    with pytest.raises(PermissionDenied):
        apikey_create(actor=admin_a, name="k", user=leader, organization=agency_a)


def test_admin_cannot_mint_key_for_superuser(admin_a, agency_a):
    root = UserFactory(is_superuser=True)
    with pytest.raises(PermissionDenied):
        apikey_create(actor=admin_a, name="k", user=root, organization=agency_a)


def test_user_must_belong_to_the_organisation(province, make_member, agency_a, agency_b):
    province_admin = make_member(province, "administrator")
    outsider = make_member(agency_b, "integrator")
    with pytest.raises(ValidationError) as exc:
        apikey_create(actor=province_admin, name="k", user=outsider, organization=agency_a)
    assert "user" in exc.value.message_dict


@pytest.mark.parametrize("name", ["", "   "])
def test_blank_name_rejected(admin_a, integrator_a, agency_a, name):
    with pytest.raises(ValidationError) as exc:
        apikey_create(actor=admin_a, name=name, user=integrator_a, organization=agency_a)
    assert "name" in exc.value.message_dict


def test_oversized_name_rejected(admin_a, integrator_a, agency_a):
    with pytest.raises(ValidationError) as exc:
        apikey_create(actor=admin_a, name="x" * 121, user=integrator_a, organization=agency_a)
    assert "name" in exc.value.message_dict
    assert not ApiKey.objects.exists()


def test_expiry_in_the_past_rejected(admin_a, integrator_a, agency_a):
    with pytest.raises(ValidationError) as exc:
        apikey_create(
            actor=admin_a, name="k", user=integrator_a, organization=agency_a,
            expires_at=timezone.now() - timedelta(seconds=1),
        )  # fmt: skip
    assert "expires_at" in exc.value.message_dict


def test_inactive_user_rejected(admin_a, integrator_a, agency_a):
    integrator_a.is_active = False
    integrator_a.save()
    with pytest.raises(ValidationError):
        apikey_create(actor=admin_a, name="k", user=integrator_a, organization=agency_a)


def test_revoked_expired_and_deactivated_keys_do_not_authenticate(admin_a, integrator_a, agency_a):
    key, raw = apikey_create(actor=admin_a, name="k", user=integrator_a, organization=agency_a)
    apikey_revoke(actor=admin_a, api_key=key)
    assert apikey_authenticate(raw) is None

    key2, raw2 = apikey_create(
        actor=admin_a, name="k2", user=integrator_a, organization=agency_a,
        expires_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    assert apikey_authenticate(raw2) == key2
    ApiKey.objects.filter(pk=key2.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert apikey_authenticate(raw2) is None

    key3, raw3 = apikey_create(actor=admin_a, name="k3", user=integrator_a, organization=agency_a)
    integrator_a.is_active = False
    integrator_a.save()
    assert apikey_authenticate(raw3) is None


def test_revoke_twice_records_one_event(admin_a, integrator_a, agency_a):
    key, _ = apikey_create(actor=admin_a, name="k", user=integrator_a, organization=agency_a)
    first = apikey_revoke(actor=admin_a, api_key=key).revoked_at
    second = apikey_revoke(actor=admin_a, api_key=key).revoked_at
    assert first == second
    assert AuditEvent.objects.filter(verb=AuditVerbs.APIKEY_REVOKED).count() == 1


def test_other_agency_admin_cannot_revoke(admin_a, integrator_a, agency_a, agency_b, make_member):
    key, raw = apikey_create(actor=admin_a, name="k", user=integrator_a, organization=agency_a)
    admin_b = make_member(agency_b, "administrator")
    with pytest.raises(PermissionDenied):
        apikey_revoke(actor=admin_b, api_key=key)
    assert apikey_authenticate(raw) == key


@pytest.mark.parametrize(
    "raw",
    [
        None,
        12345,
        b"cok_abc",
        "",
        "cok_",
        "garbage",
        "cok_short_secret",
        "cok_" + "a" * 12 + "_" + "b" * 39,
        "cok_" + "A" * 12 + "_" + "b" * 40,  # upper-case prefix is not ours
        "cok_" + "a" * 12 + "_" + "b" * 40,  # well-formed but unknown
        "x" * 10_000,
        "cok_" + "a" * 12 + "_" + "b" * 40 + "\x00",
        "cok_aaaaaaaaaaaa_' OR 1=1 --aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "<script>alert(1)</script>",
    ],
)
def test_malformed_keys_are_rejected_without_errors(raw):
    assert apikey_authenticate(raw) is None


def test_right_prefix_wrong_secret_rejected(admin_a, integrator_a, agency_a):
    key, raw = apikey_create(actor=admin_a, name="k", user=integrator_a, organization=agency_a)
    forged = f"cok_{key.prefix}_" + "A" * 40
    assert apikey_authenticate(forged) is None


def test_touch_updates_at_most_once_a_minute(admin_a, integrator_a, agency_a):
    key, _ = apikey_create(actor=admin_a, name="k", user=integrator_a, organization=agency_a)
    assert key.last_used_at is None
    apikey_touch(key)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    fresh = ApiKey.objects.get(pk=key.pk)
    apikey_touch(fresh)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    stale = ApiKey.objects.get(pk=key.pk)
    apikey_touch(stale)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first - timedelta(minutes=2)


def test_list_is_scoped_to_administered_organisations(admin_a, integrator_a, integrator_b, agency_a, agency_b):
    from cityops.core.models import User

    key_a, _ = apikey_create(actor=admin_a, name="a", user=integrator_a, organization=agency_a)
    root = User.objects.create_superuser("root", "root@example.gov.vn", "Very-long-pass-123")
    key_b, _ = apikey_create(actor=root, name="b", user=integrator_b, organization=agency_b)
    assert list(apikey_list(actor=admin_a)) == [key_a]
    assert set(apikey_list(actor=root)) == {key_a, key_b}
    assert list(apikey_list(actor=integrator_a)) == []
    with pytest.raises(NotFoundOrForbidden):
        apikey_get(actor=admin_a, key_id=key_b.pk)
    with pytest.raises(NotFoundOrForbidden):
        apikey_get(actor=admin_a, key_id=999_999)
    with pytest.raises(NotFoundOrForbidden):
        apikey_get(actor=admin_a, key_id="not-a-number")
    assert apikey_get(actor=admin_a, key_id=key_a.pk) == key_a


def test_active_only_filter(admin_a, integrator_a, agency_a):
    live, _ = apikey_create(actor=admin_a, name="live", user=integrator_a, organization=agency_a)
    dead, _ = apikey_create(actor=admin_a, name="dead", user=integrator_a, organization=agency_a)
    apikey_revoke(actor=admin_a, api_key=dead)
    assert list(apikey_list(actor=admin_a, active_only=True)) == [live]
