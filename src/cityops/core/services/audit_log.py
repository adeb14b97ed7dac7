"""Writes about the audit log itself: exporting it is recorded, like every read of restricted data."""

from __future__ import annotations

from typing import Any

from cityops.core import audit

__all__ = ["AUDIT_EXPORTED", "audit_export_recorded"]

# Not in AuditVerbs (a shared file): someone downloaded a CSV of audit events.
AUDIT_EXPORTED = "core.audit.exported"


def audit_export_recorded(*, actor: Any, filters: dict[str, Any]) -> None:
    """Record who exported which slice of the audit log; the filters are kept, the rows are not."""
    audit.record(verb=AUDIT_EXPORTED, actor=actor, data={"filters": filters})
