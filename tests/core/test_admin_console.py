"""The administration pages (``manage/``): who gets in, what they reach, validation and hostile input."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import AuditEvent, Membership, Organization, User
from cityops.core.services.organizations import membership_grant
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
STRONG = "Mat-khau-manh-2025"


def url(name: str, *args) -> str:
    return reverse(f"core:{name}", args=args)


@pytest.fixture
def admin_province(province, make_member):
    return make_member(province, Role.ADMINISTRATOR, username="quantri")


@pytest.fixture
def head_a(agency_a, make_member):
    return make_member(agency_a, Role.AGENCY_HEAD, username="giamdoc.a")


@pytest.fixture
def staff_a(agency_a, make_member):
    return make_member(agency_a, Role.SPECIALIST, username="chuyenvien.a", full_name="Nguyễn Thị Hoa")


@pytest.fixture
def staff_b(agency_b, make_member):
    return make_member(agency_b, Role.SPECIALIST, username="chuyenvien.b", full_name="Phạm Minh Đức")


def as_user(client: Client, user: User) -> Client:
    """Log ``user`` in, with the English interface so assertions can read the messages."""
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- Who gets in ----------------------------------------------------------------------------------------

ALL_PAGES = ["manage_index", "manage_organizations", "manage_organization_create", "manage_users",
             "manage_user_create"]  # fmt: skip


def test_anonymous_is_sent_to_login(client):
    for name in ALL_PAGES:
        response = client.get(url(name))
        assert response.status_code == 302 and reverse("core:login") in response["Location"]


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.CITIZEN, Role.LEADER, Role.CLERK, Role.INTEGRATOR])
def test_other_roles_are_refused(client, agency_a, staff_a, make_member, role):
    user = make_member(agency_a, role)
    as_user(client, user)
    for name in ALL_PAGES:
        assert client.get(url(name)).status_code == 403
    assert client.get(url("manage_user_edit", staff_a.pk)).status_code == 403
    response = client.post(url("manage_user_status", staff_a.pk), {"active": "0"})
    assert response.status_code == 403
    assert User.objects.get(pk=staff_a.pk).is_active


def test_index_shows_what_each_manager_may_do(client, admin_province, head_a):
    page = as_user(client, admin_province).get(url("manage_index"))
    assert page.status_code == 200
    assert url("manage_organizations").encode() in page.content
    page = as_user(Client(), head_a).get(url("manage_index"))
    assert page.status_code == 200
    assert url("manage_organizations").encode() not in page.content
    assert url("manage_users").encode() in page.content


def test_agency_head_cannot_manage_organisations(client, head_a, agency_a):
    as_user(client, head_a)
    assert client.get(url("manage_organizations")).status_code == 403
    assert client.get(url("manage_organization_edit", agency_a.pk)).status_code == 403
    response = client.post(url("manage_organization_create"), {"name": "X", "code": "x", "kind": "unit",
                                                                "parent": agency_a.pk, "sort_order": 0})  # fmt: skip
    assert response.status_code == 403
    assert not Organization.objects.filter(code="x").exists()


# --- Isolation between agencies -------------------------------------------------------------------------


def test_agency_head_sees_only_own_people(client, head_a, staff_a, staff_b):
    page = as_user(client, head_a).get(url("manage_users"))
    assert page.status_code == 200
    assert b"chuyenvien.a" in page.content
    assert b"chuyenvien.b" not in page.content
    assert client.get(url("manage_user_edit", staff_b.pk)).status_code == 404
    assert client.get(url("manage_user_edit", 999_999)).status_code == 404


def test_agency_head_cannot_change_other_agency_people(client, head_a, staff_b):
    as_user(client, head_a)
    before = staff_b.full_name
    assert (
        client.post(url("manage_user_edit", staff_b.pk), {"full_name": "Hacked", "language": "vi"}).status_code == 404
    )
    assert client.post(url("manage_user_status", staff_b.pk), {"active": "0"}).status_code == 404
    assert client.post(url("manage_user_password", staff_b.pk),
                       {"password1": STRONG, "password2": STRONG}).status_code == 404  # fmt: skip
    staff_b.refresh_from_db()
    assert staff_b.full_name == before and staff_b.is_active and not staff_b.check_password(STRONG)
    membership = Membership.objects.get(user=staff_b)
    assert client.post(url("manage_membership_remove", membership.pk)).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_agency_head_cannot_grant_roles_in_another_agency(client, head_a, staff_a, agency_b):
    as_user(client, head_a)
    response = client.post(url("manage_membership_add", staff_a.pk),
                           {"organization": agency_b.pk, "role": Role.SPECIALIST})  # fmt: skip
    assert response.status_code == 400
    assert not Membership.objects.filter(user=staff_a, organization=agency_b).exists()
    response = client.post(url("manage_user_create"), {
        "username": "moi.b", "full_name": "Người mới", "organization": agency_b.pk, "role": Role.SPECIALIST,
    })  # fmt: skip
    assert response.status_code == 400
    assert not User.objects.filter(username="moi.b").exists()


def test_agency_head_cannot_grant_administrator(client, head_a, staff_a, agency_a):
    as_user(client, head_a)
    response = client.post(url("manage_membership_add", staff_a.pk),
                           {"organization": agency_a.pk, "role": Role.ADMINISTRATOR})  # fmt: skip
    assert response.status_code == 400
    assert "You cannot grant this role" in response.content.decode()
    assert not Membership.objects.filter(user=staff_a, role=Role.ADMINISTRATOR).exists()
    response = client.post(url("manage_user_create"), {
        "username": "admin.moi", "full_name": "Quản trị mới", "organization": agency_a.pk,
        "role": Role.ADMINISTRATOR,
    })  # fmt: skip
    assert response.status_code == 400
    assert not User.objects.filter(username="admin.moi").exists()


def test_administrator_can_grant_administrator(client, admin_province, staff_a, agency_a):
    as_user(client, admin_province)
    response = client.post(url("manage_membership_add", staff_a.pk),
                           {"organization": agency_a.pk, "role": Role.ADMINISTRATOR})  # fmt: skip
    assert response.status_code == 302
    assert Membership.objects.filter(user=staff_a, organization=agency_a, role=Role.ADMINISTRATOR).exists()
    event = AuditEvent.objects.get(verb=AuditVerbs.MEMBERSHIP_GRANTED, actor=admin_province)
    assert event.data["role"] == Role.ADMINISTRATOR


def test_agency_head_grants_and_removes_roles_in_own_agency(client, head_a, staff_a, agency_a):
    unit = OrganizationFactory(parent=agency_a, kind="unit")
    as_user(client, head_a)
    response = client.post(url("manage_membership_add", staff_a.pk),
                           {"organization": unit.pk, "role": Role.CLERK, "title": "Văn thư"})  # fmt: skip
    assert response.status_code == 302
    membership = Membership.objects.get(user=staff_a, organization=unit, role=Role.CLERK)
    assert client.post(url("manage_membership_remove", membership.pk)).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(verb=AuditVerbs.MEMBERSHIP_REVOKED, actor=head_a).exists()


def test_agency_head_cannot_touch_privileged_or_shared_people(client, head_a, agency_a, agency_b, make_member):
    admin_a = make_member(agency_a, Role.ADMINISTRATOR, username="quantri.a")
    shared = make_member(agency_a, Role.SPECIALIST, username="dungchung")
    membership_grant(actor=None, user=shared, organization=agency_b, role=Role.SPECIALIST)
    as_user(client, head_a)
    # Visible (they belong to A) but not changeable.
    assert client.get(url("manage_user_edit", admin_a.pk)).status_code == 200
    for target in (admin_a, shared):
        assert client.post(url("manage_user_password", target.pk),
                           {"password1": STRONG, "password2": STRONG}).status_code == 403  # fmt: skip
        assert client.post(url("manage_user_status", target.pk), {"active": "0"}).status_code == 403
        target.refresh_from_db()
        assert target.is_active and not target.check_password(STRONG)
    admin_membership = Membership.objects.get(user=admin_a, role=Role.ADMINISTRATOR)
    assert client.post(url("manage_membership_remove", admin_membership.pk)).status_code == 403
    assert Membership.objects.filter(pk=admin_membership.pk).exists()
    page = client.get(url("manage_user_edit", shared.pk)).content.decode()
    assert url("manage_user_password", shared.pk) not in page


def test_nobody_changes_their_own_roles_here(client, head_a, agency_a):
    as_user(client, head_a)
    response = client.post(url("manage_membership_add", head_a.pk), {"organization": agency_a.pk, "role": Role.LEADER})
    assert response.status_code == 400
    assert not Membership.objects.filter(user=head_a, role=Role.LEADER).exists()
    own = Membership.objects.get(user=head_a)
    assert client.post(url("manage_membership_remove", own.pk)).status_code == 403


# --- Organisations --------------------------------------------------------------------------------------


def org_form(**overrides) -> dict:
    data = {"name": "Sở Ngoại vụ", "code": "so-ngoai-vu", "kind": "department", "sort_order": "0",
            "edxml_code": "", "admin_unit_code": ""}  # fmt: skip
    data.update(overrides)
    return data


def test_administrator_creates_an_organisation(client, admin_province, province):
    as_user(client, admin_province)
    response = client.post(url("manage_organization_create"),
                           org_form(parent=province.pk, edxml_code="000.00.41.h24"))  # fmt: skip
    assert response.status_code == 302
    org = Organization.objects.get(code="so-ngoai-vu")
    assert org.parent == province and org.path == f"{province.path}{org.pk}/" and org.edxml_code == "000.00.41.H24"
    assert AuditEvent.objects.filter(verb=AuditVerbs.ORGANIZATION_CREATED, actor=admin_province,
                                     target_id=str(org.pk)).exists()  # fmt: skip


@pytest.mark.parametrize("bad", ["000.00.41", "H24.00.00.000", "000.00.00.H2", "<b>x</b>"])
def test_bad_edxml_code_is_shown_on_the_form(client, admin_province, province, bad):
    as_user(client, admin_province)
    response = client.post(url("manage_organization_create"), org_form(parent=province.pk, edxml_code=bad))
    assert response.status_code == 400
    assert "000.00.00.H00" in response.content.decode()
    assert not Organization.objects.filter(code="so-ngoai-vu").exists()


def test_duplicate_code_is_refused(client, admin_province, province, agency_a):
    as_user(client, admin_province)
    response = client.post(url("manage_organization_create"), org_form(parent=province.pk, code=agency_a.code))
    assert response.status_code == 400
    assert Organization.objects.filter(code=agency_a.code).count() == 1


def test_oversized_and_malformed_fields_are_refused(client, admin_province, province):
    as_user(client, admin_province)
    for data in (org_form(parent=province.pk, name="x" * 300), org_form(parent=province.pk, code="có dấu"),
                 org_form(parent=province.pk, kind="galaxy"), org_form(parent="not-a-number"),
                 org_form(parent=province.pk, admin_unit_code="24a"), org_form(parent=province.pk, sort_order="-1"),
                 org_form(parent=province.pk, website="javascript:alert(1)")):  # fmt: skip
        assert client.post(url("manage_organization_create"), data).status_code == 400
    assert not Organization.objects.filter(code="so-ngoai-vu").exists()


def test_hostile_names_are_escaped(client, admin_province, province):
    as_user(client, admin_province)
    assert client.post(url("manage_organization_create"), org_form(parent=province.pk, name=XSS)).status_code == 302
    org = Organization.objects.get(code="so-ngoai-vu")
    assert org.name == XSS  # stored as typed, escaped on output
    for page in (client.get(url("manage_organizations")), client.get(url("manage_organization_edit", org.pk))):
        body = page.content.decode()
        assert XSS not in body and "&lt;script&gt;" in body


def test_organisation_search_folds_diacritics(client, admin_province, province, agency_a, agency_b):
    body = as_user(client, admin_province).get(url("manage_organizations"), {"q": "so xay dung"}).content.decode()
    assert "Sở Xây dựng" in body and "Sở Y tế" not in body


def test_moving_a_unit_keeps_descendant_paths(client, admin_province, agency_a, agency_b):
    unit = OrganizationFactory(parent=agency_a, kind="unit", code="phong-1")
    team = OrganizationFactory(parent=unit, kind="unit")
    as_user(client, admin_province)
    data = org_form(name=unit.name, code=unit.code, kind="unit", parent=agency_b.pk)
    assert client.post(url("manage_organization_edit", unit.pk), data).status_code == 302
    unit.refresh_from_db()
    team.refresh_from_db()
    assert unit.parent == agency_b
    assert team.path == f"{agency_b.path}{unit.pk}/{team.pk}/" and team.depth == 3


def test_cannot_move_under_own_descendant(client, admin_province, agency_a):
    unit = OrganizationFactory(parent=agency_a, kind="unit")
    as_user(client, admin_province)
    data = org_form(name=agency_a.name, code=agency_a.code, kind="department", parent=unit.pk)
    response = client.post(url("manage_organization_edit", agency_a.pk), data)
    assert response.status_code == 400
    agency_a.refresh_from_db()
    unit.refresh_from_db()
    assert agency_a.parent_id != unit.pk and unit.path.startswith(agency_a.path)


def test_province_root_is_never_deactivated_or_deleted(client, admin_province, province):
    as_user(client, admin_province)
    assert (
        "cannot be deactivated or deleted" in client.get(url("manage_organization_edit", province.pk)).content.decode()
    )
    assert client.post(url("manage_organization_status", province.pk), {"active": "0"}).status_code == 403
    superuser = as_user(Client(), UserFactory(is_superuser=True))
    response = superuser.post(url("manage_organization_status", province.pk), {"active": "0"}, follow=True)
    assert "cannot be deactivated" in response.content.decode()
    province.refresh_from_db()
    assert province.is_active and Organization.objects.filter(pk=province.pk).exists()


def test_deactivate_and_reactivate_a_unit(client, admin_province, agency_a):
    unit = OrganizationFactory(parent=agency_a, kind="unit")
    as_user(client, admin_province)
    client.post(url("manage_organization_status", unit.pk), {"active": "0"})
    assert not Organization.objects.get(pk=unit.pk).is_active
    client.post(url("manage_organization_status", unit.pk), {"active": "1"})
    assert Organization.objects.get(pk=unit.pk).is_active


def test_subtree_administrator_stays_in_the_subtree(client, agency_a, agency_b, make_member):
    admin_a = make_member(agency_a, Role.ADMINISTRATOR)
    as_user(client, admin_a)
    body = client.get(url("manage_organizations")).content.decode()
    assert "Sở Xây dựng" in body and "Sở Y tế" not in body
    assert client.get(url("manage_organization_edit", agency_b.pk)).status_code == 404
    assert client.post(url("manage_organization_create"), org_form(parent=agency_b.pk)).status_code == 400
    # Its own top unit cannot be moved elsewhere: the parent field is fixed.
    data = org_form(name=agency_a.name, code=agency_a.code, kind="department", parent=agency_b.pk)
    assert client.post(url("manage_organization_edit", agency_a.pk), data).status_code == 302
    agency_a.refresh_from_db()
    assert agency_a.parent_id != agency_b.pk
    assert client.post(url("manage_organization_create"), org_form(parent=agency_a.pk)).status_code == 302
    # Nobody switches off their own access: the top unit is deactivated only from the level above.
    assert client.post(url("manage_organization_status", agency_a.pk), {"active": "0"}).status_code == 403
    assert Organization.objects.get(pk=agency_a.pk).is_active
    child = Organization.objects.get(code="so-ngoai-vu")
    assert client.post(url("manage_organization_status", child.pk), {"active": "0"}).status_code == 302
    assert not Organization.objects.get(pk=child.pk).is_active


# --- People ---------------------------------------------------------------------------------------------


def user_form(org, **overrides) -> dict:
    data = {"username": "tran.van.c", "full_name": "Trần Văn C", "email": "c@example.gov.vn",
            "organization": org.pk, "role": Role.SPECIALIST, "title": "Chuyên viên",
            "password1": STRONG, "password2": STRONG}  # fmt: skip
    data.update(overrides)
    return data


def test_create_a_person_who_can_then_log_in(client, head_a, agency_a):
    as_user(client, head_a)
    response = client.post(url("manage_user_create"), user_form(agency_a))
    assert response.status_code == 302
    user = User.objects.get(username="tran.van.c")
    assert Membership.objects.filter(user=user, organization=agency_a, role=Role.SPECIALIST).exists()
    assert AuditEvent.objects.filter(verb=AuditVerbs.USER_CREATED, actor=head_a, target_id=str(user.pk)).exists()
    fresh = Client()
    response = fresh.post(reverse("core:login"), {"username": "tran.van.c", "password": STRONG})
    assert response.status_code == 302 and "_auth_user_id" in fresh.session


def test_create_without_password_then_set_one(client, head_a, agency_a):
    as_user(client, head_a)
    response = client.post(url("manage_user_create"), user_form(agency_a, password1="", password2=""), follow=True)
    user = User.objects.get(username="tran.van.c")
    assert not user.has_usable_password()
    body = response.content.decode()
    assert "Set password" in body and 'data-testid="no-password"' in body
    response = client.post(url("manage_user_password", user.pk), {"password1": "short", "password2": "short"})
    assert response.status_code == 400
    response = client.post(url("manage_user_password", user.pk), {"password1": STRONG, "password2": STRONG})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)


@pytest.mark.parametrize(
    "overrides",
    [{"password1": "12345678", "password2": "12345678"}, {"password2": "Khac-hoan-toan-2025"},
     {"username": "<script>"}, {"username": "u" * 151}, {"full_name": ""}, {"full_name": "x" * 256},
     {"email": "not-an-email"}, {"role": "god"}, {"organization": "999999"}, {"password1": "x" * 129}],
)  # fmt: skip
def test_bad_person_input_is_refused(client, head_a, agency_a, overrides):
    as_user(client, head_a)
    response = client.post(url("manage_user_create"), user_form(agency_a, **overrides))
    assert response.status_code == 400
    assert not User.objects.filter(username__in=["tran.van.c", "<script>", "u" * 151]).exists()


def test_duplicate_username_is_refused_case_insensitively(client, head_a, agency_a, staff_a):
    as_user(client, head_a)
    response = client.post(url("manage_user_create"), user_form(agency_a, username="ChuyenVien.A"))
    assert response.status_code == 400
    assert User.objects.filter(username__iexact="chuyenvien.a").count() == 1


def test_hostile_person_names_are_escaped(client, head_a, agency_a):
    as_user(client, head_a)
    assert client.post(url("manage_user_create"), user_form(agency_a, full_name=XSS)).status_code == 302
    user = User.objects.get(username="tran.van.c")
    for page in (client.get(url("manage_users")), client.get(url("manage_user_edit", user.pk))):
        body = page.content.decode()
        assert XSS not in body and "&lt;script&gt;" in body


def test_user_search_is_diacritic_insensitive(client, head_a, staff_a, make_member, agency_a):
    make_member(agency_a, Role.SPECIALIST, username="duc.a", full_name="Lê Văn Đức")
    as_user(client, head_a)
    body = client.get(url("manage_users"), {"q": "nguyen thi hoa"}).content.decode()
    assert "chuyenvien.a" in body and "duc.a" not in body
    body = client.get(url("manage_users"), {"q": "DUC"}).content.decode()
    assert "duc.a" in body and "chuyenvien.a" not in body
    assert client.get(url("manage_users"), {"q": "x" * 5000}).status_code == 200
    assert client.get(url("manage_users"), {"page": "abc", "status": "bogus"}).status_code == 200


def test_edit_profile_and_deactivate(client, head_a, staff_a):
    as_user(client, head_a)
    response = client.post(url("manage_user_edit", staff_a.pk),
                           {"full_name": "Nguyễn Thị Hoa Mới", "email": "", "phone": "0912", "job_title": "",
                            "language": "en"})  # fmt: skip
    assert response.status_code == 302
    staff_a.refresh_from_db()
    assert staff_a.full_name == "Nguyễn Thị Hoa Mới" and staff_a.language == "en"
    assert client.post(url("manage_user_status", staff_a.pk), {"active": "0"}).status_code == 302
    staff_a.refresh_from_db()
    assert not staff_a.is_active  # deactivated, never deleted
    body = client.get(url("manage_users"), {"status": "inactive"}).content.decode()
    assert "chuyenvien.a" in body
    assert AuditEvent.objects.filter(verb=AuditVerbs.USER_UPDATED, actor=head_a, target_id=str(staff_a.pk)).count() == 2


def test_no_delete_for_people(client, admin_province, staff_a):
    as_user(client, admin_province)
    body = client.get(url("manage_user_edit", staff_a.pk)).content.decode()
    assert "Deactivate" in body and "delete" not in body.lower().replace("deleted", "")


def test_csrf_is_required_on_every_post(admin_province, staff_a, province, agency_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_province)
    posts = [
        (url("manage_organization_create"), org_form(parent=province.pk)),
        (url("manage_organization_status", agency_a.pk), {"active": "0"}),
        (url("manage_user_create"), user_form(agency_a)),
        (url("manage_user_edit", staff_a.pk), {"full_name": "X", "language": "vi"}),
        (url("manage_user_password", staff_a.pk), {"password1": STRONG, "password2": STRONG}),
        (url("manage_user_status", staff_a.pk), {"active": "0"}),
        (url("manage_membership_add", staff_a.pk), {"organization": agency_a.pk, "role": Role.CLERK}),
        (url("manage_membership_remove", Membership.objects.get(user=staff_a).pk), {}),
    ]
    for path, data in posts:
        assert client.post(path, data).status_code == 403, path
    staff_a.refresh_from_db()
    assert staff_a.is_active and staff_a.full_name == "Nguyễn Thị Hoa"
    assert not Organization.objects.filter(code="so-ngoai-vu").exists()
    assert Membership.objects.filter(user=staff_a).count() == 1


def test_superuser_manages_everything(client, staff_b, agency_b):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    as_user(client, superuser)
    assert client.get(url("manage_user_edit", staff_b.pk)).status_code == 200
    assert client.get(url("manage_organization_edit", agency_b.pk)).status_code == 200
    assert b"Technical administration" in client.get(url("manage_index")).content
