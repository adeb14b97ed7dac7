"""Choices of the documents module: directions, urgency and secrecy marks, statuses, processing actions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RegisterDirection(models.TextChoices):
    """Which register (sổ) a number comes from: incoming (đến) or outgoing (đi)."""

    INCOMING = "in", _("Incoming")
    OUTGOING = "out", _("Outgoing")


class Urgency(models.IntegerChoices):
    """Độ khẩn (Decree 30, Appendix I §III.2); the values are the edXML ``Priority`` codes."""

    NORMAL = 0, _("Normal")
    URGENT = 1, _("Urgent (Khẩn)")
    VERY_URGENT = 2, _("Very urgent (Thượng khẩn)")
    EXPRESS = 3, _("Express (Hỏa tốc)")


class Confidentiality(models.IntegerChoices):
    """Độ mật; anything above NORMAL is a state secret under Law 29/2018/QH14."""

    NORMAL = 0, _("Normal")
    SECRET = 1, _("Secret (Mật)")
    TOP_SECRET = 2, _("Top secret (Tối mật)")
    ABSOLUTE_SECRET = 3, _("Absolute secret (Tuyệt mật)")


class ReceivedVia(models.TextChoices):
    UPLOAD = "upload", _("Upload or paper")
    EDXML = "edxml", _("edXML package")
    INTERNAL = "internal", _("Internal delivery")


class IncomingStatus(models.TextChoices):
    """Decree 30 Art. 21-24: receive, register, present and direct, handle, done."""

    RECEIVED = "received", _("Received")
    REGISTERED = "registered", _("Registered")
    DIRECTED = "directed", _("Directed")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    RECALLED = "recalled", _("Recalled by the sender")
    REPLACED = "replaced", _("Replaced by the sender")
    REJECTED = "rejected", _("Returned to the sender")


class OutgoingStatus(models.TextChoices):
    """Decree 30 Art. 10-14: draft, review, approve (sign), number, issue, archive."""

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved and signed")
    NUMBERED = "numbered", _("Numbered")
    ISSUED = "issued", _("Issued")
    ARCHIVED = "archived", _("Archived")
    RECALLED = "recalled", _("Recalled")
    REPLACED = "replaced", _("Replaced")


class EventAction(models.TextChoices):
    """What happened to a document; one table yields the direction slip and the edXML status codes."""

    RECEIVED = "received", _("Received")
    REGISTERED = "registered", _("Registered")
    DIRECTED = "directed", _("Directed")
    HANDLED = "handled", _("Handling started")
    FORWARDED = "forwarded", _("Forwarded")
    REPORTED = "reported", _("Reported")
    DONE = "done", _("Done")
    DRAFTED = "drafted", _("Drafted")
    SUBMITTED = "submitted", _("Submitted for review")
    RETURNED = "returned", _("Returned to the drafter")
    APPROVED = "approved", _("Approved and signed")
    NUMBERED = "numbered", _("Numbered")
    ISSUED = "issued", _("Issued")
    ARCHIVED = "archived", _("Archived")
    STATUS_RECEIVED = "status_received", _("Status message received")
    RECALLED = "recalled", _("Recalled")
    REJECTED = "rejected", _("Returned to the sender")
    UPDATED = "updated", _("Updated after issue")
    REPLACED = "replaced", _("Replaced")


class AssignmentRole(models.TextChoices):
    """Role of a unit named in a direction (chủ trì / phối hợp) or reached by forwarding."""

    LEAD = "lead", _("Lead unit")
    SUPPORT = "support", _("Supporting unit")
    FORWARDED = "forwarded", _("Forwarded to")


class ExchangeKind(models.TextChoices):
    """What an exchanged edXML file is: a document package or a status message."""

    PACKAGE = "package", _("Document package")
    STATUS = "status", _("Status message")


class ExchangeDirection(models.TextChoices):
    OUT = "out", _("Sent to another agency")
    IN = "in", _("Received from another agency")


class ExchangeState(models.TextChoices):
    """Where a message of the exchange log stands; ``held`` means no transport may carry it."""

    QUEUED = "queued", _("Queued")
    SENT = "sent", pgettext_lazy("exchange state", "Sent")
    FAILED = "failed", _("Failed")
    HELD = "held", _("Held (no transport)")
    RECEIVED = "received", _("Received")


class Delivery(models.TextChoices):
    INTERNAL = "internal", _("Internal (directly)")
    EDXML = "edxml", _("edXML package")


class AuditVerbs:
    """Audit verbs of the documents module."""

    VIEWED = "documents.document.viewed"
    INCOMING_RECEIVED = "documents.incoming.received"
    INCOMING_IMPORTED = "documents.incoming.imported"
    INCOMING_REGISTERED = "documents.incoming.registered"
    INCOMING_DIRECTED = "documents.incoming.directed"
    INCOMING_HANDLED = "documents.incoming.handled"
    INCOMING_FORWARDED = "documents.incoming.forwarded"
    INCOMING_REPORTED = "documents.incoming.reported"
    INCOMING_DONE = "documents.incoming.done"
    OUTGOING_DRAFTED = "documents.outgoing.drafted"
    OUTGOING_SUBMITTED = "documents.outgoing.submitted"
    OUTGOING_RETURNED = "documents.outgoing.returned"
    OUTGOING_APPROVED = "documents.outgoing.approved"
    OUTGOING_NUMBERED = "documents.outgoing.numbered"
    OUTGOING_ISSUED = "documents.outgoing.issued"
    OUTGOING_ARCHIVED = "documents.outgoing.archived"
    OUTGOING_RECALLED = "documents.outgoing.recalled"
    INCOMING_RECALLED = "documents.incoming.recalled"
    ATTACHMENT_ADDED = "documents.attachment.added"
    REGISTER_EXPORTED = "documents.register.exported"
    REGISTER_CREATED = "documents.register.created"
    INCOMING_REJECTED = "documents.incoming.rejected"
    INCOMING_REPLACED = "documents.incoming.replaced"
    INCOMING_FILES_DESTROYED = "documents.incoming.files_destroyed"
    OUTGOING_UPDATED_AFTER_ISSUE = "documents.outgoing.corrected"
    OUTGOING_REPLACED = "documents.outgoing.replaced"
    EXCHANGE_QUEUED = "documents.exchange.queued"
    EXCHANGE_SENT = "documents.exchange.sent"
    EXCHANGE_FAILED = "documents.exchange.failed"
    STATISTICS_EXPORTED = "documents.statistics.exported"


#: Descriptions sent in status messages (the wording of the SDK samples; an edXML field, not UI text).
STATUS_DESCRIPTIONS = {
    "01": "Đã đến",
    "02": "Từ chối tiếp nhận văn bản điện tử",
    "03": "Tiếp nhận văn bản điện tử, vào sổ văn bản đến",
    "04": "Phân công xử lý",
    "05": "Đang xử lý",
    "06": "Hoàn thành xử lý",
    "13": "Yêu cầu lấy lại văn bản điện tử",
    "15": "Đồng ý yêu cầu cập nhật, lấy lại",
    "16": "Từ chối yêu cầu cập nhật, lấy lại",
}

#: What the sender sees for a recipient's last status code.
STATUS_LABELS = {
    "01": _("Arrived"),
    "02": _("Refused by the recipient"),
    "03": _("Registered"),
    "04": _("Assigned for handling"),
    "05": _("Being handled"),
    "06": _("Handling finished"),
    "13": _("Recall requested"),
    "15": _("Change or recall accepted"),
    "16": _("Change or recall refused"),
}
