"""The directory of agencies and officials (component 17): the tree, one organisation, one person."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from cityops.core.selectors.organizations import (
    is_staff_viewer,
    organization_children,
    organization_get,
    organization_tree,
    people_of,
    person_get,
)
from cityops.core.text import nfc

MAX_FILTER_LENGTH = 100


class DirectoryView(LoginRequiredMixin, TemplateView):
    """``directory/?q=``: the organisation tree, filtered without regard to accents or case."""

    template_name = "core/directory/tree.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        raw = self.request.GET.get("q", "")
        query = nfc(raw).strip()[:MAX_FILTER_LENGTH]
        context.update(
            query=query,
            tree=organization_tree(actor=self.request.user, q=query or None),
            max_length=MAX_FILTER_LENGTH,
        )
        return context


class OrganizationView(LoginRequiredMixin, TemplateView):
    """``directory/org/<code>/``: contact details, codes, child units and staff of one unit."""

    template_name = "core/directory/organization.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        org = organization_get(actor=user, code=kwargs["code"])
        context.update(
            org=org,
            ancestors=list(org.ancestors()),
            children=organization_children(actor=user, organization=org),
            people=people_of(actor=user, organization=org),
            show_people=is_staff_viewer(user),
        )
        return context


class PersonView(LoginRequiredMixin, TemplateView):
    """``directory/person/<id>/``: one official's positions; staff only, citizens are never listed."""

    template_name = "core/directory/person.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["person"] = person_get(actor=self.request.user, user_id=kwargs["pk"])
        return context
