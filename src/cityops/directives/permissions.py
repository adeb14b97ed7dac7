"""Who sees and works on directives and tasks.

- Directing (issuing, confirming, deciding extensions, cancelling) needs a leader or agency-head role that
  reaches the target agency; the core's "a role reaches its unit and everything below" does the rest.
- A task is seen by staff of its lead agency, of its supporting agencies, of the directing organisation
  (the assigner's organisation subtree sees everything it directed), by its watchers and by its assigner.
- Working a task (accept, report, ask for more time) needs a staff role in the lead agency.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.core.permissions import ALL_STAFF_ROLES, Policy, org_ids_for_roles, register, user_has_role
from cityops.directives.models import Directive, Task

__all__ = [
    "DIRECTING_ROLES",
    "WORKING_ROLES",
    "can_direct",
    "can_direct_task",
    "can_work_task",
    "directable_organizations",
]

DIRECTING_ROLES: frozenset[str] = frozenset({Role.LEADER, Role.AGENCY_HEAD})
WORKING_ROLES: frozenset[str] = frozenset({Role.AGENCY_HEAD, Role.SPECIALIST, Role.CLERK, Role.LEADER})


def _visible_task_condition(ids: QuerySet) -> Q:
    supported = Task.supporting_agencies.through.objects.filter(organization_id__in=ids).values("task_id")
    return Q(organization__in=ids) | Q(pk__in=supported) | Q(directive__organization__in=ids)


def _personal_task_condition(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    watched = Task.watchers.through.objects.filter(user_id=user.pk).values("task_id")
    return Q(assigner=user) | Q(pk__in=watched)


class TaskPolicy(Policy):
    """Lead agency, supporting agencies, directing organisation, watchers and assigner may read a task."""

    rules = {"view": ALL_STAFF_ROLES, "work": WORKING_ROLES, "direct": DIRECTING_ROLES}

    def scope(self, queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
        ids = org_ids_for_roles(user, self.roles_for(action))
        if ids is None:
            return queryset
        if action == "view":
            return queryset.filter(_visible_task_condition(ids) | _personal_task_condition(user))
        if action == "work":
            return queryset.filter(organization__in=ids)
        if action == "direct":
            condition = Q(directive__organization__in=ids)
            if getattr(user, "is_authenticated", False):
                condition |= Q(assigner=user)
            return queryset.filter(condition)
        return queryset.none()


class DirectivePolicy(Policy):
    """A directive is seen by its issuing organisation's subtree and by whoever may see one of its tasks."""

    rules = {"view": ALL_STAFF_ROLES}

    def scope(self, queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
        ids = org_ids_for_roles(user, self.roles_for(action))
        if ids is None:
            return queryset
        if action != "view":
            return queryset.none()
        visible_tasks = task_policy.scope(Task.objects.all(), user, "view").values("directive_id")
        return queryset.filter(Q(organization__in=ids) | Q(pk__in=visible_tasks))


task_policy = register(Task, TaskPolicy())
directive_policy = register(Directive, DirectivePolicy())


def can_direct(user: Any, organization: Organization) -> bool:
    """Whether ``user`` may give tasks to ``organization`` (a leader or agency head whose role reaches it)."""
    return user_has_role(user, DIRECTING_ROLES, organization)


def directable_organizations(user: Any) -> QuerySet[Organization]:
    """The active organisations ``user`` may give tasks to."""
    ids = org_ids_for_roles(user, DIRECTING_ROLES)
    qs = Organization.objects.active()
    return qs if ids is None else qs.filter(id__in=ids)


def can_direct_task(user: Any, task: Task) -> bool:
    """The assigner, or a leader/agency head of the directing organisation (or above), confirms, decides, cancels.

    Not the lead agency's own head: an agency does not confirm its own work.
    """
    if getattr(user, "is_authenticated", False) and task.assigner_id == user.pk and user.is_active:
        return True
    return can_direct(user, task.directive.organization)


def can_work_task(user: Any, task: Task) -> bool:
    """Staff of the lead agency (or above it) accept, report and ask for more time."""
    return user_has_role(user, WORKING_ROLES, task.organization)
