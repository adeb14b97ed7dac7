"""What other modules put on the dashboard: map layers and widgets, registered from each app's ``dashboard.py``.

The dashboard knows no module by name. An app that has something to show declares it here, the way apps declare
search providers, and the dashboard imports every installed app's ``dashboard`` module at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import autodiscover_modules

# A GeoJSON Feature as a dict: {"type": "Feature", "geometry": {...}, "properties": {...}}.
Feature = dict[str, Any]


@dataclass(frozen=True)
class MapLayer:
    """A set of map features for one reader, e.g. open incidents or citizen reports by status.

    ``features(user, params)`` returns GeoJSON Features the user may see; ``params`` holds the request's filter
    values (``bbox`` as four floats west,south,east,north, ``since``, ...) and may be ignored.
    ``legend`` maps a property value to a (label, CSS colour) pair shown in the layer's legend.
    ``serialised(user, params)``, when given, returns the same features already as a JSON array (at most the
    dashboard's ``MAX_FEATURES``), for a layer that builds or caches its JSON itself; the view then uses it.
    """

    key: str  # letters, digits, "-" and "_" (it is part of a URL); prefix it with the app, e.g. "operations-incidents"
    label: Any
    features: Callable[[Any, dict[str, Any]], list[Feature]]
    colour_property: str = ""
    legend: dict[str, tuple[Any, str]] = field(default_factory=dict)
    order: int = 100
    default_on: bool = True
    serialised: Callable[[Any, dict[str, Any]], str] | None = None


@dataclass(frozen=True)
class Widget:
    """A tile a person may place on their board.

    ``context(request)`` returns the template context, or None when the reader may not see this widget (it is then
    left off the board). ``template`` renders inside the board's grid cell and sees that context as ``ctx``.
    """

    key: str
    label: Any
    template: str
    context: Callable[[Any], dict[str, Any] | None]
    roles: frozenset[str] = frozenset()
    order: int = 100
    size: str = "medium"  # "small", "medium", "wide", "tall" or "large" (wide and tall, e.g. a map)


_layers: dict[str, MapLayer] = {}
_widgets: dict[str, Widget] = {}


KEY = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")


def _check_key(key: str) -> None:
    if not KEY.match(key):
        raise ValueError(f"Dashboard key {key!r} must be 1-64 letters, digits, '-' or '_' (it is part of a URL).")


def register_layer(layer: MapLayer) -> MapLayer:
    """Declare a map layer; the last registration of a key wins, so reloading a module is harmless."""
    _check_key(layer.key)
    _layers[layer.key] = layer
    return layer


def register_widget(widget: Widget) -> Widget:
    """Declare a widget for the board."""
    _check_key(widget.key)
    _widgets[widget.key] = widget
    return widget


def layers() -> list[MapLayer]:
    return sorted(_layers.values(), key=lambda layer: (layer.order, layer.key))


def widgets() -> list[Widget]:
    return sorted(_widgets.values(), key=lambda widget: (widget.order, widget.key))


def layer(key: str) -> MapLayer | None:
    return _layers.get(key)


def widget(key: str) -> Widget | None:
    return _widgets.get(key)


def autodiscover() -> None:
    """Import each installed app's ``dashboard`` module so its layers and widgets are registered."""
    autodiscover_modules("dashboard")
