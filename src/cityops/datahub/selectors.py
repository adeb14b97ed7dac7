"""Every read of the data hub, starting from ``for_user`` so nobody sees more than the policy allows."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from cityops.core.models import Organization
from cityops.core.permissions import get_for_user, org_ids_for_roles, policy_for
from cityops.core.text import fold, nfc
from cityops.datahub.models import (
    AccessGrant,
    Connector,
    Dataset,
    DatasetRecord,
    DatasetVersion,
    Entity,
    ExchangeLogEntry,
    IndicatorValue,
    Sector,
)

__all__ = [
    "dataset_can_read",
    "dataset_facets",
    "dataset_get",
    "dataset_grants",
    "dataset_list",
    "dataset_public_list",
    "dataset_records",
    "dataset_version_get",
    "dataset_version_records",
    "dataset_versions",
    "grant_get",
    "publishing_organizations",
    "requesting_organizations",
    "sector_list",
]

FILTERS = ("domain", "sector", "owner", "visibility")


def dataset_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[Dataset]:
    """The catalog the actor may see, narrowed by a diacritic-insensitive query and facet values."""
    filters = filters or {}
    queryset = Dataset.objects.for_user(actor, "view").select_related("sector", "organization")
    q = fold(nfc(str(filters.get("q") or ""))).strip()
    if q:
        queryset = queryset.filter(Q(title_folded__contains=q) | Q(tags__icontains=q) | Q(description__icontains=q))
    if filters.get("domain"):
        queryset = queryset.filter(domain=filters["domain"])
    if filters.get("sector"):
        queryset = queryset.filter(sector__code=filters["sector"])
    if filters.get("owner"):
        queryset = queryset.filter(organization_id=filters["owner"])
    if filters.get("visibility"):
        queryset = queryset.filter(visibility=filters["visibility"])
    return queryset.order_by("title", "id")


def dataset_facets(queryset: QuerySet[Dataset]) -> dict[str, list[Any]]:
    """Counts per facet value of an already scoped list."""
    base = queryset.order_by()
    return {
        "domain": list(base.values("domain").annotate(n=Count("id")).order_by("domain")),
        "sector": list(base.values("sector__code", "sector__name").annotate(n=Count("id")).order_by("sector__name")),
        "owner": list(
            base.values("organization_id", "organization__name").annotate(n=Count("id")).order_by("organization__name")
        ),
        "visibility": list(base.values("visibility").annotate(n=Count("id")).order_by("visibility")),
    }


def dataset_get(*, actor: Any, id: int, action: str = "view") -> Dataset:
    return get_for_user(Dataset.objects.select_related("sector", "organization"), actor, action, pk=id)


def dataset_can_read(*, actor: Any, dataset: Dataset) -> bool:
    """Owner, public, or an active grant: the data itself, not just the catalog entry."""
    return policy_for(Dataset).can(actor, "read", dataset)


def dataset_records(*, actor: Any, dataset: Dataset) -> QuerySet[DatasetRecord]:
    """Rows of a dataset the actor may read (an empty set otherwise, never an error that leaks)."""
    if not dataset_can_read(actor=actor, dataset=dataset):
        return DatasetRecord.objects.none()
    if dataset.current_version_id is None:
        return DatasetRecord.objects.none()
    return DatasetRecord.objects.filter(version_id=dataset.current_version_id).order_by("row_number", "id")


def dataset_versions(*, actor: Any, dataset: Dataset) -> QuerySet[DatasetVersion]:
    """Versions of a dataset, newest first; only for those who may read its rows."""
    if not dataset_can_read(actor=actor, dataset=dataset):
        return DatasetVersion.objects.none()
    return DatasetVersion.objects.filter(dataset=dataset).select_related("created_by").order_by("-number")


def dataset_version_get(*, actor: Any, dataset: Dataset, number: int) -> DatasetVersion:
    """One version by number; 404 when the rows are not readable, like a missing version."""
    version = dataset_versions(actor=actor, dataset=dataset).filter(number=number).first()
    if version is None:
        raise Http404
    return version


def dataset_version_records(*, actor: Any, version: DatasetVersion) -> QuerySet[DatasetRecord]:
    if not dataset_can_read(actor=actor, dataset=version.dataset):
        return DatasetRecord.objects.none()
    return DatasetRecord.objects.filter(version=version).order_by("row_number", "id")


def dataset_grants(*, actor: Any, dataset: Dataset) -> QuerySet[AccessGrant]:
    """Requests on a dataset: the owner sees all; a requesting agency sees its own."""
    scoped = AccessGrant.objects.filter(dataset=dataset).select_related("requesting_organization", "requested_by")
    owner_side = scoped.for_user(actor, "view")
    mine = org_ids_for_roles(actor, {"agency_head", "specialist", "administrator", "clerk", "leader"})
    if mine is None:
        return scoped
    return (owner_side | scoped.filter(requesting_organization__in=mine)).distinct().order_by("-created_at", "-id")


def grant_get(*, actor: Any, id: int, action: str = "decide") -> AccessGrant:
    return get_for_user(AccessGrant.objects.select_related("dataset", "requesting_organization"), actor, action, pk=id)


def sector_list() -> QuerySet[Sector]:
    return Sector.objects.order_by("name", "id")


def requesting_organizations(*, actor: Any) -> QuerySet[Organization]:
    """Organisations the actor may request access for."""
    ids = org_ids_for_roles(actor, policy_for(AccessGrant).roles_for("request"))
    queryset = Organization.objects.filter(is_active=True)
    return queryset if ids is None else queryset.filter(pk__in=ids)


def publishing_organizations(*, actor: Any) -> QuerySet[Organization]:
    """Organisations the actor may publish datasets for."""
    ids = org_ids_for_roles(actor, policy_for(Dataset).roles_for("change"))
    queryset = Organization.objects.filter(is_active=True).order_by("name", "id")
    return queryset if ids is None else queryset.filter(pk__in=ids)


def dataset_public_list() -> QuerySet[Dataset]:
    """Public datasets for the open catalog (DCAT-AP); anyone may read their metadata."""
    return Dataset.objects.filter(visibility="public").select_related("sector", "organization").order_by("title", "id")


def connector_list(*, actor: Any) -> QuerySet[Connector]:
    """Connectors of the actor's agencies: scheduled pulls and the pushes that reached them."""
    return (
        Connector.objects.for_user(actor, "view")
        .select_related("organization", "dataset")
        .order_by("kind", "name", "id")
    )


