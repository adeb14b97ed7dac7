"""Every write of the documents module: receive, import, register, direct, handle; draft, number, issue.

Each function checks the actor's permission, validates, saves inside one transaction, records the audit event
and the processing event, refreshes the search index and defers notifications until the commit.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core import audit, search
from cityops.core.models import Membership, Organization, User
from cityops.core.permissions import ALL_STAFF_ROLES, Policy, user_has_role
from cityops.core.services.attachments import attachment_create
from cityops.core.services.notifications import notify
from cityops.core.text import fold, nfc
from cityops.core.workdays import deadline_for
from cityops.documents import edxml
from cityops.documents.choices import (
    STATUS_DESCRIPTIONS,
    AssignmentRole,
    AuditVerbs,
    Confidentiality,
    Delivery,
    EventAction,
    ExchangeKind,
    IncomingStatus,
    OutgoingStatus,
    ReceivedVia,
    RegisterDirection,
    Urgency,
)
from cityops.documents.exchange import exchange_queue, exchange_record_received
from cityops.documents.fulltext import MAX_TEXT_CHARS, extract_text
from cityops.documents.models import (
    CaseFile,
    CaseFileItem,
    Direction,
    DocumentBase,
    DocumentType,
    DraftVersion,
    IncomingDocument,
    OutgoingDocument,
    OutgoingRecipient,
    ProcessingEvent,
    Register,
    RetentionRule,
)
from cityops.documents.permissions import case_file_policy, incoming_policy, outgoing_policy, register_policy

__all__ = [
    "CONFIDENTIAL_REASON",
    "agency_abbreviation",
    "air_gapped",
    "case_file_add",
    "case_file_close",
    "case_file_create",
    "case_file_deposit_reminders",
    "case_file_export_audited",
    "document_add_attachment",
    "document_viewed",
    "edxml_import",
    "incoming_direct",
    "incoming_done",
    "incoming_forward",
    "incoming_handle",
    "incoming_import_edxml",
    "incoming_receive",
    "incoming_register",
    "incoming_reject",
    "incoming_report",
    "incoming_status_message",
    "outgoing_approve",
    "outgoing_archive",
    "outgoing_correct",
    "outgoing_draft",
    "outgoing_edxml_package",
    "outgoing_issue",
    "outgoing_number",
    "outgoing_recall",
    "outgoing_replacement_draft",
    "outgoing_return",
    "outgoing_submit",
    "outgoing_update",
    "reference_data_save",
    "register_export_audited",
    "statistics_export_audited",
    "status_import",
]

DEFAULT_HANDLING_DAYS = 10
URGENT_HANDLING_DAYS = 1

CONFIDENTIAL_REASON = (
    "State-secret documents (Mật, Tối mật, Tuyệt mật) are registered by their metadata only: the law on state "
    "secrets (29/2018/QH14, Art. 5) forbids keeping their content on a networked system, and this deployment is "
    "not configured as air-gapped."
)

# Fields a caller may set when receiving or drafting; everything else is the workflow's.
COMMON_FIELDS = (
    "document_type",
    "type_name",
    "number",
    "notation",
    "issued_date",
    "place",
    "subject",
    "content",
    "signer_competence",
    "signer_position",
    "signer_name",
    "urgency",
    "confidentiality",
    "page_amount",
    "due_date",
)
INCOMING_FIELDS = (*COMMON_FIELDS, "sender_organ_id", "sender_name", "to_places")
OUTGOING_FIELDS = (*COMMON_FIELDS, "drafting_unit", "issued_amount", "recipients_text", "reply_to")


# --- helpers ---------------------------------------------------------------------------------------------------


def air_gapped() -> bool:
    """Whether this deployment may hold state-secret content (it must be off any network)."""
    return bool(settings.DOCUMENTS_AIR_GAPPED)


def confidential_reason() -> str:
    return _(CONFIDENTIAL_REASON)


def _require(policy: Policy, actor: Any, action: str, obj: Any) -> None:
    if not policy.can(actor, action, obj):
        raise PermissionDenied(_("You may not do this with this document."))


def _require_in(policy: Policy, actor: Any, action: str, organization: Organization) -> None:
    if not policy.can_in(actor, action, organization):
        raise PermissionDenied(_("You may not do this for this organisation."))


def _clean(value: Any) -> Any:
    return nfc(value).strip() if isinstance(value, str) else value


def _assign(document: DocumentBase, data: Mapping[str, Any], fields: Sequence[str]) -> None:
    unknown = set(data) - set(fields)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in sorted(unknown)})
    for name in fields:
        if name in data:
            value = _clean(data[name])
            setattr(document, name, "" if value is None and name in _TEXT_FIELDS else value)


_TEXT_FIELDS = {
    "type_name",
    "number",
    "notation",
    "place",
    "subject",
    "content",
    "signer_competence",
    "signer_position",
    "signer_name",
    "sender_organ_id",
    "sender_name",
    "to_places",
    "recipients_text",
}


def _check_secret_content(document: DocumentBase, files: Sequence[Any]) -> None:
    """Refuse content and files of a secret document unless the deployment is air-gapped; say why."""
    if not document.is_confidential or air_gapped():
        return
    errors: dict[str, str] = {}
    if files:
        errors["files"] = confidential_reason()
    if document.content:
        errors["content"] = confidential_reason()
    if errors:
        raise ValidationError(errors, code="confidential")


def _event(document: DocumentBase, actor: Any, action: str, **fields: Any) -> ProcessingEvent:
    key = "incoming" if isinstance(document, IncomingDocument) else "outgoing"
    event = ProcessingEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None, action=action, **{key: document}, **fields
    )
    event.full_clean()
    event.save()
    if key == "incoming" and event.status_code and action != EventAction.STATUS_RECEIVED:
        assert isinstance(document, IncomingDocument)
        if document.source_outgoing_id:
            # Internal delivery: the sender tracks the receiver's processing status (Art. 4.2.d) without edXML.
            OutgoingRecipient.objects.filter(incoming_document_id=document.pk).update(
                last_status_code=event.status_code,
                last_status_at=event.created_at,
                last_status_note=(event.note or "")[:500],
            )
        elif document.received_via == ReceivedVia.EDXML:
            _send_status(actor, document, event.status_code, event.note)
    return event


def _send_status(actor: Any, document: IncomingDocument, status_code: str, note: str = "") -> None:
    """Tell the external sender where its document stands (Art. 21.2.c: the same day), once per change of code."""
    if not (document.sender_organ_id and document.edxml_document_id):
        return
    last = (
        document.exchange_messages.filter(kind=ExchangeKind.STATUS, direction="out")
        .order_by("-id")
        .values_list("status_code", flat=True)
        .first()
    )
    if last == status_code:
        return  # a supporting unit's copy of the same assignment, a second "processing" step: nothing new
    exchange_queue(
        organization=document.organization,
        kind=ExchangeKind.STATUS,
        payload=_status_bytes(actor, document, status_code, note),
        organ_id=document.sender_organ_id,
        name=document.sender_name,
        document_id=document.edxml_document_id,
        status_code=status_code,
        incoming=document,
    )


def _lock(document: DocumentBase) -> Any:
    """Re-read the document under a row lock so two clerks cannot move it at the same time."""
    return type(document)._default_manager.select_for_update().get(pk=document.pk)


def _transition(document: Any, allowed: Iterable[str], target: str) -> str:
    """Move to ``target`` if the current status allows it; the refusal names both states."""
    allowed = set(allowed)
    if document.status not in allowed:
        raise ValidationError(
            _("A document that is “%(current)s” cannot become “%(target)s”.")
            % {"current": document.get_status_display(), "target": type(document)(status=target).get_status_display()},
            code="illegal_transition",
        )
    old = document.status
    document.status = target
    return old


def _staff_of(organizations: Iterable[Organization], roles: Iterable[str] = ALL_STAFF_ROLES) -> list[User]:
    orgs = list(organizations)
    if not orgs:
        return []
    ids = Membership.objects.filter(organization__in=orgs, role__in=list(roles)).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _notify_later(users: list[User], title: str, url: str, organization: Organization) -> None:
    if users:
        transaction.on_commit(
            lambda: notify(recipients=users, kind="document", title=title, url=url, organization=organization)
        )


def _local_today() -> dt.date:
    return timezone.localdate()


def agency_abbreviation(organization: Organization) -> str:
    """The agency part of a notation: its short name, else the initials of its name ("Sở Xây dựng" → "SXD")."""
    short = (organization.short_name or "").strip()
    if short and " " not in short and len(short) <= 20:
        return short
    initials = "".join(word[0] for word in nfc(organization.name).split() if word[:1].isalpha())
    return fold(initials).upper() or organization.code.upper()


# --- registers and numbers ---------------------------------------------------------------------------------------


def _register_locked(*, organization: Organization, direction: str, year: int, confidential: bool) -> Register:
    """The register of that series, locked; created on first use (the unique constraint settles races)."""
    lookup = {"organization": organization, "direction": direction, "year": year, "is_confidential": confidential}
    try:
        return Register.objects.select_for_update().get(**lookup)
    except Register.DoesNotExist:
        pass
    label = _("Incoming register") if direction == RegisterDirection.INCOMING else _("Outgoing register")
    name = f"{label} {year}" + (f" ({_('confidential')})" if confidential else "")
    try:
        with transaction.atomic():
            created = Register.objects.create(name=name, **lookup)
            audit.record(verb=AuditVerbs.REGISTER_CREATED, target=created, data={"year": year, "direction": direction})
    except IntegrityError:
        pass  # another clerk opened it at the same moment; take theirs
    return Register.objects.select_for_update().get(**lookup)


def _take_number(register: Register) -> int:
    """Next number of a locked register (the caller holds the row lock inside its transaction)."""
    register.last_number += 1
    register.save(update_fields=["last_number", "updated_at"])
    return register.last_number


# --- attachments, views ------------------------------------------------------------------------------------------


def _refresh_fulltext(document: DocumentBase) -> None:
    """Keep the attached files' text on the record, so search finds words inside DOCX/ODT/text files."""
    text = "\n".join(filter(None, (extract_text(a) for a in document.attachments())))[:MAX_TEXT_CHARS]
    if text != document.attachment_text:
        document.attachment_text = text
        type(document)._default_manager.filter(pk=document.pk).update(attachment_text=text)
    search.index(document)


