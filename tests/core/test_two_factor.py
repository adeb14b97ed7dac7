"""Two-factor (TOTP): enrolment with a server-drawn QR code, verification at login, removal, per-role rules."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from django_otp import user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import AuditEvent, RolePolicy
from cityops.core.services.auth import role_policy_set

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
SETUP = "/account/two-factor/setup/"
VERIFY = "/account/two-factor/verify/"
REMOVE = "/account/two-factor/remove/"


def token_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show now (or ``steps_ahead`` periods later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_token_for(device: TOTPDevice) -> str:
    valid = {token_for(device, k) for k in (-2, -1, 0, 1, 2)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid)


@pytest.fixture
def leader(province, agency_a, make_member):
    return make_member(province, Role.LEADER, username="lanh.dao")


@pytest.fixture
def enrolled(leader):
    """The leader with a confirmed authenticator."""
    return TOTPDevice.objects.create(user=leader, name="phone", confirmed=True)


@pytest.fixture
def no_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def password_login(client, username="lanh.dao", password=PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password, **extra})


# --- Enrolment ------------------------------------------------------------------------------------------


def test_setup_page_shows_inline_svg_qr_and_secret(client, leader):
    client.force_login(leader)
    response = client.get(SETUP)
    assert response.status_code == 200
    body = response.content.decode()
    qr = re.search(r'data-testid="two-factor-qr"[^>]*>(.*?)</figure>', body, re.S)
    assert qr and qr.group(1).strip().startswith("<svg")
    assert "<img" not in qr.group(1) and "<?xml" not in body
    device = TOTPDevice.objects.get(user=leader)
    assert not device.confirmed
    from base64 import b32encode

    secret = re.search(r'data-testid="two-factor-secret">([A-Z2-7 ]+)<', body).group(1)
    assert secret.replace(" ", "") == b32encode(device.bin_key).decode().rstrip("=")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert not user_has_device(leader, confirmed=True)


def test_setup_page_has_no_inline_script_or_style(client, leader):
    client.force_login(leader)
    body = client.get(SETUP).content.decode()
    assert "<style" not in body
    assert ' style="' not in body
    for tag in re.findall(r"<script[^>]*>", body):
        assert 'src="' in tag


def test_reloading_setup_keeps_the_same_secret(client, leader):
    client.force_login(leader)
    client.get(SETUP)
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=leader).count() == 1


@pytest.mark.parametrize(
    "token", ["", "abcdef", "12345", "1234567", "12 34 5a", "<script>alert(1)</script>", "9" * 10_000, "١٢٣٤٥٦"]
)
def test_setup_rejects_garbage_tokens(client, leader, token):
    client.force_login(leader)
    client.get(SETUP)
    response = client.post(SETUP, {"token": token})
    assert response.status_code == 200
    assert b'data-testid="two-factor-error"' in response.content
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not user_has_device(leader, confirmed=True)
    assert not AuditEvent.objects.filter(verb=AuditVerbs.TWO_FACTOR_ENROLLED).exists()


def test_setup_rejects_a_wrong_code(client, leader):
    client.force_login(leader)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=leader)
    response = client.post(SETUP, {"token": wrong_token_for(device)})
    assert response.status_code == 200
    assert b'data-testid="two-factor-error"' in response.content
    assert not user_has_device(leader, confirmed=True)


def test_setup_confirms_with_the_right_code_and_audits(client, leader):
    client.force_login(leader)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=leader)
    response = client.post(SETUP, {"token": token_for(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:account")
    device.refresh_from_db()
    assert device.confirmed
    event = AuditEvent.objects.get(verb=AuditVerbs.TWO_FACTOR_ENROLLED)
    assert event.actor == leader
    assert device.key not in str(event.data)
    # This session counts as verified: pages open without a second prompt.
    assert client.get("/").status_code == 200


def test_setup_accepts_spaces_between_digits(client, leader):
    client.force_login(leader)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=leader)
    code = token_for(device)
    assert client.post(SETUP, {"token": f"{code[:3]} {code[3:]}"}).status_code == 302


def test_setup_when_enrolled_and_verified_shows_status(client, leader):
    client.force_login(leader)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=leader)
    client.post(SETUP, {"token": token_for(device)})
    response = client.get(SETUP)
    assert b'data-testid="two-factor-enrolled"' in response.content
    assert TOTPDevice.objects.filter(user=leader).count() == 1


# --- Verification at login ------------------------------------------------------------------------------


def test_password_login_with_a_device_goes_to_verification(client, enrolled):
    response = password_login(client, next="/account/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert "next=%2Faccount%2F" in response["Location"]
    event = AuditEvent.objects.get(verb=AuditVerbs.LOGIN_SUCCEEDED)
    assert event.data == {"two_factor_pending": True}


@pytest.mark.parametrize("path", ["/", "/account/", "/account/password/", "/admin/", REMOVE, "/search/?q=x"])
def test_user_with_a_device_must_verify_before_any_page(client, enrolled, path):
    client.force_login(enrolled.user)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY + "?next=")


def test_htmx_requests_are_told_to_navigate(client, enrolled):
    client.force_login(enrolled.user)
    response = client.get("/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith(VERIFY)


def test_api_paths_are_exempt_from_the_session_two_factor_check(client, enrolled):
    client.force_login(enrolled.user)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "Location" not in response


def test_verify_with_the_right_code_opens_the_site(client, enrolled):
    password_login(client)
    response = client.post(VERIFY, {"token": token_for(enrolled), "next": "/account/"})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert client.get("/").status_code == 200
    assert client.get("/account/").status_code == 200


@pytest.mark.parametrize("token", ["", "abcdef", "000", "<b>1</b>", "1" * 10_000])
def test_verify_rejects_garbage(client, enrolled, token):
    password_login(client)
    response = client.post(VERIFY, {"token": token})
    assert response.status_code == 200
    assert b'data-testid="two-factor-error"' in response.content
    assert client.get("/").status_code == 302


def test_verify_rejects_a_wrong_code_and_audits_it(client, enrolled):
    password_login(client)
    response = client.post(VERIFY, {"token": wrong_token_for(enrolled)})
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(verb=AuditVerbs.LOGIN_FAILED)
    assert event.data["reason"] == "invalid_token"
    assert event.actor == enrolled.user


def test_a_wrong_code_throttles_the_next_attempt(client, enrolled):
    """django-otp's throttling: straight after a failure even the right code is refused for a while."""
    password_login(client)
    client.post(VERIFY, {"token": wrong_token_for(enrolled)})
    response = client.post(VERIFY, {"token": token_for(enrolled)})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_a_wrong_then_right_code_works_without_throttling(client, enrolled, no_throttle):
    password_login(client)
    client.post(VERIFY, {"token": wrong_token_for(enrolled)})
    assert client.post(VERIFY, {"token": token_for(enrolled)}).status_code == 302


