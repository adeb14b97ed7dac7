"""The live feed: what open dashboards must see at once, kept in the database so any process can serve it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cityops.core.models.base import TenantQuerySet


class LiveEvent(models.Model):
    """One happening (a new citizen report, an alert, an incident step) for the Server-Sent Events feed.

    The auto-increment id is the SSE event id: a client that reconnects with ``Last-Event-ID`` gets every event
    after it, from whichever process answers, so a restart loses nothing.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    organization = models.ForeignKey(
        "core.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=255)
    url = models.CharField(_("link"), max_length=500, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("live event")
        verbose_name_plural = _("live events")

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"
