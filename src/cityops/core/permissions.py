"""The permission layer every module uses.

A person holds roles in organisations (``Membership``). A role held in an organisation reaches that
organisation and every unit below it, so a provincial leader sees the province and a commune clerk sees the
commune. Each app states, in a ``Policy``, which roles may take which action on its models; reads are
scoped by ``Model.objects.for_user(user, action)`` and single records are fetched with
``get_for_user``, which answers "not found" for both missing and forbidden records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.module_loading import autodiscover_modules

from cityops.core.choices import Role

if TYPE_CHECKING:
    from cityops.core.models import Organization

__all__ = [
    "ALL_STAFF_ROLES",
    "MANAGING_ROLES",
    "NotFoundOrForbidden",
    "Policy",
    "autodiscover",
    "get_for_user",
    "memberships_of",
    "org_ids_for_roles",
    "policy_for",
    "register",
    "require_staff",
    "staff_required",
    "user_has_role",
]

ALL_STAFF_ROLES: frozenset[str] = frozenset(
    {
        Role.LEADER,
        Role.IOC_OPERATOR,
        Role.CLERK,
        Role.SPECIALIST,
        Role.AGENCY_HEAD,
        Role.INSPECTOR,
        Role.ADMINISTRATOR,
    }
)
MANAGING_ROLES: frozenset[str] = frozenset({Role.AGENCY_HEAD, Role.LEADER, Role.ADMINISTRATOR})


class NotFoundOrForbidden(Http404):
    """Raised for a record that does not exist or that the user may not touch: the two look the same."""


def memberships_of(user: Any) -> list[tuple[str, str, int]]:
    """(role, organisation path, organisation id) for every active membership, cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_cityops_memberships", None)
    if cached is None:
        from cityops.core.models import Membership

        cached = list(
            Membership.objects.filter(user=user, organization__is_active=True).values_list(
                "role", "organization__path", "organization_id"
            )
        )
        user._cityops_memberships = cached
    return cached


def forget_memberships(user: Any) -> None:
    """Drop the cached memberships after they change."""
    if hasattr(user, "_cityops_memberships"):
        del user._cityops_memberships


def user_has_role(user: Any, roles: Iterable[str], organization: Organization | None = None) -> bool:
    """True when the user holds one of ``roles`` in ``organization`` or above it (anywhere when None)."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    wanted = set(roles)
    for role, path, _org_id in memberships_of(user):
        if role in wanted and (organization is None or organization.path.startswith(path)):
            return True
    return False


def org_ids_for_roles(user: Any, roles: Iterable[str]) -> QuerySet | None:
    """Ids of organisations the user reaches with any of ``roles``; None means every organisation."""
    from cityops.core.models import Organization

    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return None
    wanted = set(roles)
    paths = {path for role, path, _ in memberships_of(user) if role in wanted}
    if not paths:
        return Organization.objects.none().values("id")
    # Drop paths already covered by a shorter one, so the query stays small.
    roots = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    condition = Q()
    for path in roots:
        condition |= Q(path__startswith=path)
    return Organization.objects.filter(condition).values("id")


class Policy:
    """Which roles may take each action on a model, and how a queryset of it is narrowed.

    ``rules`` maps an action ("view", "change", ...) to the roles that may take it. Subclasses override
    ``scope`` to add record-level rules (public records, restricted items, assignees).
    """

    org_field = "organization"
    rules: dict[str, frozenset[str]] = {
        "view": ALL_STAFF_ROLES,
        "change": frozenset({Role.AGENCY_HEAD, Role.SPECIALIST, Role.CLERK, Role.ADMINISTRATOR}),
        "delete": frozenset({Role.AGENCY_HEAD, Role.ADMINISTRATOR}),
    }

    def __init__(self, rules: dict[str, Iterable[str]] | None = None, org_field: str | None = None) -> None:
        if rules is not None:
            self.rules = {action: frozenset(roles) for action, roles in rules.items()}
        if org_field is not None:
            self.org_field = org_field

    def roles_for(self, action: str) -> frozenset[str]:
        return self.rules.get(action, frozenset())

    def scope(self, queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
        """Narrow ``queryset`` to the records ``user`` may take ``action`` on."""
        ids = org_ids_for_roles(user, self.roles_for(action))
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self.org_field}__in": ids})

    def can(self, user: Any, action: str, obj: models.Model) -> bool:
        """Whether ``user`` may take ``action`` on this one record."""
        return self.scope(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()

    def can_in(self, user: Any, action: str, organization: Organization) -> bool:
        """Whether ``user`` may take ``action`` on records of ``organization`` (e.g. create one there)."""
        return user_has_role(user, self.roles_for(action), organization)


_registry: dict[str, Policy] = {}
_default_policy = Policy()


def register(model: type[models.Model] | str, policy: Policy) -> Policy:
    """Declare the policy for a model; apps do this in their ``permissions.py``."""
    label = model if isinstance(model, str) else model._meta.label_lower
    _registry[label.lower()] = policy
    return policy


def policy_for(model: type[models.Model]) -> Policy:
    """The registered policy for ``model`` (the default one if its app registered none)."""
    return _registry.get(model._meta.label_lower, _default_policy)


def get_for_user(queryset: QuerySet, user: Any, action: str = "view", **lookup: Any) -> Any:
    """One record the user may take ``action`` on, or ``NotFoundOrForbidden`` whatever the reason."""
    scoped = policy_for(queryset.model).scope(queryset, user, action)
    try:
        return scoped.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFoundOrForbidden from exc


def autodiscover() -> None:
    """Import every installed app's ``permissions`` module so their policies are registered."""
    autodiscover_modules("permissions")


def require_staff(user: Any) -> None:
    """Refuse anyone who holds no staff role (citizens, integrators, people without a membership)."""
    if not user_has_role(user, ALL_STAFF_ROLES):
        raise PermissionDenied


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """View decorator for pages only officials use: sign-in first, then a staff role anywhere in the tree."""

    @wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        require_staff(request.user)
        return view(request, *args, **kwargs)

    return login_required(wrapped)
