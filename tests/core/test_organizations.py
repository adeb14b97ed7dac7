"""Services of the organisation tree and of people: codes, tree moves, deactivation, passwords, audit."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import AuditEvent, Membership, Organization, User
from cityops.core.selectors.management import (
    can_change_membership,
    can_edit_user,
    grantable_roles,
    search_users,
    tree_order,
    visible_users,
)
from cityops.core.services.organizations import (
    membership_grant,
    membership_update,
    organization_bulk_create,
    organization_create,
    organization_set_active,
    organization_update,
    user_create,
    user_set_active,
    user_set_password,
)
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def can_log_in(client, username: str, password: str) -> bool:
    """``client.login`` through the login backends (django-axes wants the request)."""
    return client.login(request=RequestFactory().post("/login/"), username=username, password=password)


def assert_paths_consistent() -> None:
    for org in Organization.objects.select_related("parent"):
        expected = f"{org.parent.path if org.parent else '/'}{org.pk}/"
        assert org.path == expected, org
        assert org.depth == (org.parent.depth + 1 if org.parent else 0), org


# --- Codes ----------------------------------------------------------------------------------------------


def test_edxml_code_is_validated_and_normalised(province):
    org = organization_create(actor=None, name="Sở Tư pháp", code="stp", kind="department", parent=province,
                              edxml_code=" 000.00.04.h24 ")  # fmt: skip
    assert org.edxml_code == "000.00.04.H24"


@pytest.mark.parametrize(
    "bad",
    ["000.00.00.H0", "000.00.00.H000", "00.00.00.H00", "000-00-00-H00", "000.00.00.100", "abc.de.fg.H00",
     "<script>alert(1)</script>", "000.00.00.H00\n1", "000.00.00.H0٣", "000.00.00.Ḥ00", "０００.00.00.H00",
     "000.00.00.H00; DROP"],
)  # fmt: skip
def test_malformed_edxml_codes_are_refused(province, bad):
    before = Organization.objects.count()
    with pytest.raises(ValidationError) as info:
        organization_create(actor=None, name="X", code="x-unit", kind="department", parent=province, edxml_code=bad)
    assert "edxml_code" in info.value.message_dict
    assert Organization.objects.count() == before


def test_edxml_update_is_validated_too(agency_a):
    with pytest.raises(ValidationError) as info:
        organization_update(actor=None, organization=agency_a, edxml_code="12.34")
    assert "edxml_code" in info.value.message_dict
    agency_a.refresh_from_db()
    assert agency_a.edxml_code == ""


def test_duplicate_codes_are_refused(province, agency_a):
    with pytest.raises(ValidationError) as info:
        organization_create(actor=None, name="Khác", code=agency_a.code, kind="department", parent=province)
    assert "code" in info.value.message_dict
    organization_update(actor=None, organization=agency_a, edxml_code="000.00.05.H24")
    with pytest.raises(ValidationError):
        organization_create(actor=None, name="Khác", code="khac", kind="department", parent=province,
                            edxml_code="000.00.05.H24")  # fmt: skip


@pytest.mark.parametrize("bad", ["24a", "-1", "2 4", "x" * 17, "1" * 17, "٢٤", "2\n4"])
def test_admin_unit_code_is_digits(province, bad):
    with pytest.raises(ValidationError):
        organization_create(actor=None, name="X", code="x", kind="ward", parent=province, admin_unit_code=bad)


def test_oversized_and_bad_slug_refused(province):
    with pytest.raises(ValidationError):
        organization_create(actor=None, name="N" * 256, code="n", kind="department", parent=province)
    with pytest.raises(ValidationError):
        organization_create(actor=None, name="N", code="có dấu", kind="department", parent=province)


def test_names_are_stored_nfc(province):
    decomposed = unicodedata.normalize("NFD", "Sở Văn hóa, Thể thao và Du lịch")
    org = organization_create(actor=None, name=f"  {decomposed} ", code="svh", kind="department", parent=province)
    org.refresh_from_db()
    assert org.name == unicodedata.normalize("NFC", "Sở Văn hóa, Thể thao và Du lịch")


# --- Tree -----------------------------------------------------------------------------------------------


def test_province_has_no_parent(province, agency_a):
    with pytest.raises(ValidationError):
        organization_create(actor=None, name="Tỉnh khác", code="p2", kind="province", parent=agency_a)
    with pytest.raises(ValidationError):
        organization_update(actor=None, organization=province, parent=agency_a)


def test_moving_a_unit_moves_its_subtree(province, agency_a, agency_b):
    unit = OrganizationFactory(parent=agency_a, kind="unit")
    team = OrganizationFactory(parent=unit, kind="unit")
    actor = UserFactory()
    organization_update(actor=actor, organization=unit, parent=agency_b)
    unit.refresh_from_db()
    team.refresh_from_db()
    assert unit.path == f"{agency_b.path}{unit.pk}/" and unit.depth == 2
    assert team.path == f"{agency_b.path}{unit.pk}/{team.pk}/" and team.depth == 3
    assert set(Organization.objects.subtree_of(agency_a)) == {agency_a}
    assert set(Organization.objects.subtree_of(agency_b)) == {agency_b, unit, team}
    assert_paths_consistent()
    event = AuditEvent.objects.filter(verb=AuditVerbs.ORGANIZATION_UPDATED, target_id=str(unit.pk)).get()
    assert event.actor == actor
    assert event.data["old"]["parent_id"] == agency_a.pk and event.data["new"]["parent_id"] == agency_b.pk


def test_a_unit_cannot_move_under_itself_or_its_descendants(agency_a):
    unit = OrganizationFactory(parent=agency_a, kind="unit")
    team = OrganizationFactory(parent=unit, kind="unit")
    for target in (agency_a, unit, team):
        with pytest.raises(ValidationError):
            organization_update(actor=None, organization=agency_a, parent=target)
    with pytest.raises(ValidationError):
        organization_update(actor=None, organization=unit, parent=team)
    assert_paths_consistent()
    unit.refresh_from_db()
    assert unit.parent_id == agency_a.pk


def test_stale_parent_instance_does_not_corrupt_paths(province, agency_a, agency_b):
    unit = OrganizationFactory(parent=agency_a, kind="unit")
    stale_b = Organization.objects.get(pk=agency_b.pk)
    organization_update(actor=None, organization=agency_b, parent=agency_a)  # B moves under A
    organization_update(actor=None, organization=unit, parent=stale_b)  # stale copy still says /province/B/
    assert_paths_consistent()


def test_root_cannot_be_deactivated_and_parents_wait_for_children(province, agency_a):
    unit = OrganizationFactory(parent=agency_a, kind="unit")
    with pytest.raises(ValidationError):
        organization_set_active(actor=None, organization=province, active=False)
    with pytest.raises(ValidationError):
        organization_update(actor=None, organization=province, is_active=False)
    with pytest.raises(ValidationError):
        organization_set_active(actor=None, organization=agency_a, active=False)
    organization_set_active(actor=None, organization=unit, active=False)
    organization_set_active(actor=None, organization=agency_a, active=False)
    assert not Organization.objects.get(pk=agency_a.pk).is_active
    province.refresh_from_db()
    assert province.is_active


def test_bulk_create_is_all_or_nothing(province):
    rows = [
        {"name": "Xã Một", "code": "xa-mot", "kind": "commune", "parent": province, "edxml_code": "000.01.90.H24"},
        {"name": "Xã Hai", "code": "xa-hai", "kind": "commune", "parent": province, "edxml_code": "bad"},
    ]
    before = Organization.objects.count()
    with pytest.raises(ValidationError):
        organization_bulk_create(actor=None, rows=rows)
    rows[1]["edxml_code"] = "000.01.90.H24"  # duplicate of row 1
    with pytest.raises(ValidationError):
        organization_bulk_create(actor=None, rows=rows)
    assert Organization.objects.count() == before
    rows[1]["edxml_code"] = "000.02.90.H24"
    created = organization_bulk_create(actor=None, rows=rows)
    assert [org.code for org in created] == ["xa-mot", "xa-hai"]
    assert_paths_consistent()
    assert AuditEvent.objects.filter(verb=AuditVerbs.ORGANIZATION_CREATED, target_id=str(created[0].pk)).exists()


def test_tree_order_puts_children_after_parents(province, agency_a, agency_b):
    unit = OrganizationFactory(parent=agency_b, kind="unit", name="A unit")
    ordered = tree_order(Organization.objects.all())
    assert ordered.index(province) < ordered.index(agency_b) < ordered.index(unit)
    assert ordered.index(agency_a) < ordered.index(agency_b)  # "Sở Xây dựng" before "Sở Y tế"


# --- People ---------------------------------------------------------------------------------------------


def test_user_create_validates_password_and_writes_nothing_on_failure(agency_a):
    for weak in ("short", "1234567890123", "password123", "nguyenvana1"):
        with pytest.raises(ValidationError) as info:
            user_create(actor=None, username="nguyenvana1", password=weak, organization=agency_a,
                        role=Role.SPECIALIST, full_name="Nguyễn Văn A")  # fmt: skip
        assert "password" in info.value.message_dict
    assert not User.objects.filter(username="nguyenvana1").exists()
    assert not Membership.objects.filter(organization=agency_a).exists()


def test_user_create_with_role_and_without_password(agency_a):
    actor = UserFactory()
    user = user_create(actor=actor, username="tranb", organization=agency_a, role=Role.CLERK, title="Văn thư",
                       full_name="Trần Thị B")  # fmt: skip
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role, membership.title) == (agency_a, Role.CLERK, "Văn thư")
    verbs = set(AuditEvent.objects.filter(actor=actor).values_list("verb", flat=True))
    assert {AuditVerbs.USER_CREATED, AuditVerbs.MEMBERSHIP_GRANTED} <= verbs


def test_user_create_rejects_unknown_role_and_bad_username(agency_a):
    with pytest.raises(ValidationError):
        user_create(actor=None, username="x1", organization=agency_a, role="superhero")
    with pytest.raises(ValidationError):
        user_create(actor=None, username="<script>", password="Strong-pass-2025")
    with pytest.raises(ValidationError):
        user_create(actor=None, username="u" * 151)
    assert not User.objects.exists()


def test_set_password_is_validated_and_audited_without_the_secret(client, agency_a):
    user = user_create(actor=None, username="lehoa", organization=agency_a, role=Role.SPECIALIST)
    with pytest.raises(ValidationError):
        user_set_password(actor=None, user=user, password="123")
    user_set_password(actor=None, user=user, password="Hoa-mat-khau-2025")
    assert can_log_in(client, "lehoa", "Hoa-mat-khau-2025")
    event = AuditEvent.objects.filter(verb=AuditVerbs.PASSWORD_CHANGED, target_id=str(user.pk)).get()
    assert "Hoa-mat-khau-2025" not in str(event.data)


def test_deactivation_keeps_the_person_and_blocks_login(client, agency_a, make_member):
    admin = make_member(agency_a, Role.ADMINISTRATOR)
    person = make_member(agency_a, Role.SPECIALIST)
    with pytest.raises(ValidationError):
        user_set_active(actor=admin, user=admin, active=False)
    assert can_log_in(client, person.username, "Secret-pass-123")
    client.logout()
    user_set_active(actor=admin, user=person, active=False)
    assert User.objects.filter(pk=person.pk, is_active=False).exists()
    assert not can_log_in(client, person.username, "Secret-pass-123")


def test_membership_update_audits_old_and_new(agency_a):
    user = UserFactory()
    membership = membership_grant(actor=None, user=user, organization=agency_a, role=Role.SPECIALIST)
    membership.role = Role.CLERK  # as an admin form would, before calling the service
    membership_update(actor=None, membership=membership, role=Role.CLERK, title="Văn thư")
    event = AuditEvent.objects.filter(verb="core.membership.updated").get()
    assert event.data["old"]["role"] == Role.SPECIALIST and event.data["new"]["role"] == Role.CLERK


# --- Who manages whom -----------------------------------------------------------------------------------


def test_grantable_roles(province, agency_a, agency_b, make_member):
    head = make_member(agency_a, Role.AGENCY_HEAD)
    admin = make_member(agency_a, Role.ADMINISTRATOR)
    specialist = make_member(agency_a, Role.SPECIALIST)
    assert Role.ADMINISTRATOR not in grantable_roles(head, agency_a)
    assert Role.SPECIALIST in grantable_roles(head, agency_a)
    assert grantable_roles(head, agency_b) == []
    assert grantable_roles(head, province) == []
    assert Role.ADMINISTRATOR in grantable_roles(admin, agency_a)
    assert grantable_roles(specialist, agency_a) == []


def test_edit_rules_across_organisations(agency_a, agency_b, make_member):
    head_a = make_member(agency_a, Role.AGENCY_HEAD)
    only_a = make_member(agency_a, Role.SPECIALIST)
    both = make_member(agency_a, Role.SPECIALIST)
    membership_grant(actor=None, user=both, organization=agency_b, role=Role.SPECIALIST)
    only_b = make_member(agency_b, Role.SPECIALIST)
    admin_a = make_member(agency_a, Role.ADMINISTRATOR)
    superuser = UserFactory(is_superuser=True)
    membership_grant(actor=None, user=superuser, organization=agency_a, role=Role.SPECIALIST)

    assert can_edit_user(head_a, only_a)
    assert not can_edit_user(head_a, both)  # B relies on this person too
    assert not can_edit_user(head_a, only_b)
    assert not can_edit_user(head_a, admin_a)  # no taking over a stronger account
    assert not can_edit_user(head_a, superuser)
    assert not can_edit_user(head_a, head_a)
    assert can_edit_user(admin_a, head_a)
    assert not can_change_membership(head_a, admin_a, agency_a, Role.SPECIALIST)
    assert not can_change_membership(head_a, head_a, agency_a, Role.LEADER)  # not one's own roles
    assert set(visible_users(head_a)) >= {only_a, both, admin_a, head_a}
    assert only_b not in set(visible_users(head_a))


def test_search_is_diacritic_insensitive(agency_a, make_member):
    head = make_member(agency_a, Role.AGENCY_HEAD)
    hoa = make_member(agency_a, Role.SPECIALIST, username="hoant", full_name="Nguyễn Thị Hoa")
    duc = make_member(agency_a, Role.SPECIALIST, username="ducpm", full_name="Phạm Minh Đức")
    assert search_users(head, "nguyen thi hoa") == [hoa]
    assert search_users(head, "NGUYỄN hoa") == [hoa]
    assert search_users(head, "duc") == [duc]
    assert search_users(head, "đức") == [duc]
    assert search_users(head, "x" * 10_000) == []
    assert search_users(head, "' OR 1=1 --") == []
