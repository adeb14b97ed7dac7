"""The person's own account: profile and language, password change, links to security settings."""

from __future__ import annotations

import unicodedata

import pytest
from django.conf import settings
from django.urls import reverse

from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import AuditEvent, User

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
NEW_PASSWORD = "Mat-khau-moi-2025!"
ACCOUNT = "/account/"
PASSWORD_URL = "/account/password/"


@pytest.fixture
def leader(province, agency_a, make_member):
    return make_member(province, Role.LEADER, username="lanh.dao", full_name="Nguyễn Văn A")


@pytest.fixture
def signed_in(client, leader):
    client.force_login(leader)
    return client


def profile(**overrides):
    data = {"full_name": "Trần Thị Bình", "phone": "0222 3822 456", "language": "vi"}
    data.update(overrides)
    return data


# --- Account page ---------------------------------------------------------------------------------------


def test_account_page_shows_profile_roles_and_links(signed_in, leader, province):
    response = signed_in.get(ACCOUNT)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nguyễn Văn A" in body
    assert province.name in body
    assert reverse("core:password_change") in body
    assert reverse("core:two_factor_setup") in body


def test_account_links_notification_preferences_when_that_page_exists(signed_in):
    from django.urls import NoReverseMatch

    body = signed_in.get(ACCOUNT).content.decode()
    try:
        url = reverse("core:notification_preferences")
    except NoReverseMatch:
        assert 'data-testid="notification-preferences-link"' not in body
    else:
        assert f'href="{url}"' in body


def test_saving_the_profile_updates_and_audits(signed_in, leader):
    response = signed_in.post(ACCOUNT, profile())
    assert response.status_code == 302
    assert response["Location"] == ACCOUNT
    leader.refresh_from_db()
    assert (leader.full_name, leader.phone, leader.language) == ("Trần Thị Bình", "0222 3822 456", "vi")
    event = AuditEvent.objects.filter(verb=AuditVerbs.USER_UPDATED, actor=leader).latest("id")
    assert event.data["new"]["full_name"] == "Trần Thị Bình"


def test_profile_text_is_stored_nfc(signed_in, leader):
    decomposed = unicodedata.normalize("NFD", "Phạm Thị Hồng Nhung")
    signed_in.post(ACCOUNT, profile(full_name=f"  {decomposed}  "))
    leader.refresh_from_db()
    assert leader.full_name == unicodedata.normalize("NFC", "Phạm Thị Hồng Nhung")


def test_saving_the_language_sets_the_language_cookie(signed_in, leader):
    response = signed_in.post(ACCOUNT, profile(language="en"))
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    leader.refresh_from_db()
    assert leader.language == "en"
    page = signed_in.get(ACCOUNT)
    assert '<html lang="en">' in page.content.decode()
    signed_in.post(ACCOUNT, profile(language="vi"))
    assert '<html lang="vi">' in signed_in.get(ACCOUNT).content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("language", "fr"),
        ("language", ""),
        ("language", "<script>"),
        ("phone", "call me maybe"),
        ("phone", "1" * 40),
        ("phone", "<script>alert(1)</script>"),
        ("full_name", "x" * 10_000),
        ("full_name", '<img src=x onerror="alert(1)">'),
        ("full_name", "Tên\x00ẩn"),
    ],
)
def test_bad_profile_input_is_refused_without_a_write(signed_in, leader, field, value):
    before = User.objects.values("full_name", "phone", "language").get(pk=leader.pk)
    response = signed_in.post(ACCOUNT, profile(**{field: value}))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="form-error"' in body
    assert "<script>alert(1)</script>" not in body and '<img src=x onerror="alert(1)">' not in body
    assert User.objects.values("full_name", "phone", "language").get(pk=leader.pk) == before
    assert not AuditEvent.objects.filter(verb=AuditVerbs.USER_UPDATED, actor=leader).exists()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_profile_cannot_change_fields_outside_the_form(signed_in, leader):
    signed_in.post(ACCOUNT, {**profile(), "username": "hacker", "is_staff": "on", "is_superuser": "on"})
    leader.refresh_from_db()
    assert leader.username == "lanh.dao"
    assert not leader.is_staff and not leader.is_superuser


def test_account_page_needs_login(client, db):
    response = client.get(ACCOUNT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
    assert client.post(ACCOUNT, profile()).status_code == 302


# --- Password change ------------------------------------------------------------------------------------


def change(client, old=PASSWORD, new1=NEW_PASSWORD, new2=None):
    return client.post(
        PASSWORD_URL, {"old_password": old, "new_password1": new1, "new_password2": new1 if new2 is None else new2}
    )


def test_password_change_keeps_the_session_and_audits(signed_in, leader):
    response = change(signed_in)
    assert response.status_code == 302
    assert response["Location"] == ACCOUNT
    leader.refresh_from_db()
    assert leader.check_password(NEW_PASSWORD)
    assert signed_in.get("/").status_code == 200  # this session is still signed in
    event = AuditEvent.objects.get(verb=AuditVerbs.PASSWORD_CHANGED)
    assert event.actor == leader
    assert NEW_PASSWORD not in str(event.data) and PASSWORD not in str(event.data)


def test_password_change_ends_other_sessions(client, leader, django_user_model):
    from django.test import Client

    other = Client()
    other.force_login(leader)
    client.force_login(leader)
    assert change(client).status_code == 302
    response = other.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_new_password_works_for_login(client, leader):
    client.force_login(leader)
    change(client)
    client.post(reverse("core:logout"))
    response = client.post("/login/", {"username": "lanh.dao", "password": NEW_PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.parametrize(
    ("old", "new1", "new2"),
    [
        ("wrong-old-password", NEW_PASSWORD, NEW_PASSWORD),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x"),
        (PASSWORD, "short", "short"),
        (PASSWORD, "password123", "password123"),
        (PASSWORD, "1234567890123", "1234567890123"),
        (PASSWORD, "lanh.dao.lanh", "lanh.dao.lanh"),
        ("p" * 10_000, NEW_PASSWORD, NEW_PASSWORD),
        (PASSWORD, "n" * 10_000, "n" * 10_000),
        ("", "", ""),
    ],
)
def test_bad_password_change_is_refused(signed_in, leader, old, new1, new2):
    response = change(signed_in, old, new1, new2)
    assert response.status_code == 200
    assert 'data-testid="form-error"' in response.content.decode()
    leader.refresh_from_db()
    assert leader.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(verb=AuditVerbs.PASSWORD_CHANGED).exists()


def test_password_page_has_no_inline_script(signed_in):
    body = signed_in.get(PASSWORD_URL).content.decode()
    assert "<script>" not in body and ' style="' not in body
