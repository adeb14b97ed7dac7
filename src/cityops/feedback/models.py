"""Citizen feedback: categories (Open311 services), requests, their history, ratings and routing rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import Domain
from cityops.core.models.base import TenantScopedModel, TimeStampedModel
from cityops.feedback.choices import (
    CLOSED_STATUSES,
    AttributeType,
    Channel,
    FollowChannel,
    FollowSource,
    Kind,
    Status,
)

__all__ = [
    "MAX_DESCRIPTION",
    "Category",
    "Follower",
    "Merge",
    "Rating",
    "Request",
    "RequestUpdate",
    "ResponseTemplate",
    "RoutingRule",
    "jurisdiction_bbox",
]

MAX_DESCRIPTION = 4000
LIST_TYPES = {AttributeType.SINGLE, AttributeType.MULTI}


def jurisdiction_bbox() -> tuple[float, float, float, float]:
    """(south, west, north, east) of the area this deployment accepts reports for."""
    return tuple(settings.FEEDBACK_JURISDICTION_BBOX)  # type: ignore[return-value]


def validate_attribute_definitions(value: Any) -> None:
    """Open311 attribute definitions: a list of {code, datatype, description, required, variable, order, values}."""
    if not isinstance(value, list):
        raise ValidationError(_("Attributes must be a list."))
    codes: set[str] = set()
    orders: set[int] = set()
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str) or not item["code"]:
            raise ValidationError(_("Each attribute needs a code."))
        if item["code"] in codes:
            raise ValidationError(_("Attribute codes must be unique."))
        codes.add(item["code"])
        if item.get("datatype") not in AttributeType.values:
            raise ValidationError(_("Unknown attribute datatype."))
        order = item.get("order")
        if order is not None:
            if not isinstance(order, int) or order < 1 or order in orders:
                raise ValidationError(_("Attribute order values must be unique positive numbers."))
            orders.add(order)
        values = item.get("values") or []
        if item["datatype"] in LIST_TYPES:
            keys = [v.get("key") for v in values if isinstance(v, dict)]
            if not keys or len(set(keys)) != len(values) or not all(isinstance(k, str) and k for k in keys):
                raise ValidationError(_("A list attribute needs values with unique keys."))
        elif values:
            raise ValidationError(_("Only list attributes have values."))
        if item.get("variable", True) is False and item.get("required"):
            raise ValidationError(_("An informational attribute cannot be required."))


class Category(TimeStampedModel):
    """A kind of report a citizen can choose; its code is the Open311 ``service_code``."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PROBLEM)
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices, default=Domain.LIVING)
    group = models.CharField(_("group"), max_length=100, blank=True)
    keywords = models.CharField(_("keywords"), max_length=255, blank=True)
    default_agency = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("default agency"),
    )  # fmt: skip
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline (working days)"), null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    deadline_hours = models.PositiveSmallIntegerField(
        _("deadline (working hours)"), null=True, blank=True, validators=[MaxValueValidator(2000)]
    )
    attributes = models.JSONField(
        _("extra questions"), default=list, blank=True, validators=[validate_attribute_definitions]
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("feedback category")
        verbose_name_plural = _("feedback categories")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline_days__isnull=True) | models.Q(deadline_hours__isnull=True),
                name="feedback_category_one_deadline_unit",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the current language (Vietnamese when no English name is set)."""
        if (get_language() or "vi").startswith("en") and self.name_en:
            return self.name_en
        return self.name_vi


class RoutingRule(TimeStampedModel):
    """Reports of ``category`` located in ``area`` go to ``agency`` (the desk's suggestion)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="routing_rules")
    area = models.ForeignKey("core.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))
    agency = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )

    class Meta:
        ordering = ["category_id", "area_id", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "area"], name="feedback_routingrule_unique")]

    def __str__(self) -> str:
        return f"{self.category_id} × {self.area_id} → {self.agency_id}"


