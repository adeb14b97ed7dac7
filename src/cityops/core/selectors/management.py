"""Who may administer which organisations and people, and the scoped reads of the administration pages.

Two roles administer. An administrator manages the organisations and the people of the subtree where the
role is held. An agency head manages the people and the memberships of their own subtree, but not the
organisations, and cannot hand out the administrator role. A superuser manages everything.

A person may belong to several organisations. They are *listed* for a manager who reaches any of their
memberships, but *changed* (profile, password, deactivation) only by one who reaches all of them, so an
agency head of A cannot lock out someone B also relies on. Holders of the administrator role, staff and
superusers can only be changed by an administrator (or a superuser), so nobody gains rights by taking over
a stronger account.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cityops.core.choices import Role
from cityops.core.models import Membership, Organization, User
from cityops.core.permissions import NotFoundOrForbidden, memberships_of
from cityops.core.text import fold, nfc

__all__ = [
    "can_change_membership",
    "can_edit_user",
    "can_manage_organizations",
    "can_manage_people",
    "get_managed_organization",
    "get_removable_membership",
    "get_visible_user",
    "grantable_roles",
    "managed_organizations",
    "memberships_by_user",
    "people_organizations",
    "search_users",
    "tree_order",
    "visible_users",
]

MAX_SEARCH_LENGTH = 100


def _is_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def _paths(user: Any, roles: set[str]) -> list[str]:
    return sorted({path for role, path, _id in memberships_of(user) if role in roles})


def _covered(path: str, roots: list[str]) -> bool:
    return any(path.startswith(root) for root in roots)


def _subtree(paths: list[str]) -> QuerySet[Organization]:
    if not paths:
        return Organization.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Organization.objects.filter(condition)


def can_manage_organizations(user: Any) -> bool:
    """Superusers and administrators manage organisations."""
    return _is_superuser(user) or bool(_paths(user, {Role.ADMINISTRATOR}))


def can_manage_people(user: Any) -> bool:
    """Superusers, administrators and agency heads manage people."""
    return _is_superuser(user) or bool(_paths(user, {Role.ADMINISTRATOR, Role.AGENCY_HEAD}))


def managed_organizations(user: Any) -> QuerySet[Organization]:
    """Organisations the user may create units under and edit (tree order)."""
    if _is_superuser(user):
        return Organization.objects.all()
    return _subtree(_paths(user, {Role.ADMINISTRATOR}))


def people_organizations(user: Any) -> QuerySet[Organization]:
    """Organisations in which the user may manage people and memberships (tree order)."""
    if _is_superuser(user):
        return Organization.objects.all()
    return _subtree(_paths(user, {Role.ADMINISTRATOR, Role.AGENCY_HEAD}))


def get_managed_organization(user: Any, pk: Any) -> Organization:
    """One organisation the user administers; missing and forbidden look the same."""
    try:
        return managed_organizations(user).get(pk=pk)
    except (Organization.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFoundOrForbidden from exc


def visible_users(user: Any) -> QuerySet[User]:
    """People with at least one membership the user manages (everyone for a superuser)."""
    if _is_superuser(user):
        return User.objects.all()
    orgs = people_organizations(user)
    if not can_manage_people(user):
        return User.objects.none()
    return User.objects.filter(memberships__organization__in=orgs.values("id")).distinct()


def get_visible_user(user: Any, pk: Any) -> User:
    """One person the user may see in the administration pages; missing and forbidden look the same."""
    try:
        return visible_users(user).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFoundOrForbidden from exc


def search_users(user: Any, query: str = "", *, active: bool | None = None) -> list[User]:
    """Visible people whose username, name or email matches ``query`` with or without diacritics.

    Folding happens in Python so "nguyen van" finds "Nguyễn Văn" the same way on SQLite and PostgreSQL;
    a province has thousands of officials, not millions, and only the needed columns are read.
    """
    users = visible_users(user)
    if active is not None:
        users = users.filter(is_active=active)
    terms = fold(nfc(query or "")[:MAX_SEARCH_LENGTH]).split()
    if not terms:
        return list(users.order_by("username"))
    rows = users.values_list("id", "username", "full_name", "email", "first_name", "last_name")
    wanted = [row[0] for row in rows if all(term in fold(" ".join(str(v) for v in row[1:])) for term in terms)]
    return list(User.objects.filter(id__in=wanted).order_by("username"))


def can_edit_user(actor: Any, target: User) -> bool:
    """Whether ``actor`` may change ``target``'s profile, password or active state (see the module notes)."""
    if _is_superuser(actor):
        return True
    if target.is_superuser or target.pk == getattr(actor, "pk", None):
        return False
    memberships = list(Membership.objects.filter(user=target).values_list("role", "organization__path"))
    if not memberships:
        return False
    privileged = target.is_staff or any(role == Role.ADMINISTRATOR for role, _path in memberships)
    roots = _paths(actor, {Role.ADMINISTRATOR} if privileged else {Role.ADMINISTRATOR, Role.AGENCY_HEAD})
    return bool(roots) and all(_covered(path, roots) for _role, path in memberships)


