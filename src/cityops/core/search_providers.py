"""The core's own search providers: organisations, people and announcements.

Imported from ``CoreConfig.ready()``; each ``visible_to`` is the same selector the directory or the
announcement list uses, so search shows no more than those pages would.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from cityops.core.models import Announcement, Organization, User
from cityops.core.search import SearchProvider, register
from cityops.core.selectors.notifications import announcement_list
from cityops.core.selectors.organizations import directory_people, organization_list

__all__ = ["announcements_visible_to"]


def _org_url(org: Organization) -> str:
    return reverse("core:directory_org", kwargs={"code": org.code})


def _org_summary(org: Organization) -> str:
    parts = [str(org.get_kind_display())]
    if org.parent_id and org.parent is not None:
        parts.append(org.parent.name)
    if org.address:
        parts.append(org.address)
    return " · ".join(parts)


def _person_url(user: User) -> str:
    return reverse("core:directory_person", kwargs={"pk": user.pk})


def _person_summary(user: User) -> str:
    return user.job_title or ""


def announcements_visible_to(user: Any) -> QuerySet[Announcement]:
    """The announcements page's own selector: public ones to everyone signed in, internal ones to the
    publishing organisation's subtree and to staff whose role reaches it from above."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Announcement.objects.none()
    return announcement_list(user=user)


def _announcement_url(item: Announcement) -> str:
    return f"{reverse('core:announcements')}#announcement-{item.pk}"


register(
    SearchProvider(
        model=Organization,
        fields=("name", "short_name", "code", "admin_unit_code", "edxml_code", "address"),
        title=lambda org: org.name,
        url=_org_url,
        summary=_org_summary,
        visible_to=lambda user: organization_list(actor=user),
        label=_("Organisations"),
        organization=lambda org: org.pk,
        queryset=lambda: Organization.objects.select_related("parent"),
    )
)

register(
    SearchProvider(
        model=User,
        fields=("full_name", "first_name", "last_name", "username", "job_title", "email"),
        title=lambda user: user.display_name,
        url=_person_url,
        summary=_person_summary,
        visible_to=lambda user: directory_people(actor=user),
        label=_("People"),
        organization=lambda user: None,
    )
)

register(
    SearchProvider(
        model=Announcement,
        fields=("title", "body", "organization__name"),
        title=lambda item: item.title,
        url=_announcement_url,
        summary=lambda item: strip_tags(item.body)[:300],
        visible_to=announcements_visible_to,
        label=_("Announcements"),
        queryset=lambda: Announcement.objects.select_related("organization"),
    )
)