class Request(TenantScopedModel):
    """One citizen report; ``organization`` is whoever handles it now (the IOC desk until assigned)."""

    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="requests")
    description = models.TextField(_("description"), validators=[MaxLengthValidator(MAX_DESCRIPTION)])
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    lat = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )  # fmt: skip
    long = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )  # fmt: skip
    address = models.CharField(_("address"), max_length=255, blank=True)
    address_id = models.CharField(_("address id"), max_length=64, blank=True)
    area = models.ForeignKey(
        "core.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("commune or ward"),
    )  # fmt: skip
    is_anonymous = models.BooleanField(_("hide my identity from the handling agency"), default=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact_name = models.CharField(_("name"), max_length=120, blank=True)
    contact_email = models.EmailField(_("email"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=20, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    status_notes = models.CharField(_("status notes"), max_length=1000, blank=True)
    answer = models.TextField(_("answer"), blank=True, validators=[MaxLengthValidator(MAX_DESCRIPTION)])
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    joined_count = models.PositiveIntegerField(_("citizens reporting the same"), default=0)
    supporting_agencies = models.ManyToManyField(
        "core.Organization", blank=True, related_name="+", verbose_name=_("supporting agencies")
    )
    extension_until = models.DateTimeField(_("extension asked until"), null=True, blank=True)
    extension_reason = models.CharField(_("reason for the extension"), max_length=1000, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("citizen request")
        verbose_name_plural = _("citizen requests")
        indexes = [
            models.Index(fields=["status", "created_at"], name="feedback_request_status_idx"),
            # Open reports by deadline (overdue queue and counts): a walk in deadline order that stops at a
            # page, and counts read from the index alone (scope columns included; PostgreSQL only).
            models.Index(
                fields=["deadline", "id"],
                include=["organization", "reporter", "status"],
                condition=~models.Q(status__in=["duplicate", "merged", "published", "rejected"]),
                name="feedback_req_open_deadline",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(lat__isnull=True) & models.Q(long__isnull=True))
                | (models.Q(lat__isnull=False) & models.Q(long__isnull=False)),
                name="feedback_request_lat_long_together",
            )
        ]

    def __str__(self) -> str:
        return self.tracking_code

    def clean(self) -> None:
        """Coordinates inside the jurisdiction, and some location given for an on-site problem.

        Ideas and business feedback need no place (they may give one).
        """
        if (self.lat is None) != (self.long is None):
            raise ValidationError({"lat": _("Give latitude and longitude together.")})
        if self.lat is not None and self.long is not None:
            south, west, north, east = jurisdiction_bbox()
            if not (south <= float(self.lat) <= north and west <= float(self.long) <= east):
                raise ValidationError({"lat": _("This place is outside the area this service covers.")})
        needs_place = self.category_id is None or self.category.kind == Kind.PROBLEM
        if needs_place and self.lat is None and not self.address and not self.address_id:
            raise ValidationError({"lat": _("Place a pin on the map or give an address.")})

    def get_absolute_url(self) -> str:
        """The staff page (the link from a directives task made from this request)."""
        return reverse("feedback:staff_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def is_public_kind(self) -> bool:
        """Business feedback concerns one firm's affairs: never on the public list, map or Open311 reads."""
        return self.category.kind != Kind.BUSINESS

    @property
    def open311_status(self) -> str:
        return "open" if self.is_open else "closed"


class RequestUpdate(models.Model):
    """One entry of a request's history: a status change and/or a note, public or internal."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    is_public = models.BooleanField(_("public"), default=True)
    text = models.TextField(_("note"), blank=True, validators=[MaxLengthValidator(MAX_DESCRIPTION)])
    old_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    new_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    # The integrator's own id of an update posted through Open311 (``update_id``): posting it again is a no-op.
    external_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "external_id"],
                condition=~models.Q(external_id=""),
                name="feedback_update_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.old_status}→{self.new_status}"


class Rating(models.Model):
    """The citizen's satisfaction with the published answer, once per request."""

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="feedback_rating_score_range")
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.score}"


class ResponseTemplate(TimeStampedModel):
    """A ready answer staff start from (e.g. "Đã tiếp nhận và chuyển đơn vị xử lý…"); for one category or all."""

    name = models.CharField(_("name"), max_length=200)
    text = models.TextField(_("text"), validators=[MaxLengthValidator(MAX_DESCRIPTION)])
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="templates",
        verbose_name=_("category"), help_text=_("Empty: offered for every category."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "name", "id"]
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")

    def __str__(self) -> str:
        return self.name


class Follower(models.Model):
    """Someone who hears about a request's progress without being its reporter: a joiner or a merged reporter.

    Reporter data: shown to the desk only, never to agencies, Open311 or exports.
    """

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email = models.EmailField(_("email"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=FollowChannel.choices)
    source = models.CharField(_("source"), max_length=10, choices=FollowSource.choices)
    # The merged report this follower came from (so undoing the merge takes them back), if any.
    merged_from = models.ForeignKey(Request, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(channel=FollowChannel.ACCOUNT) & models.Q(user__isnull=False))
                | (models.Q(channel=FollowChannel.EMAIL) & ~models.Q(email="")),
                name="feedback_follower_reachable",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.channel}"


class Merge(models.Model):
    """The desk merged ``request`` into ``original``; what moved is kept so the merge can be undone exactly."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="merges")
    original = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="merged_in")
    previous_status = models.CharField(max_length=20, choices=Status.choices)
    previous_organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    attachment_ids = models.JSONField(default=list, blank=True)
    follower_ids = models.JSONField(default=list, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.original_id}"
