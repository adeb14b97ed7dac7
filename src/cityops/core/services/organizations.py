"""Writes to the organisation tree, people and memberships.

Every function validates, saves and records an audit event inside one transaction. Who may call them for
whom is decided by the caller with ``cityops.core.selectors.management``; these functions only guard the
invariants of the data (codes, tree shape, one row per role).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cityops.core import audit
from cityops.core.choices import AuditVerbs, OrganizationKind, Role
from cityops.core.models import Membership, Organization, User
from cityops.core.models.organizations import EDXML_CODE_PATTERN
from cityops.core.permissions import forget_memberships
from cityops.core.text import nfc

__all__ = [
    "clean_admin_unit_code",
    "clean_edxml_code",
    "membership_grant",
    "membership_revoke",
    "membership_update",
    "organization_bulk_create",
    "organization_create",
    "organization_set_active",
    "organization_update",
    "user_admin_save",
    "user_create",
    "user_set_active",
    "user_set_password",
    "user_update",
    "validate_parent",
]

ORGANIZATION_FIELDS = (
    "name", "short_name", "kind", "admin_unit_code", "edxml_code", "email", "phone", "address", "website",
    "is_active", "sort_order",
)  # fmt: skip
USER_FIELDS = ("full_name", "email", "phone", "job_title", "language", "is_active", "is_service_account")
# Fields the Django admin may change on a user besides USER_FIELDS; the password is audited by name only.
USER_ADMIN_FIELDS = (*USER_FIELDS, "username", "first_name", "last_name", "is_staff", "is_superuser", "password")

# Not in AuditVerbs (a shared file): a change of role, position or primary flag on an existing membership.
MEMBERSHIP_UPDATED = "core.membership.updated"

_EDXML_RE = re.compile(EDXML_CODE_PATTERN, re.ASCII)  # ASCII: \d must not accept other scripts' digits
_ADMIN_UNIT_RE = re.compile(r"\d{1,16}", re.ASCII)


def _clean_text(values: dict[str, Any]) -> dict[str, Any]:
    return {key: nfc(value).strip() if isinstance(value, str) else value for key, value in values.items()}


def _set_path(org: Organization) -> None:
    parent = org.parent
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.depth = parent.depth + 1 if parent else 0


def _reindex(obj: Any) -> None:
    from cityops.core import search

    search.index(obj)


def clean_edxml_code(value: str) -> str:
    """The edXML organisation code in canonical form (``000.00.00.H00``), or a ValidationError.

    Codes are 13 characters by QĐ 20/2020/QĐ-TTg; a lower-case level-1 letter is accepted and upper-cased.
    """
    value = nfc(value or "").strip().upper()
    if value and not _EDXML_RE.fullmatch(value):
        raise ValidationError(
            _("Enter an edXML organisation code in the form 000.00.00.H00 (three digits, two, two, a letter and two)."),
            code="edxml_code",
        )
    return value


def clean_admin_unit_code(value: str) -> str:
    """The national administrative-unit code: digits only (``24``, ``07627``), or blank."""
    value = nfc(value or "").strip()
    if value and not _ADMIN_UNIT_RE.fullmatch(value):
        raise ValidationError(_("An administrative unit code has digits only."), code="admin_unit_code")
    return value


def validate_parent(org: Organization | None, parent: Organization | None, kind: str) -> None:
    """The tree stays a tree: a province has no parent, and nothing moves under itself or its descendants."""
    if kind == OrganizationKind.PROVINCE and parent is not None:
        raise ValidationError({"parent": _("A province cannot have a parent organisation.")})
    if org is not None and org.pk is not None and parent is not None:
        if parent.pk == org.pk or (org.path and parent.path.startswith(org.path)):
            raise ValidationError({"parent": _("An organisation cannot be moved under itself or one of its units.")})


def _clean_codes(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[ValidationError]] = {}
    for name, cleaner in (("edxml_code", clean_edxml_code), ("admin_unit_code", clean_admin_unit_code)):
        if name in values:
            try:
                values[name] = cleaner(values[name])
            except ValidationError as exc:
                errors[name] = [exc]
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def organization_create(
    *, actor: Any, name: str, code: str, kind: str, parent: Organization | None = None, **fields: Any
) -> Organization:
    """Add a unit to the tree under ``parent`` (the province itself has none)."""
    unknown = set(fields) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown organisation fields: {sorted(unknown)}")
    values = _clean_codes(_clean_text({"name": name, "code": code, "kind": kind, **fields}))
    if parent is not None:
        parent = Organization.objects.get(pk=parent.pk)  # the stored path, not a stale copy
    validate_parent(None, parent, kind)
    org = Organization(parent=parent, **values)
    org.full_clean(exclude=["path"])
    org.save()
    _set_path(org)
    org.save(update_fields=["path", "depth"])
    audit.record(
        verb=AuditVerbs.ORGANIZATION_CREATED, actor=actor, target=org, organization=org,
        data={"new": audit.snapshot(org)},
    )  # fmt: skip
    _reindex(org)
    return org


@transaction.atomic
def organization_bulk_create(*, actor: Any, rows: Iterable[dict[str, Any]]) -> list[Organization]:
    """Create many units at once (imports, the demo province): validated first, then written in bulk.

    Each row holds the arguments of ``organization_create``; every parent must already exist. Nothing is
    written when any row is invalid, and the error names the row.
    """
    orgs: list[Organization] = []
    parents: dict[int, Organization] = {}
    for index, row in enumerate(rows):
        row = dict(row)
        parent = row.pop("parent", None)
        unknown = set(row) - set(ORGANIZATION_FIELDS) - {"name", "code"}
        if unknown:
            raise TypeError(f"Unknown organisation fields: {sorted(unknown)}")
        if parent is not None and parent.pk not in parents:
            parents[parent.pk] = Organization.objects.get(pk=parent.pk)
        parent = parents[parent.pk] if parent is not None else None
        try:
            values = _clean_codes(_clean_text(row))
            validate_parent(None, parent, values.get("kind", ""))
            org = Organization(parent=parent, **values)
            org.full_clean(exclude=["path"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise ValidationError(
                _("Row %(row)s (%(code)s): %(errors)s") % {"row": index + 1, "code": row.get("code"), "errors": exc}
            ) from exc
        orgs.append(org)
    codes = [org.code for org in orgs]
    edxml = [org.edxml_code for org in orgs if org.edxml_code]
    duplicates = {c for c in codes if codes.count(c) > 1} | {c for c in edxml if edxml.count(c) > 1}
    duplicates |= set(Organization.objects.filter(code__in=codes).values_list("code", flat=True))
    duplicates |= set(Organization.objects.filter(edxml_code__in=edxml).values_list("edxml_code", flat=True))
    if duplicates:
        raise ValidationError(_("These codes are already used: %(codes)s") % {"codes": ", ".join(sorted(duplicates))})
    created = Organization.objects.bulk_create(orgs)
    for org in created:
        _set_path(org)
    Organization.objects.bulk_update(created, ["path", "depth"])
    for org in created:
        audit.record(
            verb=AuditVerbs.ORGANIZATION_CREATED, actor=actor, target=org, organization=org,
            data={"new": audit.snapshot(org)},
        )  # fmt: skip
        _reindex(org)
    return created


@transaction.atomic
def organization_update(*, actor: Any, organization: Organization, **changes: Any) -> Organization:
    """Change a unit's details or move it under another parent, keeping the subtree's paths right."""
    allowed = set(ORGANIZATION_FIELDS) | {"name", "code", "parent"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"Unknown organisation fields: {sorted(unknown)}")
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    before = audit.snapshot(org)
    old_path = org.path
    values = _clean_codes(_clean_text({key: value for key, value in changes.items() if key != "parent"}))
    for key, value in values.items():
        setattr(org, key, value)
    if "parent" in changes:
        parent = changes["parent"]
        if parent is not None:
            parent = Organization.objects.get(pk=parent.pk)
        validate_parent(org, parent, org.kind)
        org.parent = parent
        _set_path(org)
    else:
        validate_parent(org, org.parent, org.kind)
    if org.parent_id is None and "is_active" in values and not org.is_active:
        raise ValidationError({"is_active": _("The root of the tree cannot be deactivated.")})
    org.full_clean(exclude=["path"])
    org.save()
    if org.path != old_path:
        moved = list(Organization.objects.filter(path__startswith=old_path).exclude(pk=org.pk))
        for child in moved:
            child.path = org.path + child.path[len(old_path) :]
            child.depth = child.path.strip("/").count("/")
        Organization.objects.bulk_update(moved, ["path", "depth"], batch_size=500)
    after = audit.snapshot(org)
    audit.record(
        verb=AuditVerbs.ORGANIZATION_UPDATED, actor=actor, target=org, organization=org,
        data={"old": {k: v for k, v in before.items() if after.get(k) != v},
              "new": {k: v for k, v in after.items() if before.get(k) != v}},
    )  # fmt: skip
    _reindex(org)
    organization.__dict__.update({k: getattr(org, k) for k in ("path", "depth", "parent_id")})
    return org


def organization_set_active(*, actor: Any, organization: Organization, active: bool) -> Organization:
    """Deactivate or reactivate a unit; units are never deleted because records and the audit refer to them.

    The root of the tree stays active, and a unit with active units below it is not deactivated (that
    would leave people in them reporting to nothing).
    """
    if not active:
        if organization.parent_id is None:
            raise ValidationError({"is_active": _("The root of the tree cannot be deactivated.")})
        below = Organization.objects.filter(path__startswith=organization.path, is_active=True).exclude(
            pk=organization.pk
        )
        if below.exists():
            raise ValidationError({"is_active": _("Deactivate the units below this one first.")})
    return organization_update(actor=actor, organization=organization, is_active=active)


@transaction.atomic
def user_create(
    *, actor: Any, username: str, password: str | None = None, organization: Organization | None = None,
    role: str | None = None, title: str = "", **fields: Any,
) -> User:  # fmt: skip
    """Create an account, optionally with its first membership; the password is validated and hashed.

    Without a password the account gets an unusable one, so nobody can log in until a password is set.
    """
    from django.contrib.auth.password_validation import validate_password

    unknown = set(fields) - set(USER_FIELDS) - {"is_staff", "is_superuser"}
    if unknown:
        raise TypeError(f"Unknown user fields: {sorted(unknown)}")
    if role and role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    user = User(username=nfc(username or "").strip(), **_clean_text(fields))
    user.full_clean(exclude=["password"])
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(
        verb=AuditVerbs.USER_CREATED, actor=actor, target=user, organization=organization,
        data={"new": {"username": user.username, "full_name": user.full_name, "email": user.email,
                      "usable_password": bool(password)}},
    )  # fmt: skip
    if organization is not None and role:
        membership_grant(actor=actor, user=user, organization=organization, role=role, title=title, is_primary=True)
    _reindex(user)
    return user


@transaction.atomic
def user_update(*, actor: Any, user: User, **changes: Any) -> User:
    """Change a person's profile fields (not the password: see ``user_set_password`` and the auth services)."""
    unknown = set(changes) - set(USER_FIELDS) - {"is_staff"}
    if unknown:
        raise TypeError(f"Unknown user fields: {sorted(unknown)}")
    before = {key: getattr(user, key) for key in changes}
    for key, value in _clean_text(changes).items():
        setattr(user, key, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changes))
    audit.record(
        verb=AuditVerbs.USER_UPDATED, actor=actor, target=user,
        data={"old": before, "new": {key: getattr(user, key) for key in changes}},
    )  # fmt: skip
    _reindex(user)
    return user


