"""Writes of attachments: accept an upload after inspecting its content, and record downloads.

Also declares who may do what with an attachment (``AttachmentPolicy``); ``CoreConfig.ready`` imports this
module so the policy is registered before any request.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cityops.core import audit
from cityops.core.choices import AuditVerbs, ScanStatus
from cityops.core.models import Attachment, Organization
from cityops.core.permissions import ALL_STAFF_ROLES, Policy, org_ids_for_roles, register
from cityops.core.uploads import UploadRejected, inspect_upload

__all__ = [
    "AttachmentPolicy",
    "attachment_create",
    "attachment_record_download",
    "can_upload",
    "scan_file",
]

logger = logging.getLogger(__name__)


class AttachmentPolicy(Policy):
    """Staff of the owning organisation's subtree see its files; public files are seen by everyone;
    the uploader always sees what they uploaded. Uploading into an organisation needs a staff role in it.
    """

    rules = {
        "view": ALL_STAFF_ROLES,
        "upload": ALL_STAFF_ROLES,
        "change": Policy.rules["change"],
        "delete": Policy.rules["delete"],
    }

    def scope(self, queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
        """Organisation scope, widened for reads by the public flag and the uploader."""
        ids = org_ids_for_roles(user, self.roles_for(action))
        if ids is None:
            return queryset
        condition = Q(organization__in=ids)
        if action == "view":
            condition |= Q(is_public=True)
            if getattr(user, "is_authenticated", False) and user.is_active:
                condition |= Q(uploaded_by=user)
        return queryset.filter(condition)


attachment_policy = register(Attachment, AttachmentPolicy())


def can_upload(user: Any, organization: Organization) -> bool:
    """Whether ``user`` may attach files to records of ``organization``."""
    return attachment_policy.can_in(user, "upload", organization)


def scan_file(file: Any) -> str:
    """Run the configured virus scanner; any failure of the scanner itself counts as ``error``."""
    dotted = settings.ATTACHMENT_VIRUS_SCANNER
    if not dotted:
        return ScanStatus.NOT_SCANNED
    try:
        scanner = import_string(dotted)
        file.seek(0)
        result = str(scanner(file))
    except Exception:
        logger.exception("Virus scanner %s failed", dotted)
        return ScanStatus.ERROR
    finally:
        try:
            file.seek(0)
        except Exception:  # noqa: S110  (a closed file is reported by the storage step)
            pass
    if result not in {ScanStatus.CLEAN, ScanStatus.INFECTED, ScanStatus.ERROR}:
        logger.error("Virus scanner %s answered %r", dotted, result)
        return ScanStatus.ERROR
    return result


def _target_ref(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if target.pk is None:
        raise ValidationError({"target": _("Save the record before attaching files to it.")})
    return target._meta.label_lower, str(target.pk)


def _reject(
    *, actor: Any, organization: Organization, name: str, code: str, message: str, extra: dict | None = None
) -> ValidationError:
    """Audit a refused upload and build the error for the caller (the audit row survives the refusal)."""
    audit.record(
        verb=AuditVerbs.ATTACHMENT_REJECTED,
        actor=actor,
        organization=organization,
        data={"name": name[:255], "reason": code, **(extra or {})},
    )
    return ValidationError({"file": ValidationError(message, code=code)})


def attachment_create(
    *,
    actor: Any,
    organization: Organization,
    uploaded_file: Any,
    target: models.Model | None = None,
    is_public: bool = False,
    skip_permission_check: bool = False,
) -> Attachment:
    """Store one uploaded file for ``organization`` (optionally attached to ``target``) after vetting its content.

    The file's type is taken from its content; it is stored under a random name, never the uploader's.
    Refusals raise ``ValidationError`` on ``file`` and are audited. ``skip_permission_check`` is for other
    services that have authorised the write themselves (e.g. a citizen's photo on their own report).
    """
    if not skip_permission_check and not can_upload(actor, organization):
        raise PermissionDenied(_("You may not attach files to records of this organisation."))
    raw_name = str(getattr(uploaded_file, "name", "") or "")
    if not isinstance(uploaded_file, File):
        uploaded_file = File(uploaded_file, name=raw_name)
    target_type, target_id = _target_ref(target)
    try:
        inspection = inspect_upload(uploaded_file, name=raw_name)
    except UploadRejected as rejected:
        raise _reject(
            actor=actor, organization=organization, name=raw_name, code=rejected.code, message=rejected.message
        ) from rejected

    scan_status = scan_file(uploaded_file)
    if scan_status == ScanStatus.INFECTED:
        raise _reject(
            actor=actor, organization=organization, name=raw_name, code="infected",
            message=_("The file contains a virus and was not kept."), extra={"sha256": inspection.sha256},
        )  # fmt: skip

    attachment = Attachment(
        organization=organization,
        original_name=inspection.original_name,
        extension=inspection.extension,
        content_type=inspection.content_type,
        size=inspection.size,
        sha256=inspection.sha256,
        scan_status=scan_status,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        target_type=target_type,
        target_id=target_id,
        is_public=is_public,
    )
    attachment.full_clean(exclude=["file"])
    storage = attachment.file.storage
    field = attachment.file.field
    # The name passed here is ignored by ``attachment_storage_name``; only the random one is used. It is
    # known before writing, so bytes half-written by a failing disk can be removed too.
    planned = field.generate_filename(attachment, f"upload{inspection.extension}")
    stored_name = ""
    try:
        with transaction.atomic():
            uploaded_file.seek(0)
            stored_name = storage.save(planned, uploaded_file, max_length=field.max_length)
            attachment.file = stored_name
            attachment.full_clean()
            attachment.save()
            audit.record(
                verb=AuditVerbs.ATTACHMENT_UPLOADED, actor=actor, target=attachment, organization=organization,
                data={
                    "name": attachment.original_name, "content_type": attachment.content_type,
                    "size": attachment.size, "sha256": attachment.sha256, "scan_status": attachment.scan_status,
                    "target_type": target_type, "target_id": target_id, "is_public": is_public,
                },
            )  # fmt: skip
    except OSError as exc:
        # Disk full, storage unreachable: nothing is kept, and the person is told plainly.
        logger.exception("Could not store an uploaded file for organisation %s", organization.pk)
        _remove_quietly(storage, stored_name or planned)
        message = _("The file could not be stored: the server's storage is full or unavailable. Nothing was saved.")
        raise ValidationError({"file": ValidationError(message, code="storage_unavailable")}) from exc
    except BaseException:
        # No orphans: the row was not written, so the stored bytes must go too.
        if stored_name:
            _remove_quietly(storage, stored_name)
        raise
    return attachment


def _remove_quietly(storage: Any, name: str) -> None:
    try:
        if name and storage.exists(name):
            storage.delete(name)
    except Exception:
        logger.exception("Could not remove %s after a failed attachment save", name)


def attachment_record_download(*, actor: Any, attachment: Attachment) -> None:
    """Audit that someone received an attachment's bytes (who read which file is part of the trail)."""
    audit.record(
        verb=AuditVerbs.ATTACHMENT_DOWNLOADED,
        actor=actor,
        target=attachment,
        organization=attachment.organization,
        data={"name": attachment.original_name, "sha256": attachment.sha256},
    )
