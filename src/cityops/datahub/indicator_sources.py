"""A registry of indicator sources that other modules offer from their own statistics.

Modules register in their own ``<app>/indicator_sources.py`` (found by ``autodiscover`` when the data hub
starts), so the data hub never imports them. A source computes, for a period ``[start, end)`` of local
days, a value per administrative unit (organisation id). Indicators use one with
``formula = {"kind": "module", "source": "<key>"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from django.utils.module_loading import autodiscover_modules

__all__ = ["SYSTEM_READER", "IndicatorSource", "autodiscover", "get", "register", "sources"]

# Statistics selectors take an ``actor``; indicators are computed for the whole province, so they read as
# an actor who sees everything. It is never a user and is never given to a service.
SYSTEM_READER = SimpleNamespace(
    is_superuser=True, is_active=True, is_authenticated=True, is_staff=False, pk=None, id=None
)


@dataclass(frozen=True)
class IndicatorSource:
    key: str
    label: str
    compute: Callable[[date, date], dict[int, float]]


_registry: dict[str, IndicatorSource] = {}


def register(source: IndicatorSource) -> IndicatorSource:
    """Offer a source; a key registered twice is a programming error."""
    if source.key in _registry and _registry[source.key] is not source:
        raise ValueError(f"Indicator source {source.key!r} is registered twice.")
    _registry[source.key] = source
    return source


def get(key: str) -> IndicatorSource | None:
    return _registry.get(key)


def sources() -> list[IndicatorSource]:
    return sorted(_registry.values(), key=lambda s: s.key)


def autodiscover() -> None:
    autodiscover_modules("indicator_sources")