def user_set_active(*, actor: Any, user: User, active: bool) -> User:
    """Deactivate (or reactivate) an account. People are never deleted: records and the audit name them."""
    if actor is not None and getattr(actor, "pk", None) == user.pk and not active:
        raise ValidationError({"is_active": _("You cannot deactivate your own account.")})
    updated = user_update(actor=actor, user=user, is_active=active)
    forget_memberships(updated)
    return updated


@transaction.atomic
def user_set_password(*, actor: Any, user: User, password: str) -> User:
    """An administrator sets someone's password (first password, or a reset); validated, hashed, audited."""
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(
        verb=AuditVerbs.PASSWORD_CHANGED, actor=actor, target=user,
        data={"by_administrator": actor is not None and getattr(actor, "pk", None) != user.pk},
    )  # fmt: skip
    return user


@transaction.atomic
def user_admin_save(*, actor: Any, user: User, changed: Iterable[str], created: bool) -> User:
    """Save a user edited in the Django admin (its form has already set the fields) and audit the change.

    The admin's forms handle usernames, names, flags and the password hash; this keeps the write and its
    audit event together. Password values are never written to the audit, only that it changed.
    """
    changed = [name for name in changed if name in USER_ADMIN_FIELDS]
    for name in ("username", "full_name", "first_name", "last_name", "job_title", "phone", "email"):
        value = getattr(user, name, None)
        if isinstance(value, str):
            setattr(user, name, nfc(value).strip())
    user.full_clean(exclude=["password"])
    user.save()
    visible = [name for name in changed if name != "password"]
    data: dict[str, Any] = {"new": {name: getattr(user, name) for name in visible}}
    if "password" in changed:
        data["password_changed"] = True
    audit.record(
        verb=AuditVerbs.USER_CREATED if created else AuditVerbs.USER_UPDATED, actor=actor, target=user, data=data
    )
    forget_memberships(user)
    _reindex(user)
    return user


