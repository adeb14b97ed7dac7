"""Writes to the live feed. Modules call ``publish`` explicitly from their services, inside their transaction."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from cityops.core.models import LiveEvent, Organization

RETENTION = timedelta(days=7)


def publish(
    *, kind: str, organization: Organization, title: str, url: str = "", data: dict[str, Any] | None = None
) -> LiveEvent:
    """Append one event to the feed; it is written in the caller's transaction, so a rollback takes it back."""
    payload = _finite(json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)))
    return LiveEvent.objects.create(
        kind=kind, organization=organization, title=title[:255], url=url[:500], data=payload
    )


def _finite(value: Any) -> Any:
    """NaN and infinities are not JSON: a reading that carries one is shown without it rather than failing."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def prune(*, older_than: timedelta = RETENTION) -> int:
    """Drop events no dashboard will ask for again; the records they point at stay where they are."""
    deleted, _ = LiveEvent.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
