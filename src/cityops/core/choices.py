"""Choices shared by every module: roles, organisation kinds and the six smart-city domains."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditVerbs", "Domain", "OrganizationKind", "Role", "ScanStatus", "Visibility"]


class Role(models.TextChoices):
    """What a person does in an organisation; permissions are granted to roles, never to people."""

    LEADER = "leader", _("Leader")
    IOC_OPERATOR = "ioc_operator", _("IOC operator")
    CLERK = "clerk", _("Clerk")
    SPECIALIST = "specialist", _("Specialist")
    AGENCY_HEAD = "agency_head", _("Agency head")
    INSPECTOR = "inspector", _("Inspector")
    CITIZEN = "citizen", _("Citizen")
    INTEGRATOR = "integrator", _("Integrator (API client)")
    ADMINISTRATOR = "administrator", _("Administrator")


class OrganizationKind(models.TextChoices):
    """Where a unit sits in the province's tree."""

    PROVINCE = "province", _("Province / city")
    DISTRICT = "district", _("District (former intermediate level)")
    COMMUNE = "commune", _("Commune")
    WARD = "ward", _("Ward")
    SPECIAL_ZONE = "special_zone", _("Special zone")
    DEPARTMENT = "department", _("Department / agency")
    UNIT = "unit", _("Unit within an agency")
    OTHER = "other", _("Other organisation")


class Domain(models.TextChoices):
    """The six smart-city domains (Giffinger) every data-carrying record is tagged with."""

    ECONOMY = "economy", _("Smart economy")
    PEOPLE = "people", _("Smart people")
    GOVERNANCE = "governance", _("Smart governance")
    MOBILITY = "mobility", _("Smart mobility")
    ENVIRONMENT = "environment", _("Smart environment")
    LIVING = "living", _("Smart living")


class Visibility(models.TextChoices):
    """Who may see a record beyond its owning organisation."""

    PUBLIC = "public", _("Public")
    SHARED = "shared", _("Shared with granted agencies")
    PRIVATE = "private", _("Private to the owner")


class ScanStatus(models.TextChoices):
    """Result of the virus-scan hook for an uploaded file."""

    NOT_SCANNED = "not_scanned", _("Not scanned")
    CLEAN = "clean", _("Clean")
    INFECTED = "infected", _("Infected")
    ERROR = "error", _("Scan failed")


class AuditVerbs:
    """Verbs the core records; each app keeps its own list in the same dotted form."""

    ORGANIZATION_CREATED = "core.organization.created"
    ORGANIZATION_UPDATED = "core.organization.updated"
    USER_CREATED = "core.user.created"
    USER_UPDATED = "core.user.updated"
    MEMBERSHIP_GRANTED = "core.membership.granted"
    MEMBERSHIP_REVOKED = "core.membership.revoked"
    LOGIN_SUCCEEDED = "core.auth.login"
    LOGIN_FAILED = "core.auth.login_failed"
    LOGOUT = "core.auth.logout"
    PASSWORD_CHANGED = "core.auth.password_changed"  # noqa: S105
    TWO_FACTOR_ENROLLED = "core.auth.two_factor_enrolled"
    TWO_FACTOR_REMOVED = "core.auth.two_factor_removed"
    APIKEY_CREATED = "core.apikey.created"
    APIKEY_REVOKED = "core.apikey.revoked"
    ATTACHMENT_UPLOADED = "core.attachment.uploaded"
    ATTACHMENT_REJECTED = "core.attachment.rejected"
    ATTACHMENT_DOWNLOADED = "core.attachment.downloaded"
    CALENDAR_DAY_SET = "core.calendar.day_set"
    CALENDAR_DAY_REMOVED = "core.calendar.day_removed"
    ROLE_POLICY_UPDATED = "core.role_policy.updated"
    NOTIFICATION_PREFERENCE_UPDATED = "core.notification.preference_updated"
