"""The monitoring API router, mounted under /api/v1/operations by ``cityops.api``.

Alerts (list, one, acknowledge), incidents (list, one, open, update) and rules (list, one, create, update,
delete). Reads go through the same selectors as the pages, writes through the same services, so an agency sees
and changes through the API exactly what its pages allow.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from cityops.core.api.base import ApiError, PageNumberPagination, error_responses
from cityops.core.models import Organization
from cityops.core.permissions import NotFoundOrForbidden
from cityops.operations import selectors, services
from cityops.operations.choices import AlertStatus, IncidentStatus, Operator, RuleKind, RuleSource, Severity
from cityops.operations.models import Alert, Incident, IncidentType, MonitoringRule

router = Router(tags=["operations"])


class AlertOut(Schema):
    id: int
    rule_id: int
    title: str
    severity: str
    status: str
    value: float | None
    peak_value: float | None
    occurrences: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    resolved_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    latitude: float | None
    longitude: float | None
    organization_id: int
    area_id: int | None
    incident_id: int | None


class AlertFilters(Schema):
    severity: Severity | None = None
    status: str = Field("", max_length=20, description="open, firing, acknowledged or resolved (empty: all)")
    rule: int | None = Field(None, ge=1, le=2**53)
    area: int | None = Field(None, description="Organisation id: alerts of that unit and below.")


class StepOut(Schema):
    id: int
    position: int
    title: str
    is_required: bool
    done_at: dt.datetime | None
    done_by: str | None
    note: str

    @staticmethod
    def resolve_done_by(obj: Any) -> str | None:
        return str(obj.done_by) if obj.done_by_id else None


class IncidentOut(Schema):
    id: int
    title: str
    incident_type: str
    severity: str
    status: str
    description: str
    organization_id: int
    assigned_agency_id: int | None
    latitude: float | None
    longitude: float | None
    summary: str
    task_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    alert_ids: list[int]
    steps: list[StepOut]

    @staticmethod
    def resolve_incident_type(obj: Incident) -> str:
        return obj.incident_type.code

    @staticmethod
    def resolve_alert_ids(obj: Incident) -> list[int]:
        return list(obj.alerts.values_list("pk", flat=True))

    @staticmethod
    def resolve_steps(obj: Incident) -> list[Any]:
        return list(obj.steps.select_related("done_by").order_by("position", "id"))


class IncidentFilters(Schema):
    status: str = Field("", max_length=20, description="open (not closed), open, assigned or closed")
    severity: Severity | None = None
    agency: int | None = Field(None, ge=1, le=2**53)
    q: str = Field("", max_length=200)


class IncidentIn(Schema):
    organization_id: int
    incident_type: str = Field(..., max_length=50, description="Code of the incident type.")
    title: str = Field("", max_length=255)
    severity: Severity | None = None
    description: str = Field("", max_length=5000)
    alert_ids: list[int] = Field(default_factory=list, max_length=100)
    assigned_agency_id: int | None = Field(None, ge=1, le=2**53)
    latitude: float | None = None
    longitude: float | None = None


class IncidentPatch(Schema):
    title: str | None = Field(None, max_length=255)
    severity: Severity | None = None
    description: str | None = Field(None, max_length=5000)
    assigned_agency_id: int | None = Field(None, ge=1, le=2**53)


class RuleOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    source: str
    severity: str
    is_enabled: bool
    organization_id: int
    area_id: int | None
    entity_type: str
    entity_id: str | None
    attribute: str
    indicator: str | None
    category: str | None
    operator: str
    bound: float | None
    clear_bound: float | None
    window_minutes: int | None
    radius_m: int | None
    for_minutes: int

    @staticmethod
    def resolve_entity_id(obj: MonitoringRule) -> str | None:
        return obj.entity.entity_id if obj.entity_id and obj.entity else None

    @staticmethod
    def resolve_indicator(obj: MonitoringRule) -> str | None:
        return obj.indicator.code if obj.indicator_id and obj.indicator else None

    @staticmethod
    def resolve_category(obj: MonitoringRule) -> str | None:
        return obj.category.code if obj.category_id and obj.category else None


class RuleIn(Schema):
    """Values are typed; ``bound`` and the others accept numbers only (no expressions)."""

    organization_id: int | None = Field(None, description="Owner (required on create).")
    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    kind: RuleKind | None = None
    source: RuleSource | None = None
    severity: Severity | None = None
    is_enabled: bool | None = None
    area_id: int | None = Field(None, ge=1, le=2**53)
    entity_type: str | None = Field(None, max_length=100)
    entity_id: str | None = Field(None, max_length=255, description="NGSI-LD id of one sensor.")
    attribute: str | None = Field(None, max_length=100)
    indicator: str | None = Field(None, max_length=40, description="Indicator code.")
    category: str | None = Field(None, max_length=64, description="Report category code.")
    operator: Operator | None = None
    bound: float | None = None
    clear_bound: float | None = None
    window_minutes: int | None = None
    radius_m: int | None = None
    for_minutes: int | None = None


def _rule_data(payload: RuleIn) -> dict[str, Any]:
    """The payload's fields (only those sent) in the services' terms; lookups by code go through the service."""
    from cityops.datahub.models import Entity, IndicatorDefinition
    from cityops.feedback.models import Category

    raw = payload.dict(exclude_unset=True)
    raw.pop("organization_id", None)
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if hasattr(value, "value"):
            value = value.value
        if key == "area_id":
            data["area"] = value
        elif key == "entity_id":
            data["entity"] = Entity.objects.filter(entity_id=value).first() or (value and -1)
        elif key == "indicator":
            data["indicator"] = IndicatorDefinition.objects.filter(code=value).first() or (value and -1)
        elif key == "category":
            data["category"] = Category.objects.filter(code=value).first() or (value and -1)
        else:
            data[key] = value
    return data


def _organization(pk: int | None, field: str) -> Organization:
    org = Organization.objects.filter(pk=pk, is_active=True).first() if pk else None
    if org is None:
        raise ApiError(400, "validation_error", f"{field}: no such organisation.", [(field, "No such organisation.")])
    return org


# --- alerts ---------------------------------------------------------------------------------------------------


@router.get("/alerts", response=list[AlertOut], summary="Alerts the caller may see")
@paginate(PageNumberPagination)
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> Any:
    data = filters.dict()
    if data.get("severity") is not None:
        data["severity"] = data["severity"].value if hasattr(data["severity"], "value") else data["severity"]
    if data["status"] and data["status"] not in {"open", *AlertStatus.values}:
        raise ApiError(400, "validation_error", "Unknown status.", [("status", "Unknown status.")])
    return selectors.alert_list(actor=request.user, filters=data)


@router.get("/alerts/{alert_id}", response={200: AlertOut, **error_responses(404)}, summary="One alert")
def get_alert(request: HttpRequest, alert_id: int) -> Alert:
    return selectors.alert_get(actor=request.user, pk=alert_id)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **error_responses(400, 403, 404)},
    summary="Acknowledge a firing alert",
)
def acknowledge_alert(request: HttpRequest, alert_id: int) -> Alert:
    alert = selectors.alert_get(actor=request.user, pk=alert_id)
    return services.alert_acknowledge(actor=request.user, alert=alert)


# --- incidents ------------------------------------------------------------------------------------------------


@router.get("/incidents", response=list[IncidentOut], summary="Incidents the caller may see")
@paginate(PageNumberPagination)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilters]) -> Any:
    data = filters.dict()
    if data.get("severity") is not None and hasattr(data["severity"], "value"):
        data["severity"] = data["severity"].value
    if data["status"] and data["status"] not in {"open", *IncidentStatus.values}:
        raise ApiError(400, "validation_error", "Unknown status.", [("status", "Unknown status.")])
    return selectors.incident_list(actor=request.user, filters=data)


@router.get("/incidents/{incident_id}", response={200: IncidentOut, **error_responses(404)}, summary="One incident")
def get_incident(request: HttpRequest, incident_id: int) -> Incident:
    return selectors.incident_get(actor=request.user, pk=incident_id)


@router.post("/incidents", response={201: IncidentOut, **error_responses(400, 403)}, summary="Open an incident")
def create_incident(request: HttpRequest, payload: IncidentIn) -> Status[Any]:
    organization = _organization(payload.organization_id, "organization_id")
    incident_type = IncidentType.objects.filter(code=payload.incident_type, is_active=True).first()
    if incident_type is None:
        raise ApiError(400, "validation_error", "Unknown incident type.", [("incident_type", "Unknown incident type.")])
    alerts = list(selectors.alert_list(actor=request.user, filters={}).filter(pk__in=payload.alert_ids))
    if len(alerts) != len(set(payload.alert_ids)):
        raise NotFoundOrForbidden
    agency = _organization(payload.assigned_agency_id, "assigned_agency_id") if payload.assigned_agency_id else None
    incident = services.incident_create(
        actor=request.user, organization=organization, incident_type=incident_type, title=payload.title,
        severity=payload.severity.value if payload.severity else "", description=payload.description,
        alerts=alerts, assigned_agency=agency, latitude=payload.latitude, longitude=payload.longitude,
    )  # fmt: skip
    return Status(201, incident)


@router.patch(
    "/incidents/{incident_id}",
    response={200: IncidentOut, **error_responses(400, 403, 404)},
    summary="Change an open incident (title, severity, description, assigned agency)",
)
def update_incident(request: HttpRequest, incident_id: int, payload: IncidentPatch) -> Incident:
    incident = selectors.incident_get(actor=request.user, pk=incident_id)
    data = payload.dict(exclude_unset=True)
    agency_id = data.pop("assigned_agency_id", None)
    if "severity" in data and data["severity"] is not None:
        data["severity"] = data["severity"].value if hasattr(data["severity"], "value") else data["severity"]
    data = {k: v for k, v in data.items() if v is not None}
    if data:
        incident = services.incident_update(actor=request.user, incident=incident, data=data)
    if agency_id:
        incident = services.incident_assign(
            actor=request.user, incident=incident, agency=_organization(agency_id, "assigned_agency_id")
        )
    return selectors.incident_get(actor=request.user, pk=incident.pk)


# --- rules ----------------------------------------------------------------------------------------------------


@router.get("/rules", response=list[RuleOut], summary="Monitoring rules the caller may see")
@paginate(PageNumberPagination)
def list_rules(request: HttpRequest, kind: RuleKind | None = None) -> Any:
    return selectors.rule_list(actor=request.user, filters={"kind": kind.value if kind else ""}).select_related(
        "indicator", "category"
    )


@router.get("/rules/{rule_id}", response={200: RuleOut, **error_responses(404)}, summary="One rule")
def get_rule(request: HttpRequest, rule_id: int) -> MonitoringRule:
    return selectors.rule_get(actor=request.user, pk=rule_id)


@router.post("/rules", response={201: RuleOut, **error_responses(400, 403)}, summary="Create a rule")
def create_rule(request: HttpRequest, payload: RuleIn) -> Status[Any]:
    organization = _organization(payload.organization_id, "organization_id")
    rule = services.rule_create(actor=request.user, organization=organization, data=_rule_data(payload))
    return Status(201, rule)


@router.patch("/rules/{rule_id}", response={200: RuleOut, **error_responses(400, 403, 404)}, summary="Change a rule")
def update_rule(request: HttpRequest, rule_id: int, payload: RuleIn) -> MonitoringRule:
    rule = selectors.rule_get(actor=request.user, pk=rule_id, action="change")
    return services.rule_update(actor=request.user, rule=rule, data=_rule_data(payload))


@router.delete(
    "/rules/{rule_id}",
    response={204: None, **error_responses(400, 403, 404)},
    summary="Delete a rule that never raised an alert",
)
def delete_rule(request: HttpRequest, rule_id: int) -> Status[None]:
    rule = selectors.rule_get(actor=request.user, pk=rule_id, action="change")
    services.rule_delete(actor=request.user, rule=rule)
    return Status(204, None)
