"""Writing audit events. Services call ``record``; nothing else writes to the audit table."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from cityops.core.context import current_request_info
from cityops.core.models import AuditEvent, Organization

__all__ = ["record", "snapshot"]


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The JSON-safe values of a record's fields, for the before/after data of an event."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    raw = {name: getattr(instance, name) for name in names}
    return json.loads(json.dumps(raw, cls=DjangoJSONEncoder))


def record(
    *,
    verb: str,
    actor: Any = None,
    target: models.Model | None = None,
    organization: Organization | None = None,
    data: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit event; IP and request id come from the request being served, if any."""
    info = current_request_info()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if organization is None and target is not None:
        organization = getattr(target, "organization", None) if hasattr(target, "organization_id") else None
    payload = json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))
    return AuditEvent.objects.create(
        verb=verb,
        actor=actor,
        actor_label=actor_label or (str(actor) if actor is not None else ""),
        organization=organization,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        data=payload,
        ip_address=info.ip_address if info else None,
        request_id=info.request_id if info else "",
    )
