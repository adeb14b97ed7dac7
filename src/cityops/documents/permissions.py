"""Who may do what with documents.

Clerks (văn thư) receive and register, leaders and agency heads direct and approve, units named in a direction
(or forwarded to) handle. A role reaches its organisation and the units below it, so one agency never sees
another's documents unless a direction or delivery brings them there.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cityops.core.choices import Role
from cityops.core.permissions import ALL_STAFF_ROLES, Policy, org_ids_for_roles, register
from cityops.documents.models import CaseFile, ExchangeMessage, IncomingDocument, OutgoingDocument, Register

CLERKS = frozenset({Role.CLERK, Role.ADMINISTRATOR})
LEADERS = frozenset({Role.LEADER, Role.AGENCY_HEAD})
HANDLERS = frozenset({Role.SPECIALIST, Role.CLERK, Role.AGENCY_HEAD, Role.LEADER})


class IncomingPolicy(Policy):
    """Owning organisation's staff by role; plus, for viewing and handling, the units assigned to it."""

    rules = {
        "view": ALL_STAFF_ROLES,
        "receive": CLERKS,
        "register": CLERKS,
        "direct": LEADERS,
        "handle": HANDLERS,
        "complete": LEADERS | CLERKS,
    }

    def scope(self, queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
        ids = org_ids_for_roles(user, self.roles_for(action))
        if ids is None:
            return queryset
        condition = Q(organization__in=ids)
        if action in {"view", "handle"}:
            assigned = org_ids_for_roles(user, HANDLERS if action == "handle" else ALL_STAFF_ROLES)
            if assigned is not None:
                condition |= Q(pk__in=IncomingDocument.objects.filter(events__assigned_org__in=assigned).values("pk"))
        return queryset.filter(condition)


class OutgoingPolicy(Policy):
    rules = {
        "view": ALL_STAFF_ROLES,
        "draft": HANDLERS,
        "review": LEADERS,
        "approve": LEADERS,
        "number": CLERKS,
        "issue": CLERKS,
        "archive": CLERKS,
    }


class RegisterPolicy(Policy):
    rules = {"view": CLERKS | LEADERS, "export": CLERKS | LEADERS, "change": CLERKS}


incoming_policy = register(IncomingDocument, IncomingPolicy())
outgoing_policy = register(OutgoingDocument, OutgoingPolicy())
register_policy = register(Register, RegisterPolicy())


class CaseFilePolicy(Policy):
    rules = {"view": ALL_STAFF_ROLES, "change": CLERKS | LEADERS | frozenset({Role.SPECIALIST})}


case_file_policy = register(CaseFile, CaseFilePolicy())


class ExchangeMessagePolicy(Policy):
    """The exchange log: read by the organisation's clerks and leaders; only the services write it."""

    rules = {"view": CLERKS | LEADERS}


exchange_policy = register(ExchangeMessage, ExchangeMessagePolicy())