def grantable_roles(actor: Any, organization: Organization) -> list[str]:
    """Roles ``actor`` may grant in ``organization``: every role for its administrators, all but
    administrator for its agency heads, none otherwise."""
    if _is_superuser(actor):
        return list(Role.values)
    if _covered(organization.path, _paths(actor, {Role.ADMINISTRATOR})):
        return list(Role.values)
    if _covered(organization.path, _paths(actor, {Role.AGENCY_HEAD})):
        return [role for role in Role.values if role != Role.ADMINISTRATOR]
    return []


def can_change_membership(actor: Any, target: User, organization: Organization, role: str) -> bool:
    """Whether ``actor`` may grant or revoke ``role`` for ``target`` in ``organization``.

    Nobody but a superuser changes their own roles, and an agency head does not touch the memberships of
    a privileged person (administrator, staff, superuser).
    """
    if _is_superuser(actor):
        return True
    if target.pk == getattr(actor, "pk", None) or target.is_superuser:
        return False
    if role not in grantable_roles(actor, organization):
        return False
    privileged = target.is_staff or Membership.objects.filter(user=target, role=Role.ADMINISTRATOR).exists()
    return not privileged or _covered(organization.path, _paths(actor, {Role.ADMINISTRATOR}))


def tree_order(organizations: QuerySet[Organization] | list[Organization]) -> list[Organization]:
    """Depth-first order with siblings by (sort order, name); units whose parent is not in the list are roots."""
    orgs = list(organizations)
    by_id = {org.pk: org for org in orgs}
    children: dict[int | None, list[Organization]] = {}
    for org in orgs:
        key = org.parent_id if org.parent_id in by_id else None
        children.setdefault(key, []).append(org)
    for siblings in children.values():
        siblings.sort(key=lambda org: (org.sort_order, fold(org.name), org.pk))
    ordered: list[Organization] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        org = stack.pop()
        ordered.append(org)
        stack.extend(reversed(children.get(org.pk, [])))
    return ordered


def memberships_by_user(actor: Any, users: list[User]) -> dict[int, list[Membership]]:
    """Every role of the listed people, grouped by person; only people the actor may see are looked up."""
    visible_ids = set(visible_users(actor).filter(pk__in=[u.pk for u in users]).values_list("pk", flat=True))
    grouped: dict[int, list[Membership]] = {}
    for membership in Membership.objects.filter(user_id__in=visible_ids).select_related("organization"):
        grouped.setdefault(membership.user_id, []).append(membership)
    return grouped


def get_removable_membership(actor: Any, pk: Any) -> Membership:
    """A membership in the actor's reach, of a person the actor may see; the same error when missing."""
    try:
        return (
            Membership.objects.select_related("user", "organization")
            .filter(organization__in=people_organizations(actor).values("id"))
            .filter(user__in=visible_users(actor).values("id"))
            .get(pk=pk)
        )
    except (Membership.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFoundOrForbidden from exc