def _store_files(actor: Any, document: DocumentBase, files: Sequence[Any], *, skip_check: bool = False) -> None:
    for uploaded in files:
        attachment_create(
            actor=actor,
            organization=document.organization,
            uploaded_file=uploaded,
            target=document,
            skip_permission_check=skip_check,
        )


def document_add_attachment(*, actor: Any, document: DocumentBase, uploaded_file: Any) -> None:
    """Attach one more file; refused for secret documents on a networked deployment."""
    policy = incoming_policy if isinstance(document, IncomingDocument) else outgoing_policy
    _require(policy, actor, "register" if isinstance(document, IncomingDocument) else "draft", document)
    _check_secret_content(document, [uploaded_file])
    with transaction.atomic():
        _store_files(actor, document, [uploaded_file])
        _refresh_fulltext(document)
        audit.record(
            verb=AuditVerbs.ATTACHMENT_ADDED,
            actor=actor,
            target=document,
            data={"name": str(getattr(uploaded_file, "name", ""))[:255]},
        )


def document_viewed(*, actor: Any, document: DocumentBase) -> None:
    """The access log Decree 30 Appendix VI asks for: every read of a document is an audit event."""
    audit.record(
        verb=AuditVerbs.VIEWED,
        actor=actor,
        target=document,
        data={"kind": document._meta.model_name, "code": document.code},
    )


# --- incoming ----------------------------------------------------------------------------------------------------


def _find_duplicate(document: IncomingDocument) -> IncomingDocument | None:
    """An earlier document of the same receiver with the same issuing organisation, number and notation, or with
    the same document identifier (Appendix VI III.1.h); updates and replacements share it on purpose."""
    if document.edxml_document_id and document.edxml_business_type in (None, edxml.BusinessDocType.NEW):
        same_id = (
            IncomingDocument.objects.filter(
                organization=document.organization, edxml_document_id=document.edxml_document_id
            )
            .exclude(pk=document.pk)
            .order_by("created_at", "id")
            .first()
        )
        if same_id is not None:
            return same_id
    if not (document.number and document.notation):
        return None
    candidates = IncomingDocument.objects.filter(
        organization=document.organization, number=document.number, notation=document.notation
    ).exclude(pk=document.pk)
    if document.sender_organ_id:
        candidates = candidates.filter(
            Q(sender_organ_id=document.sender_organ_id) | Q(sender_name=document.sender_name)
        )
    else:
        candidates = candidates.filter(sender_name=document.sender_name)
    return candidates.order_by("created_at", "id").first()


def _save_incoming(actor: Any, document: IncomingDocument, verb: str, extra: dict[str, Any]) -> None:
    document.full_clean()
    document.save()
    duplicate = _find_duplicate(document)
    if duplicate is not None:
        document.duplicate_of = duplicate
        document.import_warnings = [
            *document.import_warnings,
            {
                "code": "duplicate",
                "message": _(
                    "A document with the same issuing organisation, number and notation "
                    "was already received (%(code)s)."
                )
                % {"code": duplicate.code},
            },
        ]
        document.save(update_fields=["duplicate_of", "import_warnings", "updated_at"])
    _event(document, actor, EventAction.RECEIVED, status_code="01")
    audit.record(verb=verb, actor=actor, target=document, data={"new": audit.snapshot(document), **extra})
    search.index(document)
    if document.is_urgent:
        clerks_and_leaders = _staff_of([document.organization], roles={"clerk", "leader", "agency_head"})
        _notify_later(
            clerks_and_leaders,
            _("Urgent incoming document: %(subject)s") % {"subject": document.subject},
            f"/documents/incoming/{document.pk}/",
            document.organization,
        )


def incoming_receive(
    *, actor: Any, organization: Organization, data: Mapping[str, Any], files: Sequence[Any] = ()
) -> IncomingDocument:
    """Record a document that arrived on paper, by email or as a file (not yet registered)."""
    _require_in(incoming_policy, actor, "receive", organization)
    document = IncomingDocument(organization=organization, received_via=ReceivedVia.UPLOAD, created_by=actor)
    _assign(document, data, INCOMING_FIELDS)
    _check_secret_content(document, files)
    with transaction.atomic():
        _save_incoming(actor, document, AuditVerbs.INCOMING_RECEIVED, {})
        _store_files(actor, document, files)
        _refresh_fulltext(document)
    return document


def _document_type_named(name: str) -> DocumentType | None:
    wanted = fold(name or "")
    for doc_type in DocumentType.objects.filter(is_active=True):
        if fold(doc_type.name) == wanted:
            return doc_type
    return None


def _unwrap(content: bytes, name: str) -> tuple[bytes, str]:
    """edXML packages carry each file as a zip of that one file; hand the core the file itself.

    Only a zip with exactly one file entry that is not an Office document is unwrapped, and never past the
    attachment size limit; anything else goes to the core's checks as it is (and is refused there if bad).
    """
    if not content.startswith(b"PK\x03\x04"):
        return content, name
    limit = int(settings.ATTACHMENT_MAX_BYTES)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = [info for info in archive.infolist() if not info.is_dir()]
            names = {info.filename for info in entries}
            if len(entries) != 1 or "[Content_Types].xml" in names or "mimetype" in names:
                return content, name
            info = entries[0]
            if info.file_size > limit:
                return content, name
            with archive.open(info) as member:
                data = member.read(limit + 1)
            if len(data) > limit:
                return content, name
            inner = info.filename.replace("\\", "/").rsplit("/", 1)[-1] or name
            return data, inner
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError):
        return content, name


