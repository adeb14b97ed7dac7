"""Writes of notifications: sending them, marking them read, each person's channel choices, announcements.

Kinds
    Every notification has a ``kind`` from a small registry (``register_kind``) so people can choose, per
    kind, whether they want it in the application and by email. The core registers the common ones; apps add
    theirs at import time (``register_kind("feedback.assigned", _("Feedback assigned to me"))``).

Channels
    In-app rows are created for recipients whose preference allows the kind in the application (default on).
    Email goes, after the transaction commits, to those whose preference allows email and who have an
    address, by a background task that is idempotent (``emailed_at``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityops.core import audit
from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import Announcement, Membership, Notification, NotificationPreference, Organization, User
from cityops.core.permissions import ALL_STAFF_ROLES, Policy
from cityops.core.queueing import enqueue_with_transaction
from cityops.core.text import nfc

__all__ = [
    "ANNOUNCEMENT_POLICY",
    "ANNOUNCEMENT_PUBLISHED",
    "MAX_IDS_PER_REQUEST",
    "announcement_publish",
    "can_publish_announcement",
    "default_preference",
    "notification_kinds",
    "notification_mark_read",
    "notification_preference_set",
    "notify",
    "register_kind",
    "sanitize_announcement_html",
]

MAX_IDS_PER_REQUEST = 1000
MAX_TITLE_LENGTH = 255
MAX_URL_LENGTH = 500

# --- Kinds ------------------------------------------------------------------------------------------------

_KINDS: dict[str, str | Promise] = {}


def register_kind(kind: str, label: str | Promise) -> None:
    """Make ``kind`` known (with its translated label) so it can be sent and chosen in preferences."""
    if not kind or len(kind) > 64:
        raise ValueError("A notification kind is 1 to 64 characters.")
    _KINDS[kind] = label


def notification_kinds() -> dict[str, str | Promise]:
    """Every registered kind and its label, in registration order."""
    return dict(_KINDS)


for _kind, _label in (
    ("system", gettext_lazy("System messages")),
    ("announcement", gettext_lazy("Announcements")),
    ("task", gettext_lazy("Tasks assigned to me")),
    ("feedback", gettext_lazy("Citizen feedback")),
    ("alert", gettext_lazy("Alerts and incidents")),
    ("document", gettext_lazy("Official documents")),
):
    register_kind(_kind, _label)


def _check_kind(kind: str) -> None:
    if kind not in _KINDS:
        raise ValidationError({"kind": _("Unknown notification kind.")})


# --- Sending --------------------------------------------------------------------------------------------


def _clean_url(url: str) -> str:
    """Only links inside the product: a path starting with a single ``/`` (no scheme, no other host)."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > MAX_URL_LENGTH or not url.startswith("/") or url.startswith(("//", "/\\")):
        raise ValidationError({"url": _("The link must be a path inside CityOps, starting with “/”.")})
    if any(ord(ch) < 32 or ch.isspace() for ch in url):
        raise ValidationError({"url": _("The link must not contain spaces or control characters.")})
    return url


def _clean_title(title: str) -> str:
    value = " ".join(nfc(str(title or "")).split())
    if not value:
        raise ValidationError({"title": _("A notification needs a title.")})
    if len(value) > MAX_TITLE_LENGTH:
        value = value[: MAX_TITLE_LENGTH - 1].rstrip() + "…"
    return value


def _preferences(user_ids: Iterable[int], kind: str) -> dict[int, NotificationPreference]:
    return {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=list(user_ids), kind=kind)}


def default_preference(channel: str) -> bool:
    """Whether a channel (``in_app`` or ``email``) is on for a kind the person has not chosen about."""
    field = NotificationPreference._meta.get_field(channel)
    return bool(cast(models.Field, field).get_default())


_default = default_preference


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    organization: Organization | None = None,
) -> list[Notification]:
    """Tell people about something, in the app and by email, as each of them chose for this kind.

    Returns the in-app notifications created. Inactive accounts and duplicates are skipped. Email is queued
    in the same transaction (or, with a queue outside the database, after it commits), so a rolled-back
    action never sends mail and a committed one always has it queued.
    """
    _check_kind(kind)
    title = _clean_title(title)
    body = nfc(str(body or "")).strip()
    url = _clean_url(url)
    people: dict[int, User] = {}
    for user in recipients:
        if user is not None and user.pk is not None and user.is_active and not user.is_service_account:
            people.setdefault(user.pk, user)
    if not people:
        return []
    prefs = _preferences(people, kind)
    in_app_ids: list[int] = []
    email_ids: set[int] = set()
    email_only_ids: list[int] = []
    for user_id, user in people.items():
        pref = prefs.get(user_id)
        wants_app = pref.in_app if pref else _default("in_app")
        wants_email = (pref.email if pref else _default("email")) and bool(user.email)
        if wants_app:
            in_app_ids.append(user_id)
            if wants_email:
                email_ids.add(user_id)
        elif wants_email:
            email_only_ids.append(user_id)

    with transaction.atomic():
        rows = [
            Notification(recipient_id=user_id, organization=organization, kind=kind, title=title, body=body, url=url)
            for user_id in in_app_ids
        ]
        for row in rows:
            row.full_clean(exclude=["recipient", "organization"])
        # Both supported databases return the new ids from a bulk insert (SQLite >= 3.35, PostgreSQL).
        created = Notification.objects.bulk_create(rows, batch_size=500)
        to_email = [row.pk for row in created if row.recipient_id in email_ids]
        if to_email or email_only_ids:
            from cityops.core import tasks

            def enqueue() -> None:
                if to_email:
                    tasks.send_notification_emails.enqueue(notification_ids=to_email)
                if email_only_ids:
                    tasks.send_notification_email_direct.enqueue(
                        user_ids=email_only_ids, kind=kind, title=title, body=body, url=url
                    )

            enqueue_with_transaction(enqueue)  # committed with the notifications, or not at all
    return list(created)


