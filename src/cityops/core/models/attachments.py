"""Files attached to any record, stored under safe names and served only through permission checks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import ScanStatus
from cityops.core.models.base import TenantScopedModel


def attachment_storage_name(instance: Attachment, filename: str) -> str:
    """A name the uploader cannot influence: date folders and a random id with the detected extension."""
    today = timezone.now()
    return f"attachments/{today:%Y/%m}/{uuid.uuid4().hex}{instance.extension}"


class Attachment(TenantScopedModel):
    """One uploaded file. Its type is the one found in its content, never the one its name claims."""

    file = models.FileField(_("file"), upload_to=attachment_storage_name, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    extension = models.CharField(max_length=16, blank=True)
    content_type = models.CharField(_("content type"), max_length=127)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, db_index=True)
    scan_status = models.CharField(
        _("scan status"), max_length=16, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    target_type = models.CharField(max_length=100, blank=True, db_index=True)
    target_id = models.CharField(max_length=64, blank=True)
    is_public = models.BooleanField(_("public"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["target_type", "target_id"], name="core_attachment_target")]

    def __str__(self) -> str:
        return self.original_name
