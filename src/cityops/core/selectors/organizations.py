"""Reads of the organisation tree and the staff directory (component 17).

Organisations are directory data: every signed-in person may read the active ones. People are listed only
to staff (anyone holding a staff role somewhere), and only people who hold a staff role themselves:
citizens, integrators' service accounts and disabled accounts are never listed, so nothing a citizen gave
the system is shown to anyone through the directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from cityops.core.choices import OrganizationKind
from cityops.core.models import Membership, Organization, User
from cityops.core.permissions import ALL_STAFF_ROLES, NotFoundOrForbidden, memberships_of
from cityops.core.text import fold, nfc, search_terms

__all__ = [
    "OrgNode",
    "directory_people",
    "is_staff_viewer",
    "organization_children",
    "organization_get",
    "organization_list",
    "organization_tree",
    "people_of",
    "person_get",
]

# How the children of a unit are grouped on the directory page: agencies first, then the territory.
KIND_ORDER: dict[str, int] = {
    OrganizationKind.PROVINCE: 0,
    OrganizationKind.DEPARTMENT: 1,
    OrganizationKind.UNIT: 2,
    OrganizationKind.DISTRICT: 3,
    OrganizationKind.SPECIAL_ZONE: 4,
    OrganizationKind.WARD: 5,
    OrganizationKind.COMMUNE: 6,
    OrganizationKind.OTHER: 7,
}
STAFF_ROLE_VALUES = tuple(sorted(str(role) for role in ALL_STAFF_ROLES))


def _signed_in(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and bool(getattr(actor, "is_active", False))


def is_staff_viewer(actor: Any) -> bool:
    """Whether ``actor`` may see people in the directory: superusers and holders of any staff role."""
    if not _signed_in(actor):
        return False
    if getattr(actor, "is_superuser", False):
        return True
    return any(role in ALL_STAFF_ROLES for role, _path, _id in memberships_of(actor))


def organization_list(
    *,
    actor: Any,
    kind: str | None = None,
    parent_id: int | None = None,
    q: str | None = None,
    include_inactive: bool = False,
) -> QuerySet[Organization]:
    """The directory, filtered; ``q`` matches name, short name or code without regard to case or accents.

    The tree holds hundreds of units, not millions, so folding names in Python is cheap and behaves the
    same on SQLite and PostgreSQL.
    """
    if not getattr(actor, "is_authenticated", False):
        return Organization.objects.none()
    qs = Organization.objects.all() if include_inactive else Organization.objects.active()
    if kind:
        qs = qs.filter(kind=kind)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    terms = search_terms(nfc(q)) if q else []
    if terms:
        matching = [
            pk
            for pk, name, short_name, code in qs.values_list("pk", "name", "short_name", "code")
            if all(term in fold(f"{name} {short_name} {code}") for term in terms)
        ]
        qs = qs.filter(pk__in=matching)
    return qs.order_by("path")


def organization_get(*, actor: Any, organization_id: Any = None, code: str | None = None) -> Organization:
    """One active organisation by id or by code; a missing or inactive one is simply not found."""
    lookup: dict[str, Any]
    if code is not None:
        lookup = {"code": str(code)[:64]}
    elif organization_id is not None:
        lookup = {"pk": organization_id}
    else:
        raise NotFoundOrForbidden
    try:
        return organization_list(actor=actor).select_related("parent").get(**lookup)
    except (Organization.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFoundOrForbidden from exc


def _child_key(org: Organization) -> tuple[int, int, str]:
    return (KIND_ORDER.get(org.kind, 99), org.sort_order, fold(org.name))


def organization_children(*, actor: Any, organization: Organization) -> list[Organization]:
    """The active units directly below ``organization``, agencies before communes, in name order."""
    return sorted(organization_list(actor=actor).filter(parent_id=organization.pk), key=_child_key)


@dataclass
class OrgNode:
    """One unit of the tree with its children; ``matched`` is False for ancestors kept only for context."""

    org: Organization
    children: list[OrgNode] = field(default_factory=list)
    matched: bool = True


def organization_tree(*, actor: Any, q: str | None = None) -> list[OrgNode]:
    """The whole active tree in one query; with ``q``, only matching units and the path down to them."""
    orgs = list(organization_list(actor=actor))
    nodes = {org.pk: OrgNode(org) for org in orgs}
    terms = search_terms(nfc(q))[:8] if q else []
    if terms:
        keep: set[int] = set()
        for org in orgs:
            text = fold(f"{org.name} {org.short_name} {org.code} {org.admin_unit_code} {org.edxml_code}")
            if all(term in text for term in terms):
                keep.update(int(part) for part in org.path.strip("/").split("/") if part)
            else:
                nodes[org.pk].matched = False
        nodes = {pk: node for pk, node in nodes.items() if pk in keep}
    roots: list[OrgNode] = []
    for node in nodes.values():
        parent = nodes.get(node.org.parent_id) if node.org.parent_id else None
        (parent.children if parent is not None else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda child: _child_key(child.org))
    roots.sort(key=lambda root: _child_key(root.org))
    return roots


def _listed_memberships() -> QuerySet[Membership]:
    return Membership.objects.filter(
        role__in=STAFF_ROLE_VALUES,
        organization__is_active=True,
        user__is_active=True,
        user__is_service_account=False,
    )


def directory_people(*, actor: Any) -> QuerySet[User]:
    """Everyone the directory lists for ``actor``: staff only, and only to staff."""
    if not is_staff_viewer(actor):
        return User.objects.none()
    return User.objects.filter(pk__in=_listed_memberships().values("user_id"))


def people_of(*, actor: Any, organization: Organization) -> list[Membership]:
    """The staff of one unit (name, position, role), heads and leaders first; none for non-staff viewers."""
    if not is_staff_viewer(actor):
        return []
    rows = list(
        _listed_memberships()
        .filter(organization=organization)
        .select_related("user")
        .only("id", "role", "title", "is_primary", "organization_id", "user__id", "user__username",
              "user__full_name", "user__first_name", "user__last_name", "user__job_title")
    )  # fmt: skip
    role_rank = {"leader": 0, "agency_head": 1, "administrator": 5}
    rows.sort(key=lambda m: (role_rank.get(m.role, 3), fold(m.user.full_name or m.user.username)))
    return rows


def person_get(*, actor: Any, user_id: Any) -> User:
    """One listed person with their staff memberships (organisation included); not found otherwise."""
    memberships = Prefetch(
        "memberships",
        queryset=_listed_memberships().select_related("organization").order_by("-is_primary", "organization__path"),
        to_attr="directory_memberships",
    )
    try:
        return directory_people(actor=actor).prefetch_related(memberships).get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFoundOrForbidden from exc
