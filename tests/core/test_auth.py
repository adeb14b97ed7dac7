"""Signing in and out: audit of every attempt, lockout by django-axes, NFC usernames, hostile input."""

from __future__ import annotations

import unicodedata

import pytest
from django.conf import settings
from django.urls import reverse

from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
LOGIN = "/login/"


@pytest.fixture
def leader(province, agency_a, make_member):
    return make_member(province, Role.LEADER, username="lanh.dao")


def login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_renders_for_anonymous(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_successful_login_redirects_home_and_records_audit(client, leader):
    response = login(client, "lanh.dao")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert is_logged_in(client)
    event = AuditEvent.objects.get(verb=AuditVerbs.LOGIN_SUCCEEDED)
    assert event.actor == leader
    assert event.ip_address == "127.0.0.1"
    assert PASSWORD not in str(event.data)


def test_login_sets_language_cookie_from_saved_preference(client, leader):
    leader.language = "en"
    leader.save(update_fields=["language"])
    response = login(client, "lanh.dao")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_failed_login_shows_error_and_records_audit_without_password(client, leader):
    response = login(client, "lanh.dao", "wrong-password-typed")
    assert response.status_code == 200
    assert b'data-testid="login-error"' in response.content
    assert not is_logged_in(client)
    event = AuditEvent.objects.get(verb=AuditVerbs.LOGIN_FAILED)
    assert event.data == {"username": "lanh.dao", "reason": "invalid_credentials"}
    assert event.actor is None
    assert "wrong-password-typed" not in str(event.data) + event.actor_label + event.target_repr


def test_failed_login_for_unknown_user_is_audited_too(client, db):
    login(client, "ai-do-khong-ton-tai", "whatever-password")
    assert AuditEvent.objects.filter(verb=AuditVerbs.LOGIN_FAILED, data__username="ai-do-khong-ton-tai").exists()


def test_inactive_user_cannot_log_in(client, leader):
    leader.is_active = False
    leader.save(update_fields=["is_active"])
    response = login(client, "lanh.dao")
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_sixth_attempt_is_locked_even_with_the_right_password(client, leader):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert login(client, "lanh.dao", "wrong-password").status_code == 200
    locked = login(client, "lanh.dao", "wrong-password")  # the limit-th failure locks
    assert locked.status_code in (403, 429)
    response = login(client, "lanh.dao", PASSWORD)
    assert response.status_code in (403, 429)
    assert b'data-testid="locked-out"' in response.content
    assert not is_logged_in(client)
    assert AuditEvent.objects.filter(verb=AuditVerbs.LOGIN_FAILED, data__reason="locked_out").exists()
    assert not AuditEvent.objects.filter(verb=AuditVerbs.LOGIN_SUCCEEDED).exists()


def test_lockout_of_one_username_does_not_lock_another(client, province, leader, make_member):
    make_member(province, Role.SPECIALIST, username="chuyen.vien")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        login(client, "lanh.dao", "wrong-password")
    assert login(client, "lanh.dao", PASSWORD).status_code in (403, 429)
    response = login(client, "chuyen.vien", PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_success_before_the_limit_resets_the_failure_count(client, leader):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "lanh.dao", "wrong-password")
    assert login(client, "lanh.dao").status_code == 302
    client.post(reverse("core:logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "lanh.dao", "wrong-password")
    assert login(client, "lanh.dao").status_code == 302


def test_username_is_nfc_normalised(client, province, make_member):
    composed = unicodedata.normalize("NFC", "nguyễn.thị.hương")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    make_member(province, Role.LEADER, username=composed)
    response = login(client, decomposed)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_lockout_counts_composed_and_decomposed_spellings_together(client, province, make_member):
    composed = unicodedata.normalize("NFC", "trần.đức")
    decomposed = unicodedata.normalize("NFD", composed)
    make_member(province, Role.LEADER, username=composed)
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, composed if i % 2 else decomposed, "wrong-password")
    assert login(client, composed).status_code in (403, 429)


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("x" * 10_000, PASSWORD),
        ("lanh.dao", "p" * 10_000),
        ("x" * 10_000, "p" * 10_000),
    ],
)
def test_oversized_input_gives_a_form_error_not_a_500(client, leader, username, password):
    response = login(client, username, password)
    assert response.status_code == 200
    assert b'data-testid="login-error"' in response.content
    assert not is_logged_in(client)
    event = AuditEvent.objects.get(verb=AuditVerbs.LOGIN_FAILED)
    assert event.data["reason"] == "invalid_input"
    assert len(event.data["username"]) <= 150


@pytest.mark.parametrize(
    "payload", [{}, {"username": ""}, {"password": PASSWORD}, {"username": "\x00", "password": "a"}]
)
def test_malformed_posts_are_refused_cleanly(client, leader, payload):
    response = client.post(LOGIN, payload)
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_hostile_username_is_escaped_in_the_form(client, leader):
    hostile = '"><script>alert(1)</script>'
    response = login(client, hostile, "bad-password")
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil.example/path", "https:///evil.example", "javascript:alert(1)"]
)
def test_next_does_not_allow_open_redirects(client, leader, target):
    response = client.post(f"{LOGIN}?next={target}", {"username": "lanh.dao", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_next_inside_the_site_is_followed(client, leader):
    response = login(client, "lanh.dao", next="/account/")
    assert response["Location"] == "/account/"


def test_logged_in_user_visiting_login_is_sent_home(client, leader):
    client.force_login(leader)
    response = client.get(LOGIN)
    assert response.status_code == 302


def test_logout_records_audit_and_ends_session(client, leader):
    login(client, "lanh.dao")
    response = client.post(reverse("core:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:login")
    assert not is_logged_in(client)
    assert AuditEvent.objects.filter(verb=AuditVerbs.LOGOUT, actor=leader).exists()


def test_logout_by_get_is_refused(client, leader):
    client.force_login(leader)
    assert client.get(reverse("core:logout")).status_code == 405
    assert is_logged_in(client)


def test_login_requires_csrf(leader):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"username": "lanh.dao", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session


def test_pages_need_login(client, db):
    for name in ("core:home", "core:account", "core:password_change", "core:two_factor_setup"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("core:login"))
