"""Where a directive came from: how each module links its records (a citizen request, an incident…) back.

A directive stores a generic reference (``source_type`` = ``app_label.model``, ``source_id``). Modules that
escalate records into tasks may register a resolver in their ``AppConfig.ready``::

    from cityops.directives.sources import SourceLink, register_source

    def _incident(actor, source_id):
        incident = Incident.objects.for_user(actor, "view").filter(pk=source_id).first()
        return SourceLink(url=incident.get_absolute_url(), label=str(incident)) if incident else None

    register_source("operations.incident", _incident)

Without a resolver the generic one is used: the model named by ``source_type``, scoped by ``for_user`` when
its manager has it, linked by ``get_absolute_url``. Either way a reader who may not see the record gets no
link and no label (only the kind of source), so nothing leaks across agencies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps

__all__ = ["SourceLink", "SourceResolver", "register_source", "resolve_source", "source_resolvers"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceLink:
    """A link to the source record as the reader may see it."""

    url: str | None
    label: str = ""


SourceResolver = Callable[[Any, str], "SourceLink | None"]
_RESOLVERS: dict[str, SourceResolver] = {}


def register_source(source_type: str, resolver: SourceResolver) -> None:
    """Tell the directives module how to link records of ``source_type`` (``app_label.model``) for a reader."""
    _RESOLVERS[source_type.strip().lower()] = resolver


def source_resolvers() -> dict[str, SourceResolver]:
    """The registered resolvers (for tests and diagnostics)."""
    return dict(_RESOLVERS)


def _generic(actor: Any, source_type: str, source_id: str) -> SourceLink | None:
    try:
        model = apps.get_model(source_type)
    except (LookupError, ValueError):
        return None
    qs = model._default_manager.all()
    scoped = hasattr(qs, "for_user")
    if actor is not None and scoped:
        qs = qs.for_user(actor, "view")
    try:
        obj = qs.filter(pk=source_id).first()
    except (ValueError, TypeError):
        return None
    if obj is None:
        return None
    getter = getattr(obj, "get_absolute_url", None)
    # A model that cannot say who may see it gives a link (its page checks access) but no label.
    return SourceLink(url=str(getter()) if callable(getter) else None, label=str(obj)[:200] if scoped else "")


def resolve_source(source_type: str, source_id: str, *, actor: Any = None) -> SourceLink | None:
    """The link to a source record for ``actor``, or None when there is none or the reader may not see it.

    A resolver that fails is logged and treated as "no link": a broken module must not break the task page.
    """
    if not source_type or not source_id:
        return None
    resolver = _RESOLVERS.get(source_type.lower())
    try:
        if resolver is not None:
            return resolver(actor, str(source_id))
        return _generic(actor, source_type.lower(), str(source_id))
    except Exception:  # noqa: BLE001 - another module's resolver; log and show no link
        logger.exception("Source resolver for %s failed", source_type)
        return None