@transaction.atomic
def membership_grant(
    *,
    actor: Any,
    user: User,
    organization: Organization,
    role: str,
    title: str = "",
    is_primary: bool = False,
) -> Membership:
    """Give a person a role in an organisation (idempotent: granting twice keeps one row)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    title = nfc(title or "").strip()
    if len(title) > (Membership._meta.get_field("title").max_length or 255):
        raise ValidationError({"title": _("The position is too long.")})
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, role=role,
        defaults={"title": title, "is_primary": is_primary},
    )  # fmt: skip
    if created:
        audit.record(
            verb=AuditVerbs.MEMBERSHIP_GRANTED, actor=actor, target=membership, organization=organization,
            data={"user": user.username, "role": role, "title": title},
        )  # fmt: skip
    forget_memberships(user)
    return membership


@transaction.atomic
def membership_update(
    *, actor: Any, membership: Membership, role: str | None = None, title: str | None = None,
    is_primary: bool | None = None,
) -> Membership:  # fmt: skip
    """Change the role, position or primary flag of a membership (the Django admin's inline edits)."""
    stored = Membership.objects.select_for_update().get(pk=membership.pk)
    before = audit.snapshot(stored, ["role", "title", "is_primary"])  # the form may have changed ``membership``
    if role is not None:
        if role not in Role.values:
            raise ValidationError({"role": _("Unknown role.")})
        membership.role = role
    if title is not None:
        membership.title = nfc(title).strip()
    if is_primary is not None:
        membership.is_primary = is_primary
    membership.full_clean()
    membership.save()
    after = audit.snapshot(membership, ["role", "title", "is_primary"])
    audit.record(
        verb=MEMBERSHIP_UPDATED, actor=actor, target=membership, organization=membership.organization,
        data={"user": membership.user.username, "old": before, "new": after},
    )  # fmt: skip
    forget_memberships(membership.user)
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership) -> None:
    """Take a role away; the audit event keeps who held it."""
    data = {"user": membership.user.username, "role": membership.role}
    organization = membership.organization
    audit.record(
        verb=AuditVerbs.MEMBERSHIP_REVOKED,
        actor=actor,
        target=membership,
        organization=organization,
        data=data,
    )
    user = membership.user
    membership.delete()
    forget_memberships(user)
