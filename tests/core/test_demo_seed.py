"""The demo province: complete, consistent, idempotent, and its accounts work."""

from __future__ import annotations

import re
import unicodedata
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from vietnam_provinces import Ward

from cityops.core import demo_data
from cityops.core.choices import OrganizationKind, Role
from cityops.core.models import Announcement, AuditEvent, Membership, Organization, RolePolicy, User
from cityops.core.models.organizations import EDXML_CODE_PATTERN
from cityops.core.services.demo import seed_demo
from cityops.core.services.organizations import user_set_password

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return seed_demo()


def counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "announcements": Announcement.objects.count(),
        "role_policies": RolePolicy.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_seeding_twice_creates_nothing_the_second_time(seeded):
    first = counts()
    again = seed_demo()
    assert counts() == first
    assert again.created is False and seeded.created is True
    assert again.accounts == seeded.accounts
    assert again.province == seeded.province and again.integrator_user == seeded.integrator_user


def test_province_root(seeded):
    province = seeded.province
    assert province.parent is None and province.kind == OrganizationKind.PROVINCE and province.depth == 0
    assert province.admin_unit_code == "24" and province.edxml_code == "000.00.00.H24"
    assert "Bắc Ninh" in province.name
    assert Organization.objects.filter(parent__isnull=True).get() == province


def test_all_99_communes_and_wards_with_their_real_names(seeded):
    expected = {f"{int(w.code):05d}": w for w in Ward.iter_by_province(24)}
    assert len(expected) == 99
    local = Organization.objects.filter(
        kind__in=[OrganizationKind.COMMUNE, OrganizationKind.WARD, OrganizationKind.SPECIAL_ZONE]
    )
    assert local.count() == 99
    for org in local:
        ward = expected[org.admin_unit_code]
        assert org.name == ward.name and org.parent == seeded.province
        kind = {"xã": OrganizationKind.COMMUNE, "phường": OrganizationKind.WARD}[ward.division_type.value]
        assert org.kind == kind
    assert local.filter(kind=OrganizationKind.WARD).count() == 33
    assert local.filter(kind=OrganizationKind.COMMUNE).count() == 66


def test_provincial_agencies(seeded):
    departments = Organization.objects.filter(parent=seeded.province, kind__in=["department", "other"])
    assert 35 <= departments.count() <= 45
    names = set(departments.values_list("name", flat=True))
    for name in (
        "Sở Xây dựng",
        "Sở Nội vụ",
        "Sở Tài chính",
        "Sở Nông nghiệp và Môi trường",
        "Sở Y tế",
        "Thanh tra tỉnh",
        "Công an tỉnh",
        "Trung tâm Điều hành đô thị thông minh tỉnh",
        "Sở Văn hóa, Thể thao và Du lịch",
    ):
        assert name in names
    assert Organization.objects.filter(kind="unit", parent__parent=seeded.province).exists()


def test_every_path_matches_its_parent_and_codes_are_well_formed(seeded):
    edxml = re.compile(EDXML_CODE_PATTERN)
    seen = set()
    for org in Organization.objects.select_related("parent"):
        assert org.path == f"{org.parent.path if org.parent else '/'}{org.pk}/"
        assert org.depth == (org.parent.depth + 1 if org.parent else 0)
        assert edxml.match(org.edxml_code), org
        assert org.edxml_code not in seen
        seen.add(org.edxml_code)
        assert org.code.startswith(demo_data.CODE_PREFIX)


def test_names_are_nfc(seeded):
    for value in [
        *Organization.objects.values_list("name", flat=True),
        *User.objects.values_list("full_name", flat=True),
        *Membership.objects.values_list("title", flat=True),
    ]:
        assert unicodedata.is_normalized("NFC", value), value


def test_one_account_per_role(seeded):
    roles = set(
        Membership.objects.filter(user__username__in=[a[0] for a in seeded.accounts]).values_list("role", flat=True)
    )
    assert roles == set(Role.values)
    assert len(seeded.accounts) == len(Role.values)
    by_role = {m.role: m for m in Membership.objects.select_related("user", "organization")}
    assert by_role[Role.ADMINISTRATOR].organization == seeded.province and by_role[Role.ADMINISTRATOR].user.is_staff
    assert by_role[Role.LEADER].title == "Chủ tịch UBND tỉnh"
    assert by_role[Role.AGENCY_HEAD].organization.name == "Sở Xây dựng"
    assert by_role[Role.SPECIALIST].organization.name == "Sở Xây dựng"
    assert by_role[Role.INSPECTOR].organization.name == "Thanh tra tỉnh"
    assert by_role[Role.CLERK].organization.name.startswith("Văn phòng")
    assert by_role[Role.IOC_OPERATOR].organization == by_role[Role.INTEGRATOR].organization
    assert seeded.integrator_user.is_service_account and by_role[Role.INTEGRATOR].user == seeded.integrator_user
    assert not any(m.user.is_superuser for m in by_role.values())


def test_every_demo_account_logs_in(seeded):
    for username, password, _role, _org in seeded.accounts:
        client = Client()
        response = client.post(reverse("core:login"), {"username": username, "password": password})
        assert response.status_code == 302, username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
        # No two-factor step in the demo: the home page opens straight away.
        assert client.get(reverse("core:home")).status_code == 200, username


def test_role_policies_and_announcements(seeded):
    assert RolePolicy.objects.get(role=Role.ADMINISTRATOR).require_two_factor is False
    assert Announcement.objects.filter(organization=seeded.province).count() == len(demo_data.ANNOUNCEMENTS)
    assert Announcement.objects.filter(is_public=True).exists()


def test_existing_role_policy_is_not_overridden(db):
    RolePolicy.objects.create(role=Role.ADMINISTRATOR, require_two_factor=True)
    seed_demo()
    assert RolePolicy.objects.get(role=Role.ADMINISTRATOR).require_two_factor is True


def test_reset_restores_demo_accounts_without_deleting(seeded):
    leader = User.objects.get(username="chutich")
    user_set_password(actor=None, user=leader, password="Someone-changed-it-2025")
    leader.is_active = False
    leader.save(update_fields=["is_active"])
    before = Organization.objects.count()
    seed_demo(reset=True)
    leader.refresh_from_db()
    assert leader.is_active and leader.check_password(demo_data.DEMO_PASSWORD)
    assert Organization.objects.count() == before


def test_command_prints_the_accounts(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    for person in demo_data.PEOPLE:
        assert person.username in text
    assert demo_data.DEMO_PASSWORD in text
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "nothing was added" in out.getvalue() or "không" in out.getvalue().lower()


def test_command_help():
    from cityops.core.management.commands.seed_demo import Command

    parser = Command().create_parser("cityops", "seed_demo")
    assert "--reset" in parser.format_help()


def test_each_component_adds_its_sample_data_through_its_demo_module(monkeypatch):
    import sys
    import types

    calls: list = []
    import importlib.machinery

    fake = types.ModuleType("cityops.feedback.demo")
    fake.__spec__ = importlib.machinery.ModuleSpec("cityops.feedback.demo", loader=None)
    fake.seed_demo = lambda result: calls.append(result)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cityops.feedback.demo", fake)
    result = seed_demo()
    assert calls == [result]
    assert result.users_by_role[Role.LEADER].username == "chutich"
    assert result.province.kind == OrganizationKind.PROVINCE
