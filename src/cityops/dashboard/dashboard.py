"""The dashboard's own map layers and widgets, registered like any other module's."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cityops.dashboard import bands, charts, selectors
from cityops.dashboard.registry import MapLayer, Widget, layers, register_layer, register_widget

register_layer(
    MapLayer(
        key="areas",
        label=_("Communes and wards"),
        features=lambda user, params: selectors.area_features(user=user, params=params),
        colour_property="colour",
        order=10,
    )
)
register_layer(
    MapLayer(
        key="reports",
        label=_("Citizen reports"),
        features=lambda user, params: selectors.report_features(user=user, params=params),
        colour_property="group",
        legend=selectors.report_legend(),
        order=20,
        serialised=lambda user, params: selectors.report_features_json(user=user, params=params),
    )
)
register_layer(
    MapLayer(
        key="sensors",
        label=_("Sensors (latest value)"),
        features=lambda user, params: selectors.sensor_features(user=user, params=params),
        colour_property="band",
        legend=bands.legend(),
        order=30,
    )
)


def _tiles(request: Any) -> dict[str, Any]:
    tiles = selectors.domain_tiles()
    for tile in tiles:
        tile.spark = charts.sparkline(tile.trend, label=tile.label)
    return {"tiles": tiles}


def _headlines(request: Any) -> dict[str, Any]:
    return {"headlines": selectors.headlines()}


def _map(request: Any) -> dict[str, Any]:
    described = [
            {"key": layer.key, "label": str(layer.label), "on": layer.default_on,
             "url": reverse("dashboard:layer", kwargs={"key": layer.key}),
             "legend": [(key, str(label), colour) for key, (label, colour) in layer.legend.items()],
             "colour_property": layer.colour_property}
            for layer in layers()
    ]  # fmt: skip
    return {
        "layers": described,
        "layers_json": json.dumps(described, ensure_ascii=False),
        "indicators": selectors.indicator_choices(),
        "default_indicator": next((h.code for h in selectors.headlines()), ""),
        "tile_url": settings.MAP_TILE_URL,
        "bbox": getattr(settings, "DASHBOARD_MAP_BBOX", ""),
    }


KIND_LABELS = {
    "feedback.request": _("Citizen report"),
    "operations.alert": _("Alert"),
    "operations.incident": _("Incident"),
}


def _feed(request: Any) -> dict[str, Any]:
    from cityops.core.selectors.live import latest_id
    from cityops.dashboard.stream import event_payload

    labels = {kind: str(label) for kind, label in KIND_LABELS.items()}
    events = [
        {**event_payload(event), "label": labels.get(event.kind, event.kind)}
        for event in selectors.feed_recent(user=request.user)
    ]
    return {"events": events, "last_id": latest_id(), "kind_labels_json": json.dumps(labels, ensure_ascii=False)}


def _queue(request: Any) -> dict[str, Any]:
    return {"summary": selectors.feedback_summary(user=request.user)}


register_widget(Widget("domains", _("Domain scores"), "dashboard/widgets/domains.html", _tiles, order=10, size="wide"))
register_widget(
    Widget("headlines", _("Headline indicators"), "dashboard/widgets/headlines.html", _headlines, order=20, size="wide")
)
register_widget(Widget("map", _("Province map"), "dashboard/widgets/map.html", _map, order=15, size="large"))
register_widget(Widget("feed", _("Live feed"), "dashboard/widgets/feed.html", _feed, order=40, size="tall"))
register_widget(Widget("feedback_queue", _("Citizen reports queue"), "dashboard/widgets/queue.html", _queue, order=50))
