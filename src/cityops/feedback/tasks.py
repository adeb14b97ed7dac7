"""Background jobs of the feedback center: the deadline sweep (reminders and escalation).

Run it every few minutes (``cityops feedback_deadlines`` from a timer, or enqueue ``deadlines_sweep_task``);
it is idempotent, so running it twice does nothing more.
"""

from __future__ import annotations

from django_tasks import task

from cityops.feedback.services import deadlines_sweep, kept_media_cleanup


@task()
def deadlines_sweep_task() -> dict[str, int]:
    counts = deadlines_sweep()
    kept_media_cleanup()
    return counts


@task()
def send_follower_emails(recipients: list[list[str]], title: str, body: str) -> int:
    """Plain-text emails to followers without an account: ``[address, link path, unfollow path]``; failures logged."""
    import logging

    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.utils.translation import gettext as _

    logger = logging.getLogger(__name__)
    sent = 0
    subject = f"[CityOps] {' '.join(str(title).split())}"[:200]
    for address, path, unfollow in recipients:
        lines = [" ".join(str(title).split()), ""]
        if body:
            lines += [body, ""]
        lines.append(_("See the report: %(link)s") % {"link": f"{settings.SITE_URL}{path}"})
        lines += ["", _("You receive this email because you asked to follow this report.")]
        lines.append(_("To stop: %(link)s") % {"link": f"{settings.SITE_URL}{unfollow}"})
        try:
            EmailMessage(subject=subject, body="\n".join(lines), to=[address]).send()
        except Exception:
            logger.exception("Could not email a follower of a citizen report")
            continue
        sent += 1
    return sent
