"""Loading the demo province: its organisation tree, one account per role, role policies, announcements.

All content comes from ``cityops.core.demo_data``; this module only knows how to load it. Loading is
idempotent: every record is looked up by its stable code or username first, so a second run creates
nothing and returns the same accounts. The tree is written in bulk, so the ~140 units load in well under
a second.

``reset=True`` does not delete anything (organisations and people are referenced by the append-only audit
trail, so they cannot be deleted). It restores the demo accounts to their documented state instead: the
demo password, active, their demo role. To start from an empty database, use a fresh database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from cityops.core import demo_data
from cityops.core.choices import OrganizationKind, Role
from cityops.core.models import Announcement, Organization, RolePolicy, User
from cityops.core.services.organizations import (
    membership_grant,
    organization_bulk_create,
    organization_create,
    user_create,
    user_set_password,
    user_update,
)

__all__ = ["DemoSeedResult", "seed_demo"]

_DIVISION_KINDS = {
    "xã": OrganizationKind.COMMUNE,
    "phường": OrganizationKind.WARD,
    "đặc khu": OrganizationKind.SPECIAL_ZONE,
}


@dataclass
class DemoSeedResult:
    """What the demo command prints: (username, password, role label, organisation name) per account."""

    accounts: list[tuple[str, str, str, str]]
    integrator_user: User
    province: Organization
    created: bool
    users_by_role: dict[str, User] = field(default_factory=dict)


def _org_values(item: demo_data.DemoOrganization) -> dict[str, Any]:
    return {
        "name": item.name, "code": item.code, "short_name": item.short_name, "kind": item.kind,
        "email": item.email, "address": item.address, "website": item.website,
    }  # fmt: skip


def _wards() -> list[Any]:
    from vietnam_provinces import ProvinceCode, Ward

    wards = Ward.iter_by_province(ProvinceCode(demo_data.PROVINCE_ADMIN_UNIT_CODE))
    return sorted(wards, key=lambda ward: int(ward.code))


def _ward_code(ward: Any) -> str:
    return demo_data.WARD_CODE_PREFIX + ward.codename.replace("_", "-")


def _load_tree() -> tuple[Organization, bool]:
    """Create the units that are missing; returns the province and whether anything was created."""
    created = False
    province = Organization.objects.filter(code=demo_data.PROVINCE.code).first()
    if province is None:
        province = organization_create(
            actor=None,
            admin_unit_code=str(demo_data.PROVINCE_ADMIN_UNIT_CODE),
            edxml_code=demo_data.province_edxml_code(),
            **_org_values(demo_data.PROVINCE),
        )
        created = True
    existing = set(Organization.objects.filter(code__startswith=demo_data.CODE_PREFIX).values_list("code", flat=True))

    rows = [
        {**_org_values(item), "parent": province, "edxml_code": demo_data.department_edxml_code(item.number),
         "sort_order": item.number}
        for item in demo_data.DEPARTMENTS if item.code not in existing
    ]  # fmt: skip
    wards = _wards()
    for index, ward in enumerate(wards, start=1):
        code = _ward_code(ward)
        if code in existing:
            continue
        rows.append({
            "name": ward.name, "code": code, "kind": _DIVISION_KINDS[ward.division_type.value], "parent": province,
            "admin_unit_code": f"{int(ward.code):05d}", "edxml_code": demo_data.commune_edxml_code(index),
            "sort_order": 1000 + index,
        })  # fmt: skip
    if rows:
        organization_bulk_create(actor=None, rows=rows)
        created = True

    department_numbers = {item.code: item.number for item in demo_data.DEPARTMENTS}
    parents = {org.code: org for org in Organization.objects.filter(code__in=department_numbers)}
    unit_rows = [
        {**_org_values(item), "parent": parents[item.parent], "sort_order": item.number,
         "edxml_code": demo_data.unit_edxml_code(department_numbers[item.parent], item.number)}
        for item in demo_data.UNITS if item.code not in existing
    ]  # fmt: skip
    if unit_rows:
        organization_bulk_create(actor=None, rows=unit_rows)
        created = True
    return province, created


def _organization_of(person: demo_data.DemoPerson) -> Organization:
    if person.organization.startswith("ward:"):
        return Organization.objects.get(admin_unit_code=f"{int(person.organization[5:]):05d}",
                                        code__startswith=demo_data.CODE_PREFIX)  # fmt: skip
    return Organization.objects.get(code=person.organization)


def _load_people(*, reset: bool) -> tuple[list[tuple[str, str, str, str]], dict[str, User], bool]:
    accounts: list[tuple[str, str, str, str]] = []
    users: dict[str, User] = {}
    created = False
    for person in demo_data.PEOPLE:
        organization = _organization_of(person)
        user = User.objects.filter(username=person.username).first()
        if user is None:
            user = user_create(
                actor=None, username=person.username, password=demo_data.DEMO_PASSWORD, organization=organization,
                role=person.role, title=person.title, full_name=person.full_name, email=person.email,
                job_title=person.title, is_staff=person.is_staff, is_service_account=person.is_service_account,
            )  # fmt: skip
            created = True
        else:
            if reset:
                user_update(actor=None, user=user, is_active=True, is_staff=person.is_staff)
                user_set_password(actor=None, user=user, password=demo_data.DEMO_PASSWORD)
            membership_grant(actor=None, user=user, organization=organization, role=person.role, title=person.title)
        users[person.role] = user
        accounts.append((user.username, demo_data.DEMO_PASSWORD, str(Role(person.role).label), organization.name))
    return accounts, users, created


def _load_role_policies(actor: User) -> None:
    """Set the demo's role policies, but never override a choice already made in this database."""
    from cityops.core.services.auth import role_policy_set

    present = set(RolePolicy.objects.values_list("role", flat=True))
    for role, require_two_factor in demo_data.ROLE_POLICIES:
        if role not in present:
            role_policy_set(actor=actor, role=role, require_two_factor=require_two_factor)


def _load_announcements(actor: User, province: Organization) -> bool:
    from cityops.core.services.notifications import announcement_publish

    titles = set(Announcement.objects.filter(organization=province).values_list("title", flat=True))
    created = False
    for title, body, is_public in demo_data.ANNOUNCEMENTS:
        if title not in titles:
            announcement_publish(actor=actor, organization=province, title=title, body=body, is_public=is_public)
            created = True
    return created


@transaction.atomic
def seed_demo(*, reset: bool = False) -> DemoSeedResult:
    """Load the demo province if it is missing (see the module notes for ``reset``)."""
    province, tree_created = _load_tree()
    accounts, users, people_created = _load_people(reset=reset)
    administrator = users[Role.ADMINISTRATOR]
    _load_role_policies(administrator)
    announcements_created = _load_announcements(administrator, province)
    result = DemoSeedResult(
        accounts=accounts,
        integrator_user=users[Role.INTEGRATOR],
        province=province,
        created=tree_created or people_created or announcements_created,
        users_by_role=users,
    )
    _load_module_demos(result)
    return result


def _load_module_demos(result: DemoSeedResult) -> None:
    """Let each component add its own sample data: an app's ``demo.py`` with ``seed_demo(result)``.

    Each module's seed must be idempotent like this one; the core knows nothing of their data.
    """
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("cityops.") or app_config.label == "core":
            continue
        module_name = f"{app_config.name}.demo"
        if find_spec(module_name) is None:
            continue
        import_module(module_name).seed_demo(result)