# --- Reading state ----------------------------------------------------------------------------------------


def _clean_ids(ids: Any) -> list[int]:
    """A list of positive whole numbers, at most ``MAX_IDS_PER_REQUEST`` of them; anything else is refused."""
    if ids is None:
        return []
    if isinstance(ids, str | bytes) or not isinstance(ids, Sequence | set | frozenset):
        raise ValidationError({"ids": _("Send a list of notification ids.")})
    if len(ids) > MAX_IDS_PER_REQUEST:
        raise ValidationError({"ids": _("Send at most %(max)d ids at a time.") % {"max": MAX_IDS_PER_REQUEST}})
    cleaned: list[int] = []
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**63 - 1:
            raise ValidationError({"ids": _("Each id must be a positive whole number.")})
        cleaned.append(value)
    return cleaned


def notification_mark_read(*, user: Any, notification_ids: Any = None, all: bool = False) -> int:  # noqa: A002
    """Mark some (or all) of ``user``'s own notifications read; returns how many changed.

    Ids of other people's notifications are ignored exactly like ids that do not exist. Personal inbox
    state is not audited: it is not an organisational record and would double every read in the trail.
    """
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    ids = _clean_ids(notification_ids)
    if not all and not ids:
        raise ValidationError({"ids": _("Choose the notifications to mark as read.")})
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if not all:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def notification_preference_set(*, user: Any, kind: str, in_app: bool, email: bool) -> NotificationPreference:
    """Record whether ``user`` wants ``kind`` in the application and by email (audited when it changes)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    _check_kind(kind)
    if not isinstance(in_app, bool) or not isinstance(email, bool):
        raise ValidationError(_("Choose yes or no for each channel."))
    pref, created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user, kind=kind, defaults={"in_app": in_app, "email": email}
    )
    before = {"in_app": _default("in_app"), "email": _default("email")} if created else {
        "in_app": pref.in_app, "email": pref.email
    }  # fmt: skip
    if not created and (pref.in_app, pref.email) != (in_app, email):
        pref.in_app, pref.email = in_app, email
        pref.full_clean()
        pref.save(update_fields=["in_app", "email", "updated_at"])
    after = {"in_app": pref.in_app, "email": pref.email}
    if before != after:
        audit.record(
            verb=AuditVerbs.NOTIFICATION_PREFERENCE_UPDATED, actor=user, target=pref,
            data={"kind": kind, "old": before, "new": after},
        )  # fmt: skip
    return pref


# --- Announcements (component 17) -------------------------------------------------------------------------

ANNOUNCEMENT_POLICY = Policy(rules={"publish": {Role.AGENCY_HEAD, Role.ADMINISTRATOR}})
ANNOUNCEMENT_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote", "h3", "h4"}
MAX_ANNOUNCEMENT_BODY = 50_000
ANNOUNCEMENT_PUBLISHED = "core.announcement.published"


def sanitize_announcement_html(body: str) -> str:
    """Keep a small set of formatting tags and safe links; everything else (scripts, styles, events) goes."""
    import nh3

    return nh3.clean(
        nfc(body or ""),
        tags=ANNOUNCEMENT_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def can_publish_announcement(user: Any, organization: Organization) -> bool:
    """Agency heads and administrators publish for their organisation and the units below it."""
    return ANNOUNCEMENT_POLICY.can_in(user, "publish", organization)


def _plain_excerpt(body_html: str, limit: int = 500) -> str:
    text = " ".join(html.unescape(strip_tags(body_html)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def announcement_publish(
    *, actor: Any, organization: Organization, title: str, body: str, is_public: bool
) -> Announcement:
    """Publish a notice for ``organization`` and tell the staff of its subtree (kind ``announcement``)."""
    if not can_publish_announcement(actor, organization):
        raise PermissionDenied(_("You may not publish announcements for this organisation."))
    clean_title = " ".join(nfc(title or "").split())
    if len(body or "") > MAX_ANNOUNCEMENT_BODY:
        raise ValidationError({"body": _("The text is too long.")})
    clean_body = sanitize_announcement_html(body)
    errors: dict[str, str] = {}
    if not clean_title:
        errors["title"] = _("This field is required.")
    if not strip_tags(clean_body).strip():
        errors["body"] = _("Write the text of the announcement.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        announcement = Announcement(
            organization=organization, title=clean_title, body=clean_body, is_public=bool(is_public),
            published_at=timezone.now(), created_by=actor,
        )  # fmt: skip
        announcement.full_clean()
        announcement.save()
        audit.record(
            verb=ANNOUNCEMENT_PUBLISHED, actor=actor, target=announcement, organization=organization,
            data={"title": announcement.title, "is_public": announcement.is_public},
        )  # fmt: skip
        from cityops.core import search

        search.index(announcement)
        staff = User.objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(
                organization__in=Organization.objects.subtree_of(organization).filter(is_active=True),
                role__in=ALL_STAFF_ROLES,
            ).values("user_id"),
        ).exclude(pk=actor.pk)
        from django.urls import reverse

        link = f"{reverse('core:announcements')}#announcement-{announcement.pk}"
        notify(
            recipients=staff.iterator(chunk_size=1000), kind="announcement", title=announcement.title,
            body=_plain_excerpt(announcement.body), url=link, organization=organization,
        )  # fmt: skip
    return announcement
