"""What monitoring puts on the operations dashboard: the open-incidents map layer and the alerts widget."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cityops.core.permissions import ALL_STAFF_ROLES, user_has_role
from cityops.dashboard.registry import Feature, MapLayer, Widget, register_layer, register_widget
from cityops.operations import selectors
from cityops.operations.choices import IncidentStatus, Severity

__all__ = ["incident_features", "widget_context"]

MAX_FEATURES = 2000
SEVERITY_COLOURS = {Severity.INFO: "#2563eb", Severity.WARNING: "#d97706", Severity.CRITICAL: "#b91c1c"}


def _bbox(params: dict[str, Any]) -> tuple[float, float, float, float] | None:
    raw = params.get("bbox")
    if not raw or len(raw) != 4:
        return None
    try:
        west, south, east, north = (float(v) for v in raw)
    except (TypeError, ValueError):
        return None
    return west, south, east, north


def incident_features(user: Any, params: dict[str, Any]) -> list[Feature]:
    """Open incidents with a position that the reader may see, as GeoJSON points (nothing more than the list shows)."""
    incidents = selectors.incident_list(actor=user, filters={"status": "open"}).filter(
        latitude__isnull=False, longitude__isnull=False
    )
    box = _bbox(params)
    if box is not None:
        west, south, east, north = box
        incidents = incidents.filter(latitude__gte=south, latitude__lte=north, longitude__gte=west,
                                     longitude__lte=east)  # fmt: skip
    features: list[Feature] = []
    for incident in incidents[:MAX_FEATURES]:
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [incident.longitude, incident.latitude]},
            "properties": {
                "id": incident.pk, "title": incident.title, "severity": incident.severity,
                "status": incident.status, "status_label": str(IncidentStatus(incident.status).label),
                "type": incident.incident_type.name, "url": incident.get_absolute_url(),
            },
        })  # fmt: skip
    return features


def widget_context(request: Any) -> dict[str, Any] | None:
    """Open alerts by severity, the latest ones and the count of open incidents; None for non-staff."""
    if not user_has_role(request.user, ALL_STAFF_ROLES):
        return None
    alerts = selectors.alert_list(actor=request.user, filters={"status": "open"})
    return {
        "counts": selectors.alert_counts(alerts),
        "alerts": list(alerts[:8]),
        "open_incidents": selectors.incident_list(actor=request.user, filters={"status": "open"}).count(),
    }


register_layer(
    MapLayer(
        key="operations-incidents", label=_("Open incidents"), features=incident_features,
        colour_property="severity",
        legend={s.value: (s.label, SEVERITY_COLOURS[s]) for s in Severity},
        order=30,
    )
)  # fmt: skip
register_widget(
    Widget(
        key="operations-alerts", label=_("Alerts and incidents"), template="operations/widgets/alerts.html",
        context=widget_context, roles=frozenset(ALL_STAFF_ROLES), order=20, size="medium",
    )
)  # fmt: skip