def _warning(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


URGENCY_FROM_PRIORITY = {
    0: Urgency.NORMAL,
    1: Urgency.URGENT,
    2: Urgency.VERY_URGENT,
    3: Urgency.EXPRESS,
    4: Urgency.EXPRESS,
}


def _max_edxml_bytes() -> int:
    return int(settings.DOCUMENTS_EDXML_MAX_BYTES)


def _parse_or_refuse(data: bytes) -> edxml.ParsedPackage:
    try:
        return edxml.parse_package(data, max_bytes=_max_edxml_bytes())
    except edxml.EdxmlError as exc:
        raise ValidationError(
            {"file": _("The edXML package was refused: %(problems)s") % {"problems": "; ".join(exc.problems)}},
            code="edxml",
        ) from exc


def incoming_import_edxml(
    *,
    actor: Any,
    organization: Organization,
    data: bytes,
    confidentiality: int = Confidentiality.NORMAL,
    parsed: edxml.ParsedPackage | None = None,
) -> IncomingDocument:
    """Create an incoming document from a received edXML package; repairs and refusals become warnings.

    The package's attachments are stored as core attachments (unwrapped from their zip, checked by content).
    A secret document keeps its metadata only unless the deployment is air-gapped.
    """
    _require_in(incoming_policy, actor, "receive", organization)
    parsed = parsed or _parse_or_refuse(data)
    package = parsed.package
    header = package.header
    recalled = _apply_revocation(actor, organization, package)
    if recalled is not None:
        return recalled
    warnings = [_warning(w.code, w.message) for w in parsed.warnings]
    other = header.other_info
    priority = other.priority if other else None
    urgency = URGENCY_FROM_PRIORITY.get(priority or 0)
    if urgency is None:
        urgency = Urgency.NORMAL
        warnings.append(
            _warning("unknown-priority", _("Unknown priority code %(code)s; read as normal.") % {"code": priority})
        )
    elif priority == 4:
        warnings.append(_warning("priority-timed", _("“Hỏa tốc hẹn giờ” (timed express) is recorded as express.")))
    signer = header.signer_info
    document = IncomingDocument(
        organization=organization,
        received_via=ReceivedVia.EDXML,
        created_by=actor,
        sender_organ_id=header.sender.organ_id or "",
        sender_name=header.sender.organ_name or header.sender.organ_id or "",
        number=header.code.number,
        notation=header.code.notation,
        issued_date=header.promulgation_info.promulgation_date,
        place=header.promulgation_info.place or "",
        type_name=header.document_type.type_name,
        document_type=_document_type_named(header.document_type.type_name),
        subject=header.subject,
        content=header.content or "",
        signer_competence=(signer.competence or "") if signer else "",
        signer_position=(signer.position or "") if signer else "",
        signer_name=(signer.full_name or "") if signer else "",
        urgency=urgency,
        confidentiality=confidentiality,
        page_amount=other.page_amount if other else None,
        due_date=header.due_date,
        edxml_document_id=header.document_id or "",
        edxml_business_type=package.business.business_doc_type if package.business else None,
        to_places="\n".join(header.to_places),
    )
    for name in _TEXT_FIELDS & {f.name for f in IncomingDocument._meta.concrete_fields}:
        setattr(document, name, _clean(getattr(document, name)))
    secret_blocked = document.is_confidential and not air_gapped()
    if secret_blocked and document.content:
        document.content = ""
        warnings.append(_warning("confidential-content", confidential_reason()))
    if document.edxml_business_type not in (None, edxml.BusinessDocType.NEW):
        warnings.append(
            _warning(
                "business-type",
                _(
                    "This package is a revocation, update or replacement of an "
                    "earlier document; check the earlier record by hand."
                ),
            )
        )
    business_type = document.edxml_business_type
    if business_type == edxml.BusinessDocType.UPDATE:
        updated = _apply_update(actor, organization, document, package)
        if updated is not None:
            return updated
    document.import_warnings = warnings
    with transaction.atomic():
        _save_incoming(actor, document, AuditVerbs.INCOMING_IMPORTED, {"edxml_document_id": document.edxml_document_id})
        if business_type == edxml.BusinessDocType.REPLACEMENT:
            _apply_replacement(actor, organization, document, package)
        added_warnings = _store_package_attachments(actor, document, package, secret_blocked=secret_blocked)
        if added_warnings:
            document.import_warnings = [*document.import_warnings, *added_warnings]
            document.save(update_fields=["import_warnings", "updated_at"])
        _refresh_fulltext(document)
    return document


def _destroy_files(actor: Any, incoming: IncomingDocument, reason: str) -> None:
    """Destroy a recalled copy's files (Art. 18.4, Appendix VI III.8): rows now, bytes once the change commits.

    What was destroyed (names and hashes) stays in the audit log; the metadata stays, frozen, on the record.
    """
    attachments = list(incoming.attachments())
    if not attachments:
        return
    destroyed = [{"name": a.original_name, "sha256": a.sha256, "size": a.size} for a in attachments]
    names = [str(a.file.name) for a in attachments if a.file]
    storage = attachments[0].file.storage
    for attachment in attachments:
        attachment.delete()
    IncomingDocument.objects.filter(pk=incoming.pk).update(attachment_text="")
    incoming.attachment_text = ""
    audit.record(
        verb=AuditVerbs.INCOMING_FILES_DESTROYED,
        actor=actor,
        target=incoming,
        data={"files": destroyed, "reason": reason},
    )

    def remove_bytes() -> None:
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                pass  # the row is gone, so nothing serves it; a stray file is only disk space

    transaction.on_commit(remove_bytes)


def _store_package_attachments(
    actor: Any, document: IncomingDocument, package: edxml.Package, *, secret_blocked: bool
) -> list[dict[str, str]]:
    """Store a package's files on the record (unwrapped, checked by content); refusals become warnings."""
    warnings: list[dict[str, str]] = []
    for index, attachment in enumerate(package.attachments, 1):
        label = attachment.attachment_name or f"attachment-{index}"
        if attachment.content is None:
            continue  # the reader has already warned
        if secret_blocked:
            warnings.append(_warning("confidential-attachment", f"{label}: {confidential_reason()}"))
            continue
        content, name = _unwrap(attachment.content, label)
        try:
            attachment_create(
                actor=actor,
                organization=document.organization,
                uploaded_file=ContentFile(content, name=name),
                target=document,
            )
        except ValidationError as exc:
            warnings.append(
                _warning(
                    "attachment-refused",
                    _("Attachment %(name)s was not kept: %(reason)s")
                    % {"name": label, "reason": " ".join(exc.messages)},
                )
            )
    return warnings


def _recall_incoming(actor: Any, incoming: IncomingDocument, reason: str) -> None:
    """Withdraw a received copy the sender recalled (Art. 18.4): frozen, out of search, its files destroyed."""
    old = incoming.status
    incoming.status = IncomingStatus.RECALLED
    incoming.save(update_fields=["status", "updated_at"])
    _event(incoming, actor, EventAction.RECALLED, note=_clean(reason or ""), status_code="15")
    audit.record(
        verb=AuditVerbs.INCOMING_RECALLED,
        actor=actor,
        target=incoming,
        data={"old": old, "new": incoming.status, "reason": reason},
    )
    _destroy_files(actor, incoming, reason)
    search.unindex(incoming)


def _replace_incoming(actor: Any, incoming: IncomingDocument, replacement: IncomingDocument | None) -> None:
    """Mark a received document as replaced by the sender; its page points to the replacement."""
    if incoming.status in {IncomingStatus.RECALLED, IncomingStatus.REPLACED}:
        return
    old = incoming.status
    incoming.status = IncomingStatus.REPLACED
    incoming.replaced_by = replacement
    incoming.save(update_fields=["status", "replaced_by", "updated_at"])
    note = _("Replaced by %(code)s.") % {"code": replacement.code if replacement else "-"}
    _event(incoming, actor, EventAction.REPLACED, note=note)
    audit.record(
        verb=AuditVerbs.INCOMING_REPLACED,
        actor=actor,
        target=incoming,
        data={"old": old, "new": incoming.status, "replaced_by": replacement.pk if replacement else None},
    )


def _apply_revocation(actor: Any, organization: Organization, package: edxml.Package) -> IncomingDocument | None:
    """A revocation package recalls the earlier record of the same document identifier, if this receiver has it."""
    business = package.business
    document_id = package.header.document_id
    if business is None or business.business_doc_type != edxml.BusinessDocType.REVOCATION or not document_id:
        return None
    with transaction.atomic():
        earlier = (
            IncomingDocument.objects.select_for_update()
            .filter(organization=organization, edxml_document_id=document_id)
            .exclude(status__in=[IncomingStatus.RECALLED, IncomingStatus.REPLACED])
            .order_by("created_at", "id")
            .first()
        )
        if earlier is None:
            return None
        _recall_incoming(actor, earlier, business.business_doc_reason or "")
    return earlier


UPDATABLE_FIELDS = (
    "subject",
    "content",
    "type_name",
    "document_type",
    "issued_date",
    "place",
    "signer_competence",
    "signer_position",
    "signer_name",
    "urgency",
    "page_amount",
    "due_date",
    "to_places",
)


def _update_incoming_copy(
    actor: Any,
    earlier: IncomingDocument,
    values: Mapping[str, Any],
    reason: str,
    package: edxml.Package | None = None,
) -> IncomingDocument:
    """Apply the sender's update to a received record (audited old/new); new files replace the old ones."""
    old = audit.snapshot(earlier, [f.attname for f in IncomingDocument._meta.concrete_fields if f.name in values])
    for name, value in values.items():
        setattr(earlier, name, value)
    earlier.full_clean()
    earlier.save()
    if package is not None and any(a.content is not None for a in package.attachments):
        _destroy_files(actor, earlier, _("Files replaced by the sender's update."))
        secret_blocked = earlier.is_confidential and not air_gapped()
        warnings = _store_package_attachments(actor, earlier, package, secret_blocked=secret_blocked)
        if warnings:
            earlier.import_warnings = [*earlier.import_warnings, *warnings]
            earlier.save(update_fields=["import_warnings", "updated_at"])
    _event(
        earlier,
        actor,
        EventAction.UPDATED,
        note=_("Updated by the sender. %(reason)s") % {"reason": reason},
        status_code="15",
    )
    audit.record(
        verb="documents.incoming.updated_by_sender",
        actor=actor,
        target=earlier,
        data={"old": old, "new": audit.snapshot(earlier, list(old)), "reason": reason},
    )
    _refresh_fulltext(earlier)
    return earlier


def _apply_update(
    actor: Any, organization: Organization, incoming: IncomingDocument, package: edxml.Package
) -> IncomingDocument | None:
    """An update package changes this receiver's earlier record of the same document (metadata and files)."""
    with transaction.atomic():
        earlier = (
            IncomingDocument.objects.select_for_update()
            .filter(organization=organization, edxml_document_id=incoming.edxml_document_id)
            .exclude(status__in=[IncomingStatus.RECALLED, IncomingStatus.REPLACED])
            .order_by("created_at", "id")
            .first()
        )
        if earlier is None or not incoming.edxml_document_id:
            return None
        reason = (package.business.business_doc_reason if package.business else "") or ""
        values = {name: getattr(incoming, name) for name in UPDATABLE_FIELDS}
        return _update_incoming_copy(actor, earlier, values, reason, package)


def _apply_replacement(
    actor: Any, organization: Organization, incoming: IncomingDocument, package: edxml.Package
) -> None:
    """A replacement package supersedes the records it replaces (listed ones, else the same identifier)."""
    business = package.business
    replaced_ids = {info.document_id for info in (business.replacement_info if business else ()) if info.document_id}
    replaced_ids = replaced_ids or ({incoming.edxml_document_id} if incoming.edxml_document_id else set())
    earlier = (
        IncomingDocument.objects.select_for_update()
        .filter(organization=organization, edxml_document_id__in=replaced_ids)
        .exclude(pk=incoming.pk)
        .exclude(status__in=[IncomingStatus.RECALLED, IncomingStatus.REPLACED])
    )
    for record in earlier:
        _replace_incoming(actor, record, incoming)


def incoming_register(*, actor: Any, document: IncomingDocument) -> IncomingDocument:
    """Give the document its incoming number (số đến) in this year's register of its series."""
    _require(incoming_policy, actor, "register", document)
    with transaction.atomic():
        document = _lock(document)
        _transition(document, {IncomingStatus.RECEIVED}, IncomingStatus.REGISTERED)
        now = timezone.now()
        register = _register_locked(
            organization=document.organization,
            direction=RegisterDirection.INCOMING,
            year=timezone.localtime(now).year,
            confidential=document.is_confidential,
        )
        document.register = register
        document.arrival_number = _take_number(register)
        document.arrival_date = now
        document.full_clean()
        document.save()
        _event(document, actor, EventAction.REGISTERED, status_code="03")
        audit.record(
            verb=AuditVerbs.INCOMING_REGISTERED,
            actor=actor,
            target=document,
            data={"register": register.pk, "arrival_number": document.arrival_number},
        )
        search.index(document)
    return document


def incoming_reject(*, actor: Any, document: IncomingDocument, reason: str) -> IncomingDocument:
    """Return a document that is not for this organisation (Art. 21.1): status 02 goes back to the sender."""
    _require(incoming_policy, actor, "register", document)
    reason = _clean(reason or "")
    if not reason:
        raise ValidationError({"note": _("Say why the document is returned.")})
    with transaction.atomic():
        document = _lock(document)
        old = _transition(document, {IncomingStatus.RECEIVED}, IncomingStatus.REJECTED)
        document.save(update_fields=["status", "updated_at"])
        _event(document, actor, EventAction.REJECTED, note=reason, status_code="02")
        audit.record(
            verb=AuditVerbs.INCOMING_REJECTED,
            actor=actor,
            target=document,
            data={"old": old, "new": document.status, "reason": reason},
        )
        search.unindex(document)
    return document


def _unit_within(document: DocumentBase, unit: Organization, field: str) -> None:
    if not unit.is_active or not unit.is_within(document.organization):
        raise ValidationError({field: _("Choose a unit of the receiving organisation.")})


def incoming_direct(
    *,
    actor: Any,
    document: IncomingDocument,
    lead_unit: Organization,
    supporting_units: Sequence[Organization] = (),
    deadline: dt.date | None = None,
    opinion: str = "",
) -> Direction:
    """The leader's direction (Art. 23): lead unit, supporting units, deadline and opinion; the units are told."""
    _require(incoming_policy, actor, "direct", document)
    _unit_within(document, lead_unit, "lead_unit")
    supporting = [unit for unit in supporting_units if unit.pk != lead_unit.pk]
    for unit in supporting:
        _unit_within(document, unit, "supporting_units")
    today = _local_today()
    if deadline is None:
        days = URGENT_HANDLING_DAYS if document.is_urgent else DEFAULT_HANDLING_DAYS
        deadline = timezone.localtime(deadline_for(timezone.now(), days=days)).date()
    elif deadline < today:
        raise ValidationError({"deadline": _("The deadline cannot be in the past.")})
    with transaction.atomic():
        document = _lock(document)
        _transition(document, {IncomingStatus.REGISTERED, IncomingStatus.DIRECTED}, IncomingStatus.DIRECTED)
        direction = Direction(
            document=document, leader=actor, lead_unit=lead_unit, deadline=deadline, opinion=_clean(opinion or "")
        )
        direction.full_clean()
        direction.save()
        direction.supporting_units.set(supporting)
        document.due_date = deadline
        document.save(update_fields=["status", "due_date", "updated_at"])
        _event(
            document,
            actor,
            EventAction.DIRECTED,
            note=direction.opinion,
            assigned_org=lead_unit,
            assignment_role=AssignmentRole.LEAD,
            deadline=deadline,
            status_code="04",
        )
        for unit in supporting:
            _event(
                document,
                actor,
                EventAction.DIRECTED,
                assigned_org=unit,
                assignment_role=AssignmentRole.SUPPORT,
                deadline=deadline,
                status_code="04",
            )
        audit.record(
            verb=AuditVerbs.INCOMING_DIRECTED,
            actor=actor,
            target=document,
            data={
                "lead_unit": lead_unit.pk,
                "supporting_units": [u.pk for u in supporting],
                "deadline": deadline,
                "opinion": direction.opinion,
            },
        )
        _notify_later(
            _staff_of([lead_unit, *supporting]),
            _("Document assigned to your unit: %(subject)s") % {"subject": document.subject},
            f"/documents/incoming/{document.pk}/",
            document.organization,
        )
    return direction


def _handling_step(
    *,
    actor: Any,
    document: IncomingDocument,
    action: str,
    verb: str,
    note: str,
    allowed: set[str],
    target: str,
    status_code: str = "",
    **event_fields: Any,
) -> IncomingDocument:
    _require(incoming_policy, actor, "handle", document)
    with transaction.atomic():
        document = _lock(document)
        old = _transition(document, allowed, target)
        document.save(update_fields=["status", "updated_at"])
        _event(document, actor, action, note=_clean(note or ""), status_code=status_code, **event_fields)
        audit.record(
            verb=verb,
            actor=actor,
            target=document,
            data={"old": old, "new": document.status, "note": note, **{k: str(v) for k, v in event_fields.items()}},
        )
    return document


HANDLING: set[str] = {IncomingStatus.DIRECTED, IncomingStatus.IN_PROGRESS}


def incoming_handle(*, actor: Any, document: IncomingDocument, note: str = "") -> IncomingDocument:
    """An assigned unit starts handling the document."""
    return _handling_step(
        actor=actor,
        document=document,
        action=EventAction.HANDLED,
        verb=AuditVerbs.INCOMING_HANDLED,
        note=note,
        allowed=HANDLING,
        target=IncomingStatus.IN_PROGRESS,
        status_code="05",
    )


def incoming_forward(*, actor: Any, document: IncomingDocument, unit: Organization, note: str = "") -> IncomingDocument:
    """Pass the document on to another unit of the receiving organisation, which may then handle it."""
    _unit_within(document, unit, "unit")
    return _handling_step(
        actor=actor,
        document=document,
        action=EventAction.FORWARDED,
        verb=AuditVerbs.INCOMING_FORWARDED,
        note=note,
        allowed=HANDLING,
        target=IncomingStatus.IN_PROGRESS,
        assigned_org=unit,
        assignment_role=AssignmentRole.FORWARDED,
    )


def incoming_report(*, actor: Any, document: IncomingDocument, note: str) -> IncomingDocument:
    """A unit reports on its handling (the report is the note)."""
    if not (note or "").strip():
        raise ValidationError({"note": _("Write the report.")})
    return _handling_step(
        actor=actor,
        document=document,
        action=EventAction.REPORTED,
        verb=AuditVerbs.INCOMING_REPORTED,
        note=note,
        allowed=HANDLING,
        target=IncomingStatus.IN_PROGRESS,
    )


def incoming_done(
    *, actor: Any, document: IncomingDocument, note: str = "", reply: OutgoingDocument | None = None
) -> IncomingDocument:
    """Close the handling, optionally naming the reply document."""
    _require(incoming_policy, actor, "complete", document)
    if reply is not None and reply.organization_id != document.organization_id:
        raise ValidationError({"reply": _("The reply must be a document of the same organisation.")})
    with transaction.atomic():
        document = _lock(document)
        old = _transition(document, HANDLING, IncomingStatus.DONE)
        document.save(update_fields=["status", "updated_at"])
        if reply is not None:
            OutgoingDocument.objects.filter(pk=reply.pk).update(reply_to=document)
        _event(document, actor, EventAction.DONE, note=_clean(note or ""), status_code="06")
        audit.record(
            verb=AuditVerbs.INCOMING_DONE,
            actor=actor,
            target=document,
            data={"old": old, "new": document.status, "reply": reply.pk if reply else None},
        )
        search.index(document)
    return document


# --- outgoing ----------------------------------------------------------------------------------------------------


def outgoing_draft(
    *, actor: Any, organization: Organization, data: Mapping[str, Any], files: Sequence[Any] = ()
) -> OutgoingDocument:
    """Start a draft (Art. 10); numbering and the date of issue come later."""
    _require_in(outgoing_policy, actor, "draft", organization)
    document = OutgoingDocument(organization=organization, created_by=actor, status=OutgoingStatus.DRAFT)
    _assign(document, data, OUTGOING_FIELDS)
    if document.document_type_id is None:
        raise ValidationError({"document_type": _("Choose the type of document.")})
    document.type_name = document.document_type.name if document.document_type else document.type_name
    if document.drafting_unit is not None:
        _unit_within(document, document.drafting_unit, "drafting_unit")
    if document.reply_to is not None and not incoming_policy.can(actor, "view", document.reply_to):
        raise ValidationError({"reply_to": _("Choose a document you can see.")})
    _check_secret_content(document, files)
    with transaction.atomic():
        document.full_clean()
        document.save()
        _event(document, actor, EventAction.DRAFTED)
        audit.record(
            verb=AuditVerbs.OUTGOING_DRAFTED, actor=actor, target=document, data={"new": audit.snapshot(document)}
        )
        _store_files(actor, document, files)
        _refresh_fulltext(document)
    return document


def _outgoing_step(
    *,
    actor: Any,
    document: OutgoingDocument,
    action: str,
    permission: str,
    verb: str,
    allowed: set[str],
    target: str,
    note: str = "",
) -> OutgoingDocument:
    _require(outgoing_policy, actor, permission, document)
    with transaction.atomic():
        document = _lock(document)
        old = _transition(document, allowed, target)
        if target == OutgoingStatus.APPROVED and not document.signer_name:
            document.signer_name = getattr(actor, "full_name", "") or str(actor)
        document.save()
        _event(document, actor, action, note=_clean(note or ""))
        audit.record(verb=verb, actor=actor, target=document, data={"old": old, "new": target, "note": note})
    return document


VERSIONED_FIELDS = [
    "document_type_id",
    "type_name",
    "subject",
    "content",
    "place",
    "signer_competence",
    "signer_position",
    "signer_name",
    "urgency",
    "confidentiality",
    "page_amount",
    "due_date",
    "drafting_unit_id",
    "issued_amount",
    "recipients_text",
]


def _save_version(actor: Any, document: OutgoingDocument, note: str = "") -> DraftVersion:
    last = document.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = DraftVersion(
        document=document,
        number=last + 1,
        note=_clean(note or "")[:500],
        snapshot={**audit.snapshot(document, VERSIONED_FIELDS), "attachments": [a.pk for a in document.attachments()]},
        author=actor if getattr(actor, "is_authenticated", False) else None,
    )
    version.full_clean()
    version.save()
    return version


def outgoing_update(
    *, actor: Any, document: OutgoingDocument, data: Mapping[str, Any], files: Sequence[Any] = (), note: str = ""
) -> OutgoingDocument:
    """Change a draft; each change becomes a new version, so reviewers see what changed (Art. 10-12)."""
    _require(outgoing_policy, actor, "draft", document)
    allowed = [name for name in OUTGOING_FIELDS if name != "reply_to"]
    with transaction.atomic():
        document = _lock(document)
        if document.status != OutgoingStatus.DRAFT:
            raise ValidationError(_("Only a draft can be changed."), code="illegal_transition")
        if not document.versions.exists():
            _save_version(actor, document, _("First draft"))
        old = audit.snapshot(document, VERSIONED_FIELDS)
        _assign(document, data, allowed)
        if document.document_type is not None:
            document.type_name = document.document_type.name
        if document.drafting_unit is not None:
            _unit_within(document, document.drafting_unit, "drafting_unit")
        _check_secret_content(document, files)
        document.full_clean()
        document.save()
        _store_files(actor, document, files)
        version = _save_version(actor, document, note)
        _event(document, actor, EventAction.DRAFTED, note=_("Version %(n)s") % {"n": version.number})
        audit.record(
            verb="documents.outgoing.updated",
            actor=actor,
            target=document,
            data={"old": old, "new": audit.snapshot(document, VERSIONED_FIELDS), "version": version.number},
        )
        _refresh_fulltext(document)
    return document


def outgoing_submit(*, actor: Any, document: OutgoingDocument, note: str = "") -> OutgoingDocument:
    """Send the draft to the reviewer (Art. 11-12)."""
    return _outgoing_step(
        actor=actor,
        document=document,
        action=EventAction.SUBMITTED,
        permission="draft",
        verb=AuditVerbs.OUTGOING_SUBMITTED,
        allowed={OutgoingStatus.DRAFT},
        target=OutgoingStatus.IN_REVIEW,
        note=note,
    )


def outgoing_return(*, actor: Any, document: OutgoingDocument, note: str = "") -> OutgoingDocument:
    """The reviewer sends the draft back for changes."""
    return _outgoing_step(
        actor=actor,
        document=document,
        action=EventAction.RETURNED,
        permission="review",
        verb=AuditVerbs.OUTGOING_RETURNED,
        allowed={OutgoingStatus.IN_REVIEW},
        target=OutgoingStatus.DRAFT,
        note=note,
    )


def outgoing_approve(*, actor: Any, document: OutgoingDocument, note: str = "") -> OutgoingDocument:
    """The competent person approves and signs (Art. 13)."""
    return _outgoing_step(
        actor=actor,
        document=document,
        action=EventAction.APPROVED,
        permission="approve",
        verb=AuditVerbs.OUTGOING_APPROVED,
        allowed={OutgoingStatus.IN_REVIEW},
        target=OutgoingStatus.APPROVED,
        note=note,
    )


def build_notation(document: OutgoingDocument) -> str:
    """Ký hiệu (Appendix I §II.3): type abbreviation + agency abbreviation; a công văn uses the drafting unit's."""
    agency = agency_abbreviation(document.organization)
    abbreviation = document.document_type.abbreviation if document.document_type else ""
    if abbreviation:
        return f"{abbreviation}-{agency}"
    if document.drafting_unit is not None and document.drafting_unit.pk != document.organization_id:
        return f"{agency}-{agency_abbreviation(document.drafting_unit)}"
    return agency


def _organ_id(organization: Organization) -> str:
    return organization.edxml_code or organization.code


def outgoing_number(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """Take the next number of this year's series (secret documents have their own) and build the notation."""
    _require(outgoing_policy, actor, "number", document)
    with transaction.atomic():
        document = _lock(document)
        old = _transition(document, {OutgoingStatus.APPROVED}, OutgoingStatus.NUMBERED)
        today = _local_today()
        register = _register_locked(
            organization=document.organization,
            direction=RegisterDirection.OUTGOING,
            year=today.year,
            confidential=document.is_confidential,
        )
        serial = _take_number(register)
        document.register = register
        document.serial = serial
        document.number = f"{serial:02d}"
        document.notation = build_notation(document)
        document.issued_date = today
        document.edxml_document_id = edxml.make_document_id(
            _organ_id(document.organization), today, document.number, document.notation
        )
        document.full_clean()
        document.save()
        _event(document, actor, EventAction.NUMBERED, note=document.code)
        audit.record(
            verb=AuditVerbs.OUTGOING_NUMBERED,
            actor=actor,
            target=document,
            data={"old": old, "register": register.pk, "number": document.number, "notation": document.notation},
        )
        search.index(document)
    return document


def _package_attachments(document: OutgoingDocument) -> tuple[edxml.Attachment, ...]:
    if document.is_confidential and not air_gapped():
        return ()
    items = []
    for index, attachment in enumerate(document.attachments(), 1):
        with attachment.file.open("rb") as handle:
            content = handle.read()
        items.append(
            edxml.Attachment(
                content_id=f"cid:{index}",
                attachment_name=attachment.original_name,
                content_type=attachment.content_type,
                content=content,
            )
        )
    return tuple(items)


def outgoing_edxml_package(
    document: OutgoingDocument,
    recipients: Sequence[tuple[str, str]] = (),
    *,
    business_type: int | None = None,
    reason: str | None = None,
) -> bytes:
    """The edXML package of a numbered document (QCVN 102), addressed to ``(organ_id, name)`` recipients.

    ``business_type`` REVOCATION (with ``reason``) makes the recall package of an issued document, UPDATE the
    package of a correction after issue; a document that replaces another is sent as a REPLACEMENT naming the
    replaced document and its recipients (``ReplacementInfo``).
    """
    if business_type is None:
        business_type = edxml.BusinessDocType.REPLACEMENT if document.replaces_id else edxml.BusinessDocType.NEW
    replacement_info: tuple[edxml.ReplacementInfo, ...] = ()
    if business_type == edxml.BusinessDocType.REPLACEMENT and document.replaces is not None:
        replaced = document.replaces
        replacement_info = (
            edxml.ReplacementInfo(
                document_id=replaced.edxml_document_id or None,
                organ_ids=tuple(r.organ_id for r in replaced.recipients.all() if r.organ_id),
            ),
        )
    document_info = (
        edxml.BusinessDocumentInfo(document_info=1, document_receiver=0)
        if business_type == edxml.BusinessDocType.UPDATE
        else None
    )
    if not document.number:
        raise ValidationError(_("Only a numbered document can be exported as edXML."))
    org = document.organization
    doc_type = document.document_type
    attachments = _package_attachments(document)
    header = edxml.MessageHeader(
        sender=edxml.Organization(
            organ_id=_organ_id(org),
            organ_name=org.name,
            organ_add=org.address or None,
            email=org.email or None,
            telephone=org.phone or None,
            website=org.website or None,
        ),
        to=tuple(edxml.Organization(organ_id=organ_id, organ_name=name or None) for organ_id, name in recipients),
        code=edxml.Code(number=document.number, notation=document.notation),
        promulgation_info=edxml.PromulgationInfo(
            promulgation_date=document.issued_date or _local_today(), place=document.place or None
        ),
        document_type=edxml.DocumentType(
            type=(doc_type.edxml_type or 0) if doc_type else 0,
            type_detail=doc_type.edxml_type_detail if doc_type else None,
            type_name=document.type_name or (doc_type.name if doc_type else ""),
        ),
        subject=document.subject,
        content=(document.content or None) if not document.is_confidential else None,
        signer_info=edxml.SignerInfo(
            competence=document.signer_competence or None,
            position=document.signer_position or None,
            full_name=document.signer_name or None,
        ),
        due_date=document.due_date,
        other_info=edxml.OtherInfo(
            priority=int(document.urgency), page_amount=document.page_amount, promulgation_amount=document.issued_amount
        ),
        document_id=document.edxml_document_id or None,
        to_places=tuple(line.strip() for line in document.recipients_text.splitlines() if line.strip()),
        response_for=_response_for(document),
    )
    package = edxml.Package(
        header=header,
        trace=(
            edxml.TraceHeader(
                organ_id=_organ_id(org), timestamp=timezone.localtime(timezone.now()).replace(microsecond=0)
            ),
        ),
        business=edxml.Business(
            business_doc_type=business_type,
            business_doc_reason=reason or None,
            document_id=document.edxml_document_id or None,
            paper=0,
            document_info=document_info,
            replacement_info=replacement_info,
        ),
        manifest=edxml.make_manifest(attachments),
        attachments=attachments,
    )
    return edxml.build_package(package)


def _response_for(document: OutgoingDocument) -> tuple[edxml.ResponseFor, ...]:
    """``ResponseFor``: the received document this one answers, so the other side links the reply."""
    answered = document.reply_to
    if answered is None or not (answered.edxml_document_id or answered.code):
        return ()
    return (
        edxml.ResponseFor(
            organ_id=answered.sender_organ_id or None,
            code=answered.code or None,
            promulgation_date=answered.issued_date,
            document_id=answered.edxml_document_id or None,
        ),
    )


def _deliver_internally(actor: Any, document: OutgoingDocument, recipient_org: Organization) -> IncomingDocument:
    org = document.organization
    incoming = IncomingDocument(
        organization=recipient_org,
        received_via=ReceivedVia.INTERNAL,
        source_outgoing=document,
        created_by=actor,
        sender_organ_id=org.edxml_code,
        sender_name=org.name,
        **{name: getattr(document, name) for name in COMMON_FIELDS},
    )
    incoming.edxml_document_id = document.edxml_document_id
    incoming.full_clean()
    incoming.save()
    _event(incoming, actor, EventAction.RECEIVED, note=_("Delivered by %(org)s") % {"org": org.name}, status_code="01")
    audit.record(
        verb=AuditVerbs.INCOMING_RECEIVED,
        actor=actor,
        target=incoming,
        data={"source_outgoing": document.pk, "new": audit.snapshot(incoming)},
    )
    search.index(incoming)
    if not document.is_confidential or air_gapped():
        for attachment in document.attachments():
            with attachment.file.open("rb") as handle:
                content = ContentFile(handle.read(), name=attachment.original_name)
            attachment_create(
                actor=actor,
                organization=recipient_org,
                uploaded_file=content,
                target=incoming,
                skip_permission_check=True,
            )
        _refresh_fulltext(incoming)
    return incoming


def outgoing_issue(
    *,
    actor: Any,
    document: OutgoingDocument,
    internal: Sequence[Organization] = (),
    external: Sequence[tuple[str, str]] = (),
) -> OutgoingDocument:
    """Issue to recipients (Art. 16-18): internal agencies get an incoming document, external ones an edXML package."""
    _require(outgoing_policy, actor, "issue", document)
    internal = list({org.pk: org for org in internal if org.pk != document.organization_id}.values())
    external = [(_clean(code), _clean(name)) for code, name in external if (code or "").strip()]
    if not internal and not external:
        raise ValidationError({"recipients": _("Name at least one recipient.")})
    for organization in internal:
        if not organization.is_active:
            raise ValidationError({"recipients": _("%(org)s is not active.") % {"org": organization.name}})
    with transaction.atomic():
        document = _lock(document)
        old = _transition(document, {OutgoingStatus.NUMBERED}, OutgoingStatus.ISSUED)
        document.issued_at = timezone.now()
        document.save()
        for organization in internal:
            incoming = _deliver_internally(actor, document, organization)
            OutgoingRecipient.objects.create(
                document=document,
                organization=organization,
                name=organization.name,
                organ_id=organization.edxml_code,
                delivery=Delivery.INTERNAL,
                incoming_document=incoming,
                last_status_code="01",
            )
            _notify_later(
                _staff_of([organization], roles={"clerk"}),
                _("New incoming document: %(subject)s") % {"subject": document.subject},
                f"/documents/incoming/{incoming.pk}/",
                organization,
            )
        for organ_id, name in external:
            package = outgoing_edxml_package(document, [(organ_id, name)])
            OutgoingRecipient.objects.create(
                document=document,
                organ_id=organ_id[:32],
                name=name or organ_id,
                delivery=Delivery.EDXML,
                package=package.decode("utf-8"),
            )
            kind = edxml.BusinessDocType.REPLACEMENT if document.replaces_id else edxml.BusinessDocType.NEW
            _queue_package(document, organ_id, name, package, kind)
        if document.replaces_id:
            _supersede(actor, document)
        _event(
            document,
            actor,
            EventAction.ISSUED,
            note=", ".join([o.name for o in internal] + [name or code for code, name in external]),
        )
        audit.record(
            verb=AuditVerbs.OUTGOING_ISSUED,
            actor=actor,
            target=document,
            data={
                "old": old,
                "internal": [o.pk for o in internal],
                "external": [code for code, _n in external],
            },
        )
    return document


def _queue_package(document: OutgoingDocument, organ_id: str, name: str, package: bytes, business_type: int) -> None:
    exchange_queue(
        organization=document.organization,
        kind=ExchangeKind.PACKAGE,
        payload=package,
        organ_id=organ_id,
        name=name,
        document_id=document.edxml_document_id,
        business_type=int(business_type),
        outgoing=document,
    )


def _external_recipients(document: OutgoingDocument) -> list[tuple[str, str]]:
    return [(r.organ_id, r.name) for r in document.recipients.filter(delivery=Delivery.EDXML) if r.organ_id]


def _supersede(actor: Any, document: OutgoingDocument) -> None:
    """The replacement is issued: the replaced document and its internal copies point to it."""
    if document.replaces_id is None:
        return
    replaced = OutgoingDocument.objects.select_for_update().get(pk=document.replaces_id)
    if replaced.status not in {OutgoingStatus.ISSUED, OutgoingStatus.ARCHIVED}:
        return
    old = replaced.status
    replaced.status = OutgoingStatus.REPLACED
    replaced.save(update_fields=["status", "updated_at"])
    _event(replaced, actor, EventAction.REPLACED, note=document.code)
    audit.record(
        verb=AuditVerbs.OUTGOING_REPLACED,
        actor=actor,
        target=replaced,
        data={"old": old, "new": replaced.status, "replaced_by": document.pk},
    )
    new_copies = {
        r.organization_id: r.incoming_document for r in document.recipients.filter(delivery=Delivery.INTERNAL)
    }
    for recipient in replaced.recipients.filter(delivery=Delivery.INTERNAL).select_related("incoming_document"):
        if recipient.incoming_document is not None:
            copy = IncomingDocument.objects.select_for_update().get(pk=recipient.incoming_document.pk)
            _replace_incoming(actor, copy, new_copies.get(recipient.organization_id))


def outgoing_replacement_draft(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """Start the document that will replace an issued one (edXML business type 3, "văn bản thay thế").

    The draft copies the metadata and follows the usual review, signing and numbering; issuing it marks the
    replaced document and the recipients' copies as replaced.
    """
    _require(outgoing_policy, actor, "draft", document)
    if document.status not in {OutgoingStatus.ISSUED, OutgoingStatus.ARCHIVED}:
        raise ValidationError(_("Only an issued document can be replaced."), code="illegal_transition")
    if document.replacements.exclude(status=OutgoingStatus.RECALLED).exists():
        raise ValidationError(_("A replacement of this document already exists."), code="illegal_transition")
    fields = [name for name in OUTGOING_FIELDS if name != "reply_to"]
    data = {name: getattr(document, name) for name in fields}
    draft = outgoing_draft(actor=actor, organization=document.organization, data=data)
    draft.replaces = document
    draft.reply_to = document.reply_to
    draft.save(update_fields=["replaces", "reply_to", "updated_at"])
    return draft


CORRECTABLE_FIELDS = ("subject", "content", "due_date", "page_amount", "signer_position", "signer_name", "place")


def outgoing_correct(
    *, actor: Any, document: OutgoingDocument, data: Mapping[str, Any], reason: str
) -> OutgoingDocument:
    """Update an issued document's information (edXML business type 2, "cập nhật"): internal copies change at
    once, external recipients get an update package through the exchange.
    """
    _require(outgoing_policy, actor, "issue", document)
    reason = _clean(reason or "")
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the update.")})
    with transaction.atomic():
        document = _lock(document)
        if document.status != OutgoingStatus.ISSUED:
            raise ValidationError(_("Only an issued document can be updated."), code="illegal_transition")
        old = audit.snapshot(document, list(CORRECTABLE_FIELDS))
        _assign(document, data, CORRECTABLE_FIELDS)
        if document.is_confidential and document.content and not air_gapped():
            raise ValidationError({"content": confidential_reason()}, code="confidential")
        document.full_clean()
        document.save()
        new = audit.snapshot(document, list(CORRECTABLE_FIELDS))
        changed = {name: new[name] for name in new if new[name] != old[name]}
        if not changed:
            raise ValidationError(_("Nothing was changed."))
        for recipient in document.recipients.filter(delivery=Delivery.INTERNAL).select_related("incoming_document"):
            copy = recipient.incoming_document
            if copy is not None and copy.status not in {IncomingStatus.RECALLED, IncomingStatus.REPLACED}:
                copy = IncomingDocument.objects.select_for_update().get(pk=copy.pk)
                _update_incoming_copy(actor, copy, {name: getattr(document, name) for name in changed}, reason)
        for organ_id, name in _external_recipients(document):
            package = outgoing_edxml_package(
                document, [(organ_id, name)], business_type=edxml.BusinessDocType.UPDATE, reason=reason
            )
            _queue_package(document, organ_id, name, package, edxml.BusinessDocType.UPDATE)
        _event(document, actor, EventAction.UPDATED, note=reason)
        audit.record(
            verb=AuditVerbs.OUTGOING_UPDATED_AFTER_ISSUE,
            actor=actor,
            target=document,
            data={"old": old, "new": new, "reason": reason},
        )
        search.index(document)
    return document


def outgoing_recall(*, actor: Any, document: OutgoingDocument, reason: str) -> OutgoingDocument:
    """Recall an issued document (Art. 18.4): internal copies are withdrawn at once (files destroyed); external
    recipients are sent a revocation package through the exchange.
    """
    _require(outgoing_policy, actor, "issue", document)
    reason = _clean(reason or "")
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the recall.")})
    with transaction.atomic():
        document = _lock(document)
        old = _transition(document, {OutgoingStatus.ISSUED}, OutgoingStatus.RECALLED)
        document.save(update_fields=["status", "updated_at"])
        for recipient in document.recipients.select_related("incoming_document"):
            incoming = recipient.incoming_document
            if incoming is not None and incoming.status != IncomingStatus.RECALLED:
                _recall_incoming(actor, IncomingDocument.objects.select_for_update().get(pk=incoming.pk), reason)
        for organ_id, name in _external_recipients(document):
            package = outgoing_edxml_package(
                document, [(organ_id, name)], business_type=edxml.BusinessDocType.REVOCATION, reason=reason
            )
            _queue_package(document, organ_id, name, package, edxml.BusinessDocType.REVOCATION)
        _event(document, actor, EventAction.RECALLED, note=reason)
        audit.record(
            verb=AuditVerbs.OUTGOING_RECALLED,
            actor=actor,
            target=document,
            data={"old": old, "new": document.status, "reason": reason},
        )
    return document


def outgoing_archive(*, actor: Any, document: OutgoingDocument, note: str = "") -> OutgoingDocument:
    """Close the issued document into the archive."""
    return _outgoing_step(
        actor=actor,
        document=document,
        action=EventAction.ARCHIVED,
        permission="archive",
        verb=AuditVerbs.OUTGOING_ARCHIVED,
        allowed={OutgoingStatus.ISSUED},
        target=OutgoingStatus.ARCHIVED,
        note=note,
    )


# --- status messages and the edXML entry point ---------------------------------------------------------------------


def status_import(*, actor: Any, organization: Organization, data: bytes) -> ProcessingEvent:
    """Apply a received status message (01-06, 13, 15, 16) to the document it answers."""
    _require_in(incoming_policy, actor, "receive", organization)
    try:
        parsed = edxml.parse_status(data, max_bytes=_max_edxml_bytes())
    except edxml.EdxmlError as exc:
        raise ValidationError(
            {"file": _("The edXML status message was refused: %(problems)s") % {"problems": "; ".join(exc.problems)}}
        ) from exc
    status = parsed.status
    document_id = status.response_for.document_id or ""
    scope = Organization.objects.subtree_of(organization).values("id")
    outgoing = OutgoingDocument.objects.filter(organization__in=scope, edxml_document_id=document_id).first()
    incoming = None
    if outgoing is None:
        incoming = IncomingDocument.objects.filter(organization__in=scope, edxml_document_id=document_id).first()
    target: DocumentBase | None = outgoing or incoming
    if not document_id or target is None:
        raise ValidationError(
            {
                "file": _("No document of this organisation matches the status message (%(id)s).")
                % {"id": document_id or "-"}
            }
        )
    note = f"{status.status_code} {status.sender.organ_id}: {status.description or ''}".strip()
    code = str(status.status_code)
    with transaction.atomic():
        if outgoing is not None:
            # The sender sees "received by X at T" (Art. 4.2.d, Appendix VI III.1.o).
            outgoing.recipients.filter(organ_id=status.sender.organ_id).update(
                last_status_code=code,
                last_status_at=status.timestamp,
                last_status_note=nfc(status.description or "")[:500],
            )
        event = _event(target, actor, EventAction.STATUS_RECEIVED, note=nfc(note)[:2000], status_code=code)
        exchange_record_received(
            organization=target.organization,
            kind=ExchangeKind.STATUS,
            payload=data,
            organ_id=status.sender.organ_id,
            name=status.sender.organ_name or "",
            document_id=document_id,
            status_code=code,
            outgoing=outgoing,
            incoming=incoming,
        )
        audit.record(
            verb="documents.status.received",
            actor=actor,
            target=target,
            data={"status_code": code, "from": status.sender.organ_id},
        )
        if (
            incoming is not None
            and code == edxml.StatusCode.CANCELLATION
            and incoming.status not in {IncomingStatus.RECALLED, IncomingStatus.REPLACED}
            and status.sender.organ_id in {incoming.sender_organ_id, ""}
        ):
            # The sender asks for its document back (13): this receiver agrees (15 goes back) and withdraws it.
            locked = IncomingDocument.objects.select_for_update().get(pk=incoming.pk)
            _recall_incoming(actor, locked, status.description or "")
    return event


def edxml_import(*, actor: Any, organization: Organization, data: bytes, confidentiality: int = 0) -> Any:
    """One entry point for any received edXML file: a document package or a status message."""
    _require_in(incoming_policy, actor, "receive", organization)
    try:
        parsed = edxml.parse_package(data, max_bytes=_max_edxml_bytes())
    except edxml.EdxmlError as exc:
        if any("status message" in problem for problem in exc.problems):
            return status_import(actor=actor, organization=organization, data=data)
        raise ValidationError(
            {"file": _("The edXML package was refused: %(problems)s") % {"problems": "; ".join(exc.problems)}},
            code="edxml",
        ) from exc
    document = incoming_import_edxml(
        actor=actor, organization=organization, data=data, confidentiality=confidentiality, parsed=parsed
    )
    header, business = parsed.package.header, parsed.package.business
    exchange_record_received(
        organization=organization,
        kind=ExchangeKind.PACKAGE,
        payload=b"",
        organ_id=header.sender.organ_id or "",
        name=header.sender.organ_name or "",
        document_id=header.document_id or "",
        business_type=business.business_doc_type if business else None,
        incoming=document,
    )
    return document


def register_export_audited(*, actor: Any, register: Register) -> None:
    """Printing a register is itself a read of every document in it: audit it."""
    if not register_policy.can(actor, "export", register):
        raise PermissionDenied(_("You may not export this register."))
    audit.record(
        verb=AuditVerbs.REGISTER_EXPORTED,
        actor=actor,
        target=register,
        data={"year": register.year, "direction": register.direction},
    )


def statistics_export_audited(*, actor: Any, date_from: dt.date, date_to: dt.date) -> None:
    """Exporting the statistics is a read of every counted document: audit it."""
    audit.record(
        verb=AuditVerbs.STATISTICS_EXPORTED,
        actor=actor,
        data={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
    )


# --- case files (hồ sơ) ----------------------------------------------------------------------------------------

DEPOSIT_MIN_YEARS = 5  # Art. 31.3.c: files kept 5 years or more go to the agency archive


def case_file_create(
    *,
    actor: Any,
    organization: Organization,
    title: str,
    notation: str,
    retention: RetentionRule,
    year: int | None = None,
) -> CaseFile:
    """Open a case file of the year's list (danh mục hồ sơ)."""
    _require_in(case_file_policy, actor, "change", organization)
    today = _local_today()
    case_file = CaseFile(
        organization=organization,
        year=year or today.year,
        title=_clean(title or ""),
        notation=_clean(notation or ""),
        retention=retention,
        creator=actor,
        start_date=today,
    )
    with transaction.atomic():
        case_file.full_clean()
        case_file.save()
        audit.record(
            verb="documents.case_file.created", actor=actor, target=case_file, data={"new": audit.snapshot(case_file)}
        )
    return case_file


def case_file_add(*, actor: Any, case_file: CaseFile, document: DocumentBase) -> CaseFileItem:
    """File a document (without copying it) under the next order number; closed files take nothing."""
    _require(case_file_policy, actor, "change", case_file)
    if document.organization_id != case_file.organization_id:
        raise ValidationError({"document": _("File only documents of the same organisation.")})
    key = "incoming" if isinstance(document, IncomingDocument) else "outgoing"
    with transaction.atomic():
        locked = CaseFile.objects.select_for_update().get(pk=case_file.pk)
        if locked.status != CaseFile.Status.OPEN:
            raise ValidationError(_("This case file is closed."), code="illegal_transition")
        if locked.items.filter(**{key: document}).exists():
            raise ValidationError({"document": _("The document is already in this case file.")})
        last = locked.items.order_by("-ordinal").values_list("ordinal", flat=True).first() or 0
        item = CaseFileItem(case_file=locked, ordinal=last + 1, **{key: document})
        item.full_clean()
        item.save()
        audit.record(
            verb="documents.case_file.item_added",
            actor=actor,
            target=locked,
            data={"document": f"{key}:{document.pk}", "ordinal": item.ordinal},
        )
    return item


def case_file_close(*, actor: Any, case_file: CaseFile) -> CaseFile:
    """End the file; one kept 5 years or more is due in the archive within a year (Art. 30.2, 31.3.c)."""
    _require(case_file_policy, actor, "change", case_file)
    with transaction.atomic():
        locked = CaseFile.objects.select_for_update().select_related("retention").get(pk=case_file.pk)
        if locked.status != CaseFile.Status.OPEN:
            raise ValidationError(_("This case file is already closed."), code="illegal_transition")
        today = _local_today()
        locked.status = CaseFile.Status.CLOSED
        locked.end_date = today
        years = locked.retention.years
        if years is None or years >= DEPOSIT_MIN_YEARS:
            try:
                locked.deposit_due = today.replace(year=today.year + 1)
            except ValueError:  # 29 February
                locked.deposit_due = today.replace(year=today.year + 1, day=28)
        locked.save()
        audit.record(
            verb="documents.case_file.closed",
            actor=actor,
            target=locked,
            data={"end_date": locked.end_date, "deposit_due": locked.deposit_due},
        )
    return locked


def case_file_export_audited(*, actor: Any, case_file: CaseFile | None, year: int | None = None) -> None:
    """Printing a case file's catalogue (or the year's list of files) is a read: audit it."""
    audit.record(
        verb="documents.case_file.exported",
        actor=actor,
        target=case_file,
        data={"year": year if case_file is None else case_file.year},
    )


DEPOSIT_REMINDER_DAYS = 30  # Appendix VI III: notify 30 days before a file is due in the archive


def case_file_deposit_reminders(*, today: dt.date | None = None) -> int:
    """Tell the clerks and leaders of each closed case file due in the archive within 30 days (once per file).

    Run from a timer (``cityops documents_deposit_reminders``); a file is claimed by setting
    ``deposit_reminded_at`` in one conditional UPDATE, so two runs never remind twice.
    """
    today = today or _local_today()
    due = CaseFile.objects.filter(
        status=CaseFile.Status.CLOSED,
        deposit_due__isnull=False,
        deposit_due__lte=today + dt.timedelta(days=DEPOSIT_REMINDER_DAYS),
        deposit_reminded_at__isnull=True,
    ).select_related("organization")
    sent = 0
    for case_file in due:
        with transaction.atomic():
            claimed = CaseFile.objects.filter(pk=case_file.pk, deposit_reminded_at__isnull=True).update(
                deposit_reminded_at=timezone.now()
            )
            if not claimed:
                continue
            people = _staff_of([case_file.organization], roles={"clerk", "leader", "agency_head"})
            _notify_later(
                people,
                _("Case file %(notation)s is due in the archive by %(date)s")
                % {"notation": case_file.notation, "date": f"{case_file.deposit_due:%d/%m/%Y}"},
                f"/documents/case-files/{case_file.pk}/",
                case_file.organization,
            )
            audit.record(
                verb="documents.case_file.deposit_reminded",
                target=case_file,
                organization=case_file.organization,
                data={"deposit_due": case_file.deposit_due, "recipients": [u.pk for u in people]},
            )
            sent += 1
    return sent


def reference_data_save(*, actor: Any, instance: DocumentType | RetentionRule) -> None:
    """Save a document type or retention rule (configurable data) with an audit trail; administrators only."""
    if not (getattr(actor, "is_superuser", False) or user_has_role(actor, {"administrator"})):
        raise PermissionDenied(_("Only administrators change reference data."))
    old = audit.snapshot(type(instance)._default_manager.get(pk=instance.pk)) if instance.pk else None
    with transaction.atomic():
        instance.full_clean()
        instance.save()
        audit.record(
            verb=f"documents.{instance._meta.model_name}.saved",
            actor=actor,
            target=instance,
            data={"old": old, "new": audit.snapshot(instance)},
        )


def _status_bytes(actor: Any, document: IncomingDocument, status_code: str, note: str = "") -> bytes:
    """The edXML status message of ``status_code`` on ``document``, from its receiving organisation."""
    org = document.organization
    staff_name = getattr(actor, "full_name", "") or (str(actor) if getattr(actor, "is_authenticated", False) else "")
    staff = edxml.StaffInfo(staff=staff_name or None, department=org.name)
    description = STATUS_DESCRIPTIONS.get(status_code, "")
    if note:
        description = f"{description}: {note}" if description else note
    message = edxml.StatusMessage(
        sender=edxml.Organization(organ_id=_organ_id(org), organ_name=org.name),
        response_for=edxml.ResponseFor(
            organ_id=document.sender_organ_id or None,
            code=document.code or None,
            promulgation_date=document.issued_date,
            document_id=document.edxml_document_id,
        ),
        status_code=status_code,
        timestamp=timezone.localtime(timezone.now()).replace(microsecond=0),
        description=nfc(description)[:1000] or None,
        staff_info=staff,
    )
    return edxml.build_status(message)


def incoming_status_message(*, actor: Any, document: IncomingDocument, status_code: str | None = None) -> bytes:
    """The edXML status message telling the sender where its document stands (latest code unless given).

    The services send these by themselves through the exchange (``_send_status``); this builds one on request.
    """
    _require(incoming_policy, actor, "view", document)
    if status_code is None:
        status_code = (
            document.events.exclude(status_code="")
            .order_by("-created_at", "-id")
            .values_list("status_code", flat=True)
            .first()
        )
    if not status_code or not document.edxml_document_id:
        raise ValidationError(_("This document has no edXML identifier or status to report."))
    return _status_bytes(actor, document, status_code)