def connector_get(*, actor: Any, id: int, action: str = "view") -> Connector:
    return get_for_user(Connector.objects.select_related("organization", "dataset"), actor, action, pk=id)


def connector_runs(*, connector: Connector, limit: int = 50) -> list[Any]:
    return list(connector.runs.select_related("version").order_by("-started_at", "-id")[:limit])


def connector_organizations(*, actor: Any) -> QuerySet[Organization]:
    ids = org_ids_for_roles(actor, policy_for(Connector).roles_for("change"))
    queryset = Organization.objects.filter(is_active=True).order_by("name", "id")
    return queryset if ids is None else queryset.filter(pk__in=ids)


def exchange_log_list(*, actor: Any, dataset: int | None = None) -> QuerySet[ExchangeLogEntry]:
    """Reads of the actor's agencies' datasets and reads made by those agencies, newest first."""
    from cityops.datahub.permissions import exchange_log_visible

    queryset = exchange_log_visible(actor)
    if dataset:
        queryset = queryset.filter(dataset_id=dataset)
    return queryset.order_by("-id")


def entity_list(*, actor: Any, type: str = "") -> QuerySet[Entity]:
    queryset = Entity.objects.for_user(actor, "view").select_related("organization")
    if type:
        queryset = queryset.filter(type=type)
    return queryset.order_by("entity_id")


def entity_get(*, actor: Any, id: int) -> Entity:
    return get_for_user(Entity.objects.select_related("organization"), actor, "view", pk=id)


def indicator_values_pending(*, actor: Any) -> QuerySet[IndicatorValue]:
    """Manual values awaiting the actor's approval."""
    return (
        policy_for(IndicatorValue)
        .scope(IndicatorValue.objects.all(), actor, "approve")
        .filter(status=IndicatorValue.Status.ENTERED)
        .select_related("indicator", "area", "entered_by")
        .order_by("period_start", "id")
    )


def indicator_areas(*, actor: Any) -> QuerySet[Organization]:
    """Units the actor may enter indicator values for."""
    ids = org_ids_for_roles(actor, policy_for(IndicatorValue).roles_for("enter"))
    queryset = Organization.objects.filter(is_active=True).order_by("name", "id")
    return queryset if ids is None else queryset.filter(pk__in=ids)
