"""Reads of the audit trail, scoped to who may review it.

Administrators review everything they reach; inspectors and agency heads review their own subtree. An
event carries the organisation it happened in; events without one (sign-ins, for instance) are shown to a
scoped reviewer when the person who acted belongs to the reviewer's subtree, and to administrators of a
whole province (a root of the tree) and superusers in every case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.models import AuditEvent, Membership, Organization, User
from cityops.core.permissions import memberships_of, org_ids_for_roles
from cityops.core.text import fold, nfc

__all__ = ["AUDIT_REVIEW_ROLES", "AuditFilters", "audit_event_list", "can_review_audit", "reviewable_organizations"]

AUDIT_REVIEW_ROLES = frozenset({Role.ADMINISTRATOR, Role.INSPECTOR, Role.AGENCY_HEAD})
# An actor filter is matched against every account's names in Python (accents ignored on every database);
# past this many matching accounts the filter is too vague to be useful and is cut.
MAX_ACTOR_MATCHES = 2_000


@dataclass(frozen=True)
class AuditFilters:
    """What the reviewer asked for; every field optional. Dates are local (Asia/Ho_Chi_Minh) and inclusive."""

    actor: str = ""
    verb: str = ""
    organization: Organization | None = None
    include_subtree: bool = True
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    target_type: str = ""
    target_id: str = ""


def can_review_audit(user: Any) -> bool:
    """Whether ``user`` may open the audit log at all."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return any(role in AUDIT_REVIEW_ROLES for role, _path, _id in memberships_of(user))


def _sees_everything(user: Any) -> bool:
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    # An administrator of a root of the tree (the province) reviews the whole installation.
    return any(role == Role.ADMINISTRATOR and path.count("/") == 2 for role, path, _id in memberships_of(user))


def _scope(user: Any) -> Q | None:
    """The events ``user`` may review; None means all of them."""
    if not can_review_audit(user):
        return Q(pk__in=[])
    if _sees_everything(user):
        return None
    reach = org_ids_for_roles(user, AUDIT_REVIEW_ROLES)
    assert reach is not None  # superusers returned above
    members = Membership.objects.filter(organization__in=reach).values("user_id")
    return Q(organization__in=reach) | Q(organization__isnull=True, actor__in=members)


def reviewable_organizations(user: Any) -> QuerySet[Organization]:
    """The organisations a reviewer may filter by (their reach), in tree order."""
    if not can_review_audit(user):
        return Organization.objects.none()
    if _sees_everything(user):
        return Organization.objects.order_by("path")
    reach = org_ids_for_roles(user, AUDIT_REVIEW_ROLES)
    if reach is None:
        return Organization.objects.order_by("path")
    return Organization.objects.filter(pk__in=reach).order_by("path")


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight of a local date, as an aware datetime (Asia/Ho_Chi_Minh has no daylight saving)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def _actor_condition(text: str) -> Q:
    """Accounts whose username or name contains the words typed (accents and case ignored), or events whose
    recorded actor name does (for attempts by unknown usernames)."""
    needle = fold(nfc(text))
    ids = []
    for pk, username, full_name, first, last in User.objects.values_list(
        "pk", "username", "full_name", "first_name", "last_name"
    ).iterator(chunk_size=2000):
        if needle in fold(f"{username} {full_name} {first} {last}"):
            ids.append(pk)
            if len(ids) >= MAX_ACTOR_MATCHES:
                break
    return Q(actor_id__in=ids) | Q(actor_label__icontains=nfc(text))


def audit_event_list(*, actor: Any, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """The events ``actor`` may review that match ``filters``, newest first, with actor and organisation."""
    filters = filters or AuditFilters()
    qs = AuditEvent.objects.select_related("actor", "organization").order_by("-at", "-id")
    scope = _scope(actor)
    if scope is not None:
        qs = qs.filter(scope)
    if filters.actor.strip():
        qs = qs.filter(_actor_condition(filters.actor.strip()))
    if filters.verb:
        qs = qs.filter(verb__startswith=filters.verb)
    if filters.organization is not None:
        if filters.include_subtree:
            qs = qs.filter(organization__path__startswith=filters.organization.path)
        else:
            qs = qs.filter(organization=filters.organization)
    if filters.date_from is not None:
        qs = qs.filter(at__gte=local_day_start(filters.date_from))
    if filters.date_to is not None:
        qs = qs.filter(at__lt=local_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.target_type:
        qs = qs.filter(target_type=filters.target_type)
    if filters.target_id:
        qs = qs.filter(target_id=filters.target_id)
    return qs
