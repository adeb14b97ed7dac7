"""The organisation tree: province, departments and agencies, communes and wards."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import OrganizationKind
from cityops.core.models.base import TimeStampedModel

EDXML_CODE_PATTERN = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"


class OrganizationQuerySet(models.QuerySet):
    """Tree queries over the materialised path."""

    def active(self) -> OrganizationQuerySet:
        return self.filter(is_active=True)

    def subtree_of(self, *orgs: Organization) -> OrganizationQuerySet:
        """Every organisation at or below the given ones."""
        if not orgs:
            return self.none()
        condition = Q()
        for org in orgs:
            condition |= Q(path__startswith=org.path)
        return self.filter(condition)


class Organization(TimeStampedModel):
    """A unit of the province: the province itself, an agency, a commune or ward, or a unit within one.

    ``path`` is a materialised path of ids (``/1/7/42/``) so a subtree is one indexed prefix query on
    every database.
    """

    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    code = models.SlugField(_("code"), max_length=64, unique=True, help_text=_("Stable identifier."))
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    admin_unit_code = models.CharField(
        _("administrative unit code"),
        max_length=16,
        blank=True,
        db_index=True,
        help_text=_("Code of the administrative unit (province, commune or ward) in the national list."),
    )
    edxml_code = models.CharField(
        _("edXML organisation code"),
        max_length=32,
        blank=True,
        help_text=_("Organisation code used in document exchange, in the form 000.00.00.H00."),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["edxml_code"], condition=~Q(edxml_code=""), name="core_organization_unique_edxml_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> OrganizationQuerySet:
        """The chain from the root down to (and excluding) this unit."""
        ids = [int(part) for part in self.path.strip("/").split("/") if part]
        return Organization.objects.filter(id__in=ids[:-1]).order_by("depth")

    def is_within(self, other: Organization) -> bool:
        """True when this unit is ``other`` or below it."""
        return bool(self.path) and self.path.startswith(other.path)
