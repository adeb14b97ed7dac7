"""The Django admin: saves go through the services, history is read-only for everyone, secrets never show."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import (
    Announcement,
    ApiKey,
    Attachment,
    AuditEvent,
    CalendarDay,
    Membership,
    Notification,
    Organization,
    User,
)
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


@pytest.fixture
def superuser(province, client):
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return user


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:core_{model._meta.model_name}_{action}", args=args)


def org_data(**overrides) -> dict:
    data = {"name": "Sở Ngoại vụ", "short_name": "", "code": "so-ngoai-vu", "kind": "department", "parent": "",
            "sort_order": "0", "is_active": "on", "admin_unit_code": "", "edxml_code": "", "email": "", "phone": "",
            "address": "", "website": ""}  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "model", [Organization, User, Membership, CalendarDay, Notification, Announcement, ApiKey, AuditEvent, Attachment]
)
def test_every_changelist_opens(client, superuser, model):
    assert model in admin.site._registry
    assert client.get(admin_url(model, "changelist")).status_code == 200


def test_organization_list_is_a_tree(client, superuser, province, agency_a):
    OrganizationFactory(parent=agency_a, kind="unit", name=XSS)
    body = client.get(admin_url(Organization, "changelist")).content.decode()
    assert body.index("Tỉnh Bắc Ninh") < body.index("Sở Xây dựng") < body.index("&lt;script&gt;")
    assert XSS not in body
    assert "padding-left:3.0em" in body  # depth 2 indent
    assert client.get(admin_url(Organization, "changelist"), {"q": "Xây"}).status_code == 200
    assert client.get(admin_url(Organization, "changelist"), {"kind__exact": "unit"}).status_code == 200


def test_organization_add_goes_through_the_service(client, superuser, province):
    response = client.post(admin_url(Organization, "add"), org_data(parent=province.pk, edxml_code="000.00.41.H24"))
    assert response.status_code == 302
    org = Organization.objects.get(code="so-ngoai-vu")
    assert org.path == f"{province.path}{org.pk}/" and org.depth == 1
    assert AuditEvent.objects.filter(verb=AuditVerbs.ORGANIZATION_CREATED, actor=superuser,
                                     target_id=str(org.pk)).exists()  # fmt: skip


def test_organization_form_refuses_bad_codes_and_loops(client, superuser, province, agency_a):
    response = client.post(admin_url(Organization, "add"), org_data(parent=province.pk, edxml_code="000.00.41"))
    assert response.status_code == 200 and "000.00.00.H00" in response.content.decode()
    assert not Organization.objects.filter(code="so-ngoai-vu").exists()
    unit = OrganizationFactory(parent=agency_a, kind="unit")
    data = org_data(name=agency_a.name, code=agency_a.code, parent=unit.pk)
    response = client.post(admin_url(Organization, "change", agency_a.pk), data)
    assert response.status_code == 200
    agency_a.refresh_from_db()
    assert agency_a.parent == province
    data = org_data(name=province.name, code=province.code, kind="province", is_active="")
    response = client.post(admin_url(Organization, "change", province.pk), data)
    assert response.status_code == 200
    province.refresh_from_db()
    assert province.is_active


def test_organization_move_in_admin_keeps_paths(client, superuser, province, agency_a, agency_b):
    unit = OrganizationFactory(parent=agency_a, kind="unit", code="unit-1")
    team = OrganizationFactory(parent=unit, kind="unit")
    data = org_data(name=unit.name, code=unit.code, kind="unit", parent=agency_b.pk)
    assert client.post(admin_url(Organization, "change", unit.pk), data).status_code == 302
    team.refresh_from_db()
    assert team.path == f"{agency_b.path}{unit.pk}/{team.pk}/"
    assert AuditEvent.objects.filter(verb=AuditVerbs.ORGANIZATION_UPDATED, target_id=str(unit.pk)).exists()


def test_organizations_and_users_are_never_deleted(client, superuser, agency_a):
    person = UserFactory()
    assert client.get(admin_url(Organization, "delete", agency_a.pk)).status_code == 403
    assert client.get(admin_url(User, "delete", person.pk)).status_code == 403
    assert client.post(admin_url(Organization, "changelist"),
                       {"action": "delete_selected", "_selected_action": [agency_a.pk]}).status_code != 500  # fmt: skip
    assert Organization.objects.filter(pk=agency_a.pk).exists()


def test_audit_events_are_read_only_even_for_superusers(client, superuser, agency_a):
    event = AuditEvent.objects.filter(verb=AuditVerbs.ORGANIZATION_CREATED).first()
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)
    assert client.get(admin_url(AuditEvent, "add")).status_code == 403
    assert client.get(admin_url(AuditEvent, "delete", event.pk)).status_code == 403
    page = client.get(admin_url(AuditEvent, "change", event.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(admin_url(AuditEvent, "change", event.pk), {"verb": "forged"})
    assert response.status_code == 403
    response = client.post(admin_url(AuditEvent, "changelist"),
                           {"action": "delete_selected", "_selected_action": [event.pk]})  # fmt: skip
    assert AuditEvent.objects.filter(pk=event.pk, verb=AuditVerbs.ORGANIZATION_CREATED).exists()


@pytest.mark.parametrize("model", [Notification, Attachment, ApiKey])
def test_history_models_are_read_only(client, superuser, model):
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert client.get(admin_url(model, "add")).status_code == 403


def test_api_key_secret_never_shows(client, superuser, agency_a):
    from cityops.core.services.apikeys import apikey_create

    membership_admin = UserFactory()
    Membership.objects.create(user=membership_admin, organization=agency_a, role=Role.ADMINISTRATOR)
    api_key, secret = apikey_create(actor=superuser, name="Cổng LGSP", user=membership_admin, organization=agency_a)
    for page in (client.get(admin_url(ApiKey, "changelist")), client.get(admin_url(ApiKey, "change", api_key.pk))):
        body = page.content.decode()
        assert page.status_code == 200 and api_key.prefix in body
        assert api_key.digest not in body and secret not in body
    response = client.post(admin_url(ApiKey, "changelist"), {"action": "revoke", "_selected_action": [api_key.pk]})
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert AuditEvent.objects.filter(verb=AuditVerbs.APIKEY_REVOKED, target_id=str(api_key.pk)).exists()


def test_user_admin_add_and_memberships_inline_are_audited(client, superuser, agency_a):
    response = client.post(admin_url(User, "add"), {
        "username": "nguyen.moi", "full_name": "Nguyễn Văn Mới", "email": "moi@example.gov.vn",
        "usable_password": "true", "password1": "Mat-khau-rat-manh-9", "password2": "Mat-khau-rat-manh-9",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0", "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000", "memberships-0-organization": agency_a.pk,
        "memberships-0-role": Role.SPECIALIST, "memberships-0-title": "Chuyên viên",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="nguyen.moi")
    assert user.check_password("Mat-khau-rat-manh-9")
    assert Membership.objects.filter(user=user, organization=agency_a, role=Role.SPECIALIST).exists()
    created = AuditEvent.objects.get(verb=AuditVerbs.USER_CREATED, target_id=str(user.pk))
    assert created.actor == superuser and "Mat-khau" not in str(created.data)
    assert AuditEvent.objects.filter(verb=AuditVerbs.MEMBERSHIP_GRANTED, actor=superuser).exists()


def test_user_admin_password_change_is_audited(client, superuser):
    person = UserFactory()
    password = "Doi-mat-khau-2025"
    response = client.post(
        reverse("admin:auth_user_password_change", args=[person.pk]),
        {"usable_password": "true", "password1": password, "password2": password},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("Doi-mat-khau-2025")
    event = AuditEvent.objects.filter(verb=AuditVerbs.USER_UPDATED, target_id=str(person.pk)).get()
    assert event.actor == superuser and event.data.get("password_changed") is True
    assert "Doi-mat-khau" not in str(event.data)


def test_membership_admin_revokes_through_the_service(client, superuser, agency_a):
    person = UserFactory()
    membership = Membership.objects.create(user=person, organization=agency_a, role=Role.CLERK)
    response = client.post(admin_url(Membership, "delete", membership.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(verb=AuditVerbs.MEMBERSHIP_REVOKED, actor=superuser).exists()


def test_staff_without_rights_cannot_use_the_admin(client, agency_a):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(admin_url(AuditEvent, "changelist")).status_code == 403
    assert client.get(admin_url(Organization, "add")).status_code == 403
