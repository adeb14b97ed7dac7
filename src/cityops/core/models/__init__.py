"""Core models, one module per concern."""

from cityops.core.models.apikeys import ApiKey
from cityops.core.models.attachments import Attachment
from cityops.core.models.audit import AuditEvent
from cityops.core.models.base import TenantQuerySet, TenantScopedModel, TimeStampedModel
from cityops.core.models.calendar import CalendarDay
from cityops.core.models.live import LiveEvent
from cityops.core.models.notifications import Announcement, Notification, NotificationPreference
from cityops.core.models.organizations import Organization, OrganizationQuerySet
from cityops.core.models.search import SearchEntry
from cityops.core.models.users import Membership, RolePolicy, User

__all__ = [
    "Announcement",
    "ApiKey",
    "Attachment",
    "AuditEvent",
    "CalendarDay",
    "LiveEvent",
    "Membership",
    "Notification",
    "NotificationPreference",
    "Organization",
    "OrganizationQuerySet",
    "RolePolicy",
    "SearchEntry",
    "TenantQuerySet",
    "TenantScopedModel",
    "TimeStampedModel",
    "User",
]
