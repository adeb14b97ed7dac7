"""The home page: the seventeen components, the person's organisations and roles, unread notifications."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from cityops.core.navigation import components
from cityops.core.selectors.accounts import own_memberships
from cityops.core.selectors.audit import can_review_audit
from cityops.core.selectors.management import can_manage_organizations, can_manage_people
from cityops.core.selectors.notifications import notification_unread_count

__all__ = ["HomeView"]


class HomeView(LoginRequiredMixin, TemplateView):
    """Landing page after signing in: where to go next and what waits for the person."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        built = [c for c in components() if c.url]
        context.update(
            components=components(),
            built_count=len(built),
            memberships=own_memberships(user=user),
            unread_count=notification_unread_count(user=user),
            can_manage=can_manage_organizations(user) or can_manage_people(user),
            can_review_audit=can_review_audit(user),
        )
        return context
