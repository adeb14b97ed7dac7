"""Choices of the feedback center: kinds of submission, the request workflow and audit verbs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "AttributeType",
    "AuditVerbs",
    "Channel",
    "FollowChannel",
    "FollowSource",
    "Kind",
    "PublicStatus",
    "Status",
]


class Kind(models.TextChoices):
    """What a citizen sends; each kind has its own categories and handling."""

    PROBLEM = "problem", _("On-site problem")
    RECOMMENDATION = "recommendation", _("Recommendation or idea")
    BUSINESS = "business", _("Business feedback")


class Status(models.TextChoices):
    """The internal workflow; Open311 sees only open/closed plus this as the detailed status."""

    SUBMITTED = "submitted", _("Submitted")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    ASSIGNED = "assigned", _("Assigned to an agency")
    ACCEPTED = "accepted", _("Accepted by the agency")
    RETURNED = "returned", _("Returned by the agency")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved, awaiting review")
    PUBLISHED = "published", _("Answer published")
    REOPENED = "reopened", _("Reopened")
    MERGED = "merged", _("Merged into another report")


CLOSED_STATUSES: frozenset[str] = frozenset({Status.REJECTED, Status.DUPLICATE, Status.PUBLISHED, Status.MERGED})
# Statuses the public list and map show (the desk has verified the text; rejected and merged ones are not listed).
PUBLIC_STATUSES: frozenset[str] = frozenset(
    {Status.VERIFIED, Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED, Status.IN_PROGRESS, Status.RESOLVED,
     Status.PUBLISHED, Status.REOPENED}
)  # fmt: skip
# Statuses a report can be merged from (it is still in the desk's hands); undoing a merge restores the old one.
MERGEABLE_STATUSES: frozenset[str] = frozenset({Status.SUBMITTED, Status.VERIFIED, Status.RETURNED})

# Every legal move of the workflow; anything else is refused by the services.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.VERIFIED, Status.REJECTED, Status.DUPLICATE, Status.MERGED}),
    Status.VERIFIED: frozenset({Status.ASSIGNED, Status.REJECTED, Status.DUPLICATE, Status.MERGED}),
    Status.ASSIGNED: frozenset({Status.ACCEPTED, Status.RETURNED}),
    Status.RETURNED: frozenset({Status.ASSIGNED, Status.REJECTED, Status.MERGED}),
    Status.ACCEPTED: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    Status.IN_PROGRESS: frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.PUBLISHED, Status.IN_PROGRESS}),
    Status.PUBLISHED: frozenset({Status.REOPENED}),
    Status.REOPENED: frozenset({Status.ASSIGNED}),
    Status.REJECTED: frozenset(),
    Status.DUPLICATE: frozenset(),
    # Undoing a merge is not a workflow move: ``request_merge_undo`` restores the status saved with the merge.
    Status.MERGED: frozenset(),
}


class PublicStatus(models.TextChoices):
    """The status filter of the public list: what a citizen wants to tell apart."""

    RECEIVED = "received", _("Received")
    HANDLING = "handling", _("Being handled")
    ANSWERED = "answered", _("Answered")


PUBLIC_STATUS_GROUPS: dict[str, frozenset[str]] = {
    PublicStatus.RECEIVED: frozenset({Status.VERIFIED}),
    PublicStatus.HANDLING: frozenset(
        {Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED, Status.IN_PROGRESS, Status.RESOLVED, Status.REOPENED}
    ),
    PublicStatus.ANSWERED: frozenset({Status.PUBLISHED}),
}


class FollowChannel(models.TextChoices):
    """How a follower hears about progress: their account's notifications, or a plain email."""

    ACCOUNT = "account", _("My account's notifications")
    EMAIL = "email", _("Email")


class FollowSource(models.TextChoices):
    JOINED = "joined", _("Reported the same (me too)")
    MERGED = "merged", _("Reporter of a merged report")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    OPEN311 = "open311", _("Open311 API")
    STAFF = "staff", _("Entered by staff")


class AttributeType(models.TextChoices):
    """The six Open311 attribute datatypes."""

    STRING = "string", _("Text (one line)")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Text (several lines)")
    SINGLE = "singlevaluelist", _("One choice")
    MULTI = "multivaluelist", _("Several choices")


class AuditVerbs:
    REQUEST_SUBMITTED = "feedback.request.submitted"
    REQUEST_TRANSITION = "feedback.request.status_changed"
    REQUEST_NOTE = "feedback.request.noted"
    REQUEST_CLASSIFIED = "feedback.request.classified"
    REQUEST_SUPPORT = "feedback.request.supporting_agencies_set"
    REQUEST_RATED = "feedback.request.rated"
    REQUEST_JOINED = "feedback.request.joined"
    CATEGORY_SAVED = "feedback.category.saved"
    ROUTING_SAVED = "feedback.routing_rule.saved"
    EXPORTED = "feedback.request.exported"
    TEMPLATE_SAVED = "feedback.template.saved"
    EXTENSION_ASKED = "feedback.request.extension_asked"
    EXTENSION_DECIDED = "feedback.request.extension_decided"
    REMINDED = "feedback.request.reminded"
    ESCALATED = "feedback.request.escalated"
    ESCALATED_TO_TASK = "feedback.request.escalated_to_task"
    MERGED = "feedback.request.merged"
    MERGE_UNDONE = "feedback.request.merge_undone"
    UNFOLLOWED = "feedback.request.unfollowed"
    UPDATE_RECEIVED = "feedback.request.update_received"
    KEPT_EXPIRED = "feedback.kept_files.expired"
    FILES_ATTACHED = "feedback.request.kept_files_attached"
