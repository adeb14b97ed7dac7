"""The data hub: catalog (sectors, datasets, records), sharing (grants, exchange log) and time series."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityops.core.choices import Domain
from cityops.core.models import TenantScopedModel, TimeStampedModel
from cityops.datahub.choices import ExchangeAction, GrantStatus, RollupPeriod, UpdateFrequency, Visibility

__all__ = [
    "AccessGrant",
    "Connector",
    "ConnectorRun",
    "Dataset",
    "DatasetRecord",
    "DatasetVersion",
    "Entity",
    "EntityTypeRetention",
    "ExchangeLogEntry",
    "FillState",
    "IndicatorDefinition",
    "IndicatorValue",
    "Observation",
    "Rollup",
    "Sector",
]


class Sector(TimeStampedModel):
    """A sector of the province's administration (transport, health, ...) that datasets belong to."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.name


class Dataset(TenantScopedModel):
    """A dataset published by its owning agency (``organization``).

    ``schema`` is a list of fields ``{"name", "label", "type", "unit", "required"}``; ``label`` is the
    (usually Vietnamese) column header a spreadsheet uses for the field.
    """

    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="datasets", verbose_name=_("sector"))
    title = models.CharField(_("title"), max_length=300)
    title_folded = models.CharField(max_length=300, editable=False, db_index=True, default="")
    description = models.TextField(_("description"), blank=True)
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices)
    schema = models.JSONField(_("fields"), default=list, blank=True)
    licence = models.CharField(_("licence"), max_length=100, default="CC-BY-4.0")
    update_frequency = models.CharField(
        _("update frequency"), max_length=20, choices=UpdateFrequency.choices, default=UpdateFrequency.IRREGULAR
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    current_version = models.ForeignKey(
        "DatasetVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    keep_versions = models.PositiveSmallIntegerField(
        _("versions kept"), default=0, help_text=_("Older versions beyond this number are pruned; 0 keeps all.")
    )

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        indexes = [models.Index(fields=["visibility", "domain"], name="datahub_dataset_vis_domain")]

    def __str__(self) -> str:
        return self.title

    def field_names(self) -> list[str]:
        return [str(f.get("name")) for f in self.schema if isinstance(f, dict)]


class DatasetVersion(models.Model):
    """One upload (or pull, or roll-back) of a file dataset; earlier versions stay readable and downloadable.

    ``added`` and ``removed`` count rows present in this version and not in the previous one (and the
    reverse), rows compared by their whole content.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    rows = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    restored_from = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["dataset_id", "-number"]
        verbose_name = _("dataset version")
        verbose_name_plural = _("dataset versions")
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="datahub_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.dataset_id} v{self.number}"


class DatasetRecord(models.Model):
    """One row of a file dataset version, its values keyed by the dataset's field names."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="records")
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="records", null=True)
    row_number = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset_id", "row_number", "id"]
        indexes = [
            models.Index(fields=["dataset", "row_number"], name="datahub_record_dataset_row"),
            models.Index(fields=["version", "row_number"], name="datahub_record_version_row"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}#{self.row_number}"


class AccessGrant(TenantScopedModel):
    """A request by one agency (``requesting_organization``) to read another's dataset, and its answer.

    ``organization`` is the dataset's owner, so the owner's staff reach grants through the usual scoping.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="grants")
    requesting_organization = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("requesting agency")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    purpose = models.TextField(_("purpose"))
    status = models.CharField(_("status"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.REQUESTED)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        indexes = [
            models.Index(fields=["requesting_organization", "status"], name="datahub_grant_req_status"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} → {self.requesting_organization_id} ({self.status})"


class ExchangeLogEntry(models.Model):
    """One read through the exchange; each entry's hash covers the previous hash, so edits show.

    Append-only: ``save`` refuses updates and ``delete`` refuses. Written only by
    ``services.exchange_log_append``.
    """

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(max_length=255, blank=True)
    organization = models.ForeignKey(
        "core.Organization", on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, null=True)
    action = models.CharField(max_length=20, choices=ExchangeAction.choices)
    rows = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)
    # Unique, so two writers racing for the same predecessor cannot fork the chain.
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("exchange log entry")
        verbose_name_plural = _("exchange log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.dataset_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Exchange log entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Exchange log entries cannot be deleted.")


class Entity(TenantScopedModel):
    """A sensor or device as an NGSI-LD entity; ``attributes`` holds its latest non-series properties."""

    entity_id = models.CharField(_("NGSI-LD id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["entity_id"]
        verbose_name = _("entity")
        verbose_name_plural = _("entities")
        indexes = [models.Index(fields=["latitude", "longitude"], name="datahub_entity_latlng")]

    def __str__(self) -> str:
        return self.entity_id


class Observation(models.Model):
    """One numeric value of one attribute of one entity at one instant; re-sent values overwrite."""

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique (entity, attribute, observed_at) index leads with the entity and serves
    # every lookup by entity, and each extra index is paid on every ingested value.
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="observations", db_index=False)
    attribute = models.CharField(max_length=100)
    observed_at = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        ordering = ["entity_id", "attribute", "observed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "attribute", "observed_at"], name="datahub_observation_unique_instant"
            )
        ]
        # The unique index serves per-entity time ranges; this one serves rollups over all entities.
        indexes = [models.Index(fields=["observed_at"], name="datahub_observation_time")]

    def __str__(self) -> str:
        return f"{self.entity_id}/{self.attribute}@{self.observed_at:%Y-%m-%dT%H:%M:%S}"


class Rollup(models.Model):
    """Count/min/max/mean of one attribute of one entity over one hour or day."""

    id = models.BigAutoField(primary_key=True)
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="rollups")
    attribute = models.CharField(max_length=100)
    period = models.CharField(max_length=4, choices=RollupPeriod.choices)
    start = models.DateTimeField()
    count = models.PositiveIntegerField()
    min = models.FloatField()
    max = models.FloatField()
    avg = models.FloatField()

    class Meta:
        ordering = ["entity_id", "attribute", "period", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "attribute", "period", "start"], name="datahub_rollup_unique_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity_id}/{self.attribute}/{self.period}@{self.start:%Y-%m-%dT%H}"


class FillState(models.Model):
    """How far a rollup kind has been filled, so an interrupted job resumes where it stopped."""

    kind = models.CharField(max_length=20, unique=True)
    filled_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.filled_until}"


class IndicatorDefinition(TimeStampedModel):
    """A smart-city indicator (component 2): what is measured, in which unit, which way is better.

    ``formula`` says how values are computed when ``source`` is ``formula``, e.g.
    ``{"kind": "observation_mean", "entity_type": "AirQualityObserved", "attribute": "PM25"}``.
    """

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class Source(models.TextChoices):
        FORMULA = "formula", _("Formula over observations")
        DATASET = "dataset", _("Dataset field")
        MODULE = "module", _("Statistics of another module")
        MANUAL = "manual", _("Manual entry by the owning agency")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = models.CharField(_("Vietnamese name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300)
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices)
    factor = models.CharField(_("factor"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=50)
    direction = models.CharField(
        pgettext_lazy("indicator", "direction"), max_length=6, choices=Direction.choices, default=Direction.HIGHER
    )
    target = models.FloatField(pgettext_lazy("indicator", "target"), null=True, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=20, choices=UpdateFrequency.choices, default=UpdateFrequency.YEARLY
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    formula = models.JSONField(_("formula"), default=dict, blank=True)
    reference = models.CharField(_("reference"), max_length=300, blank=True)

    class Meta:
        ordering = ["domain", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.code} {self.name_en}"


class IndicatorValue(TimeStampedModel):
    """The value of an indicator for one administrative unit and one period.

    Computed values are approved as they are written; a manual entry starts ``entered`` and counts in
    scores only once the unit's agency head approves it (or is ``returned`` with a note to correct).
    """

    class Status(models.TextChoices):
        ENTERED = "entered", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned for correction")

    indicator = models.ForeignKey(IndicatorDefinition, on_delete=models.CASCADE, related_name="values")
    area = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    value = models.FloatField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPROVED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["indicator_id", "area_id", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "area", "period_start"], name="datahub_indicatorvalue_unique_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.area_id}/{self.period_start}: {self.value}"


class EntityTypeRetention(TimeStampedModel):
    """How long raw observations of one entity type are kept; rollups are kept whatever this says."""

    entity_type = models.CharField(_("entity type"), max_length=100, unique=True)
    keep_days = models.PositiveIntegerField(_("days kept"))

    class Meta:
        ordering = ["entity_type"]
        verbose_name = _("retention setting")
        verbose_name_plural = _("retention settings")

    def __str__(self) -> str:
        return f"{self.entity_type}: {self.keep_days} d"


class Connector(TenantScopedModel):
    """A way data reaches the hub, with its latest status.

    ``http`` connectors are scheduled pulls this hub makes (``url``, ``format``, ``interval_minutes``, an
    optional auth header kept encrypted in ``auth_secret``); ``mqtt`` and ``ngsild`` rows describe pushes
    into the hub and are created and updated by those ingest paths so their status shows alongside.
    """

    class Kind(models.TextChoices):
        HTTP = "http", _("Scheduled HTTP pull")
        MQTT = "mqtt", _("MQTT topics")
        NGSILD = "ngsild", _("NGSI-LD push")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"
        NGSILD = "ngsild", "NGSI-LD"

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HTTP)
    name = models.CharField(_("name"), max_length=200)
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, null=True, blank=True, related_name="connectors", verbose_name=_("dataset")
    )
    url = models.URLField(_("address"), max_length=1000, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.CSV)
    interval_minutes = models.PositiveIntegerField(_("every (minutes)"), default=60)
    auth_header = models.CharField(_("auth header name"), max_length=100, blank=True)
    auth_secret = models.TextField(blank=True, editable=False)
    auth_hint = models.CharField(max_length=8, blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_rows_in = models.PositiveIntegerField(default=0)
    last_rows_stored = models.PositiveIntegerField(default=0)
    last_rows_rejected = models.PositiveIntegerField(default=0)
    last_observed_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "name"], name="datahub_connector_unique_name")
        ]
        indexes = [models.Index(fields=["kind", "enabled", "next_run_at"], name="datahub_connector_due")]

    def __str__(self) -> str:
        return self.name


class ConnectorRun(models.Model):
    """One run of a scheduled pull: when, how much came in, what was refused and why."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    bytes_read = models.PositiveIntegerField(default=0)
    rows_in = models.PositiveIntegerField(default=0)
    rows_stored = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rejections = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    version = models.ForeignKey(DatasetVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.connector_id}@{self.started_at:%Y-%m-%dT%H:%M}"