def test_replaying_a_used_code_is_refused(client, enrolled, no_throttle, monkeypatch):
    # Hold the clock in the middle of one 30-second period so no period boundary falls inside the test.
    middle = (int(time.time()) // enrolled.step) * enrolled.step + enrolled.step / 2
    monkeypatch.setattr(time, "time", lambda: middle)
    code = token_for(enrolled)
    password_login(client)
    assert client.post(VERIFY, {"token": code}).status_code == 302
    client.post(reverse("core:logout"))
    password_login(client)
    response = client.post(VERIFY, {"token": code})
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    # The next code from the app is accepted (drift of one period is tolerated).
    assert client.post(VERIFY, {"token": token_for(enrolled, steps_ahead=1)}).status_code == 302


def test_verify_next_cannot_redirect_off_site(client, enrolled):
    password_login(client)
    response = client.post(VERIFY, {"token": token_for(enrolled), "next": "https://evil.example/"})
    assert response["Location"] == reverse("core:home")


def test_verify_page_without_a_device_leads_to_setup(client, leader):
    client.force_login(leader)
    assert client.get(VERIFY)["Location"] == SETUP


def test_another_users_device_does_not_verify_me(client, enrolled, province, make_member):
    other = make_member(province, Role.LEADER, username="nguoi.khac")
    TOTPDevice.objects.create(user=other, name="phone", confirmed=True)
    password_login(client, "nguoi.khac")
    response = client.post(VERIFY, {"token": token_for(enrolled)})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_logout_is_allowed_before_verification(client, enrolled):
    password_login(client)
    response = client.post(reverse("core:logout"))
    assert response["Location"] == reverse("core:login")
    assert "_auth_user_id" not in client.session


# --- Enforcement per role --------------------------------------------------------------------------------


def test_role_requiring_two_factor_forces_enrolment(client, leader):
    role_policy_set(actor=None, role=Role.LEADER, require_two_factor=True)
    client.force_login(leader)
    for path in ("/", "/account/", VERIFY, REMOVE):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200
    assert b'data-testid="two-factor-required"' in page.content
    device = TOTPDevice.objects.get(user=leader)
    assert client.post(SETUP, {"token": token_for(device)}).status_code == 302
    assert client.get("/").status_code == 200


def test_role_without_the_requirement_is_not_forced(client, province, make_member):
    role_policy_set(actor=None, role=Role.LEADER, require_two_factor=True)
    specialist = make_member(province, Role.SPECIALIST)
    client.force_login(specialist)
    assert client.get("/").status_code == 200


def test_superuser_counts_as_administrator_for_the_policy(client, db):
    from tests.factories import UserFactory

    role_policy_set(actor=None, role=Role.ADMINISTRATOR, require_two_factor=True)
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get("/admin/")["Location"] == SETUP


def test_role_policy_service_audits_and_rejects_unknown_roles(db):
    from django.core.exceptions import ValidationError

    policy = role_policy_set(actor=None, role=Role.CLERK, require_two_factor=True)
    assert policy.require_two_factor
    role_policy_set(actor=None, role=Role.CLERK, require_two_factor=False)
    assert RolePolicy.objects.get(role=Role.CLERK).require_two_factor is False
    events = AuditEvent.objects.filter(verb=AuditVerbs.ROLE_POLICY_UPDATED)
    assert events.count() == 2
    assert events.order_by("id").last().data["old"] == {"require_two_factor": True}
    with pytest.raises(ValidationError):
        role_policy_set(actor=None, role="<script>", require_two_factor=True)


def test_admin_toggles_role_policy_through_the_service(client, db):
    from tests.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post(reverse("admin:core_rolepolicy_add"), {"role": Role.INSPECTOR, "require_two_factor": "on"})
    assert response.status_code == 302
    policy = RolePolicy.objects.get(role=Role.INSPECTOR)
    assert policy.require_two_factor
    assert AuditEvent.objects.filter(verb=AuditVerbs.ROLE_POLICY_UPDATED, actor=admin).exists()
    response = client.post(reverse("admin:core_rolepolicy_change", args=[policy.pk]), {})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert not policy.require_two_factor
    assert client.get(reverse("admin:core_rolepolicy_delete", args=[policy.pk])).status_code == 403


def test_non_staff_cannot_reach_role_policy_admin(client, leader):
    client.force_login(leader)
    response = client.get(reverse("admin:core_rolepolicy_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- Removal --------------------------------------------------------------------------------------------


def verified_session(client, device):
    password_login(client, device.user.username)
    assert client.post(VERIFY, {"token": token_for(device)}).status_code == 302


@pytest.mark.parametrize("password", ["", "wrong-password", "p" * 10_000])
def test_removal_needs_the_right_password(client, enrolled, password):
    verified_session(client, enrolled)
    response = client.post(REMOVE, {"password": password})
    assert response.status_code == 200
    assert b'data-testid="form-error"' in response.content
    assert user_has_device(enrolled.user, confirmed=True)
    assert not AuditEvent.objects.filter(verb=AuditVerbs.TWO_FACTOR_REMOVED).exists()


def test_removal_with_the_password_removes_and_audits(client, enrolled):
    verified_session(client, enrolled)
    response = client.post(REMOVE, {"password": PASSWORD})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=enrolled.user).exists()
    assert AuditEvent.objects.filter(verb=AuditVerbs.TWO_FACTOR_REMOVED, actor=enrolled.user).exists()
    assert client.get("/").status_code == 200


def test_removal_when_role_requires_it_sends_back_to_setup(client, enrolled):
    role_policy_set(actor=None, role=Role.LEADER, require_two_factor=True)
    verified_session(client, enrolled)
    client.post(REMOVE, {"password": PASSWORD})
    assert client.get("/")["Location"] == SETUP


def test_removal_page_without_a_device_leads_to_setup(client, leader):
    client.force_login(leader)
    assert client.get(REMOVE)["Location"] == SETUP
