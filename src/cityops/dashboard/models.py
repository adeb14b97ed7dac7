"""What the dashboard stores: each person's board and theme, the default board per role, the province's
indicator targets (and which are headlines), outlines of administrative units, the latest value of each sensor."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityops.core.choices import Role
from cityops.core.models.base import TimeStampedModel


class Theme(models.TextChoices):
    DARK = "dark", _("Dark (control room)")
    LIGHT = "light", _("Light (laptop)")


class Board(TimeStampedModel):
    """One person's own board: the widgets they chose, in order, and the theme they read it in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboard_board")
    widgets = models.JSONField(_("widgets"), default=list, blank=True)
    customised = models.BooleanField(default=False, help_text=_("False while the person follows their role's board."))
    theme = models.CharField(_("theme"), max_length=10, choices=Theme.choices, default=Theme.DARK)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("board")
        verbose_name_plural = _("boards")

    def __str__(self) -> str:
        return f"{self.user}"


class RoleBoard(TimeStampedModel):
    """The board an administrator set for everyone holding a role, until they arrange their own."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, unique=True)
    widgets = models.JSONField(_("widgets"), default=list, blank=True)

    class Meta:
        ordering = ["role"]
        verbose_name = _("default board of a role")
        verbose_name_plural = _("default boards of roles")

    def __str__(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


class IndicatorTarget(TimeStampedModel):
    """The province's target for an indicator (from its plan or resolution), and whether it is a headline.

    Domain scores on the overview are target attainment, so only indicators with a target count towards them;
    headline ones are also shown at the top of the overview, in ``sort_order``.
    """

    indicator = models.OneToOneField(
        "datahub.IndicatorDefinition", on_delete=models.CASCADE, related_name="+", verbose_name=_("indicator")
    )
    target = models.FloatField(pgettext_lazy("indicator", "target"))
    headline = models.BooleanField(_("headline on the overview"), default=False)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.target}"


class AreaBoundary(TimeStampedModel):
    """The outline of an administrative unit (commune, ward, former district) as GeoJSON, for the map.

    ``geometry`` is a GeoJSON Polygon or MultiPolygon in WGS84 (longitude, latitude); the bounding box and
    a label point are kept beside it so map queries filter on indexed numbers, never on the JSON.
    """

    class Source(models.TextChoices):
        IMPORTED = "imported", _("Imported file")
        GENERATED = "generated", _("Generated outline (demo)")

    organization = models.OneToOneField(
        "core.Organization", on_delete=models.CASCADE, related_name="dashboard_boundary", verbose_name=_("unit")
    )
    geometry = models.JSONField(_("geometry"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.IMPORTED)
    west = models.FloatField()
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()
    label_lat = models.FloatField()
    label_long = models.FloatField()

    class Meta:
        ordering = ["organization_id"]
        verbose_name = _("area outline")
        verbose_name_plural = _("area outlines")
        indexes = [models.Index(fields=["west", "east", "south", "north"], name="dashboard_boundary_bbox")]

    def __str__(self) -> str:
        return f"{self.organization}"


class SensorLatest(models.Model):
    """The latest value of each sensor attribute, so the map never reads the observation table.

    Filled by ``services.sensor_latest_refresh`` from the observations that arrived since its last run (an
    indexed range on ``observed_at``), so its cost follows the ingest rate, not the size of the history.
    """

    entity = models.ForeignKey("datahub.Entity", on_delete=models.CASCADE, related_name="+")
    attribute = models.CharField(max_length=100)
    observed_at = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        ordering = ["entity_id", "attribute"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "attribute"], name="dashboard_sensorlatest_unique_series")
        ]

    def __str__(self) -> str:
        return f"{self.entity_id}/{self.attribute}={self.value}"


class RefreshState(models.Model):
    """How far a refresh job has read (``sensor_latest``): the newest observation time it has seen."""

    key = models.CharField(max_length=40, unique=True)
    until = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
