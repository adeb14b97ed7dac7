"""Choices of the data hub: dataset sharing, grants, the exchange log and rollups."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityops.core.choices import Visibility

__all__ = ["AuditVerbs", "ExchangeAction", "FieldType", "GrantStatus", "RollupPeriod", "UpdateFrequency", "Visibility"]


class GrantStatus(models.TextChoices):
    """Where an access request stands; an expired grant is refused like a missing one."""

    REQUESTED = "requested", _("Requested")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    EXPIRED = "expired", _("Expired")


class UpdateFrequency(models.TextChoices):
    REALTIME = "realtime", _("Real time")
    HOURLY = "hourly", _("Hourly")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    IRREGULAR = "irregular", _("Irregular")


class FieldType(models.TextChoices):
    """Types a dataset field may declare; CSV cells are checked against them."""

    STRING = "string", pgettext_lazy("data type", "Text")
    INTEGER = "integer", _("Whole number")
    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Yes / no")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")


class ExchangeAction(models.TextChoices):
    READ_RECORDS = "read_records", _("Read records")
    EXPORT_CSV = "export_csv", _("Exported CSV")
    EXPORT_VERSION = "export_version", _("Exported an earlier version")


class RollupPeriod(models.TextChoices):
    HOUR = "hour", _("Hour")
    DAY = "day", pgettext_lazy("rollup period", "Day")


class AuditVerbs:
    SECTOR_CREATED = "datahub.sector.created"
    DATASET_CREATED = "datahub.dataset.created"
    DATASET_UPDATED = "datahub.dataset.updated"
    DATASET_IMPORTED = "datahub.dataset.imported"
    DATASET_RESTORED = "datahub.dataset.restored"
    DATASET_PRUNED = "datahub.dataset.pruned"
    CONNECTOR_CREATED = "datahub.connector.created"
    CONNECTOR_UPDATED = "datahub.connector.updated"
    INDICATOR_VALUE_SET = "datahub.indicator.value_set"
    INDICATOR_VALUE_APPROVED = "datahub.indicator.value_approved"
    INDICATOR_VALUE_RETURNED = "datahub.indicator.value_returned"
    OBSERVATIONS_PRUNED = "datahub.observations.pruned"
    ACCESS_REQUESTED = "datahub.access.requested"
    ACCESS_GRANTED = "datahub.access.granted"
    ACCESS_REFUSED = "datahub.access.refused"
    ENTITIES_UPSERTED = "datahub.entities.upserted"
