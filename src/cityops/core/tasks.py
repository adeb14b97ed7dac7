"""Background jobs of the core: notification emails.

Tasks take ids (never model instances) so they can be queued in the database and run by any worker.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from cityops.core.models import Notification, NotificationPreference, User
from cityops.core.services.notifications import default_preference

__all__ = ["notification_email_message", "send_notification_email_direct", "send_notification_emails"]

logger = logging.getLogger(__name__)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def notification_email_message(*, user: User, title: str, body: str, url: str) -> EmailMessage:
    """A plain-text email (never HTML, so nothing in the title or body can run) with the absolute link."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        lines = [_one_line(title), ""]
        if body:
            lines += [body, ""]
        if url:
            lines.append(_("Open in CityOps: %(link)s") % {"link": f"{settings.SITE_URL}{url}"})
        lines += ["", _("You receive this email because of your notification settings in CityOps.")]
        subject = f"[CityOps] {_one_line(title)}"[:200]
    return EmailMessage(subject=subject, body="\n".join(lines), to=[user.email])


def _email_allowed(user: User, kind: str) -> bool:
    """Checked again when sending: the person may have changed their mind or their address since."""
    if not user.is_active or not user.email:
        return False
    pref = NotificationPreference.objects.filter(user=user, kind=kind).first()
    return pref.email if pref else default_preference("email")


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email the given notifications; each is sent at most once, however often this task runs.

    A notification is claimed by setting ``emailed_at`` in one conditional UPDATE before sending, so two
    workers cannot both send it; if sending fails the claim is released so a retry sends it.
    """
    sent = 0
    failures = 0
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("recipient")
    for notification in pending:
        recipient = notification.recipient
        if not _email_allowed(recipient, notification.kind):
            continue
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        message = notification_email_message(
            user=recipient, title=notification.title, body=notification.body, url=notification.url
        )
        try:
            message.send()
        except Exception:
            logger.exception("Could not email notification %s", notification.pk)
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
            failures += 1
            continue
        sent += 1
    if failures:
        raise RuntimeError(f"{failures} notification email(s) could not be sent; they can be retried.")
    return sent


@task()
def send_notification_email_direct(user_ids: list[int], kind: str, title: str, body: str, url: str) -> int:
    """Email people who want this kind by email only (no in-app row to track; sent once per enqueue)."""
    sent = 0
    for user in User.objects.filter(pk__in=user_ids):
        if not _email_allowed(user, kind):
            continue
        try:
            notification_email_message(user=user, title=title, body=body, url=url).send()
        except Exception:
            logger.exception("Could not email a %s notification to user %s", kind, user.pk)
            continue
        sent += 1
    return sent
