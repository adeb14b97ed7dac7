"""Every write of the data hub: catalog, sharing, the chained exchange log, and NGSI-LD entities."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core import audit, search
from cityops.core.db import is_postgres
from cityops.core.models import Organization
from cityops.core.permissions import policy_for
from cityops.core.text import fold, nfc
from cityops.datahub.choices import AuditVerbs, ExchangeAction, FieldType, GrantStatus
from cityops.datahub.models import (
    AccessGrant,
    Dataset,
    DatasetRecord,
    DatasetVersion,
    Entity,
    ExchangeLogEntry,
    Sector,
)

__all__ = [
    "GENESIS_HASH",
    "ChainReport",
    "EntityWritten",
    "access_decide",
    "access_request",
    "dataset_create",
    "dataset_import_csv",
    "dataset_import_xlsx",
    "dataset_records_replace",
    "dataset_version_create",
    "dataset_version_restore",
    "dataset_versions_prune",
    "entities_upsert",
    "entities_write",
    "entry_hash",
    "exchange_log_append",
    "sector_create",
    "verify_exchange_log",
]

GENESIS_HASH = "0" * 64
_CHAIN_LOCK = 7_340_001  # pg advisory lock key for appending to the exchange log


# --- Catalog -------------------------------------------------------------------------------------------


def sector_create(*, actor: Any, code: str, name: str, domain: str) -> Sector:
    """Sectors are shared reference data; created by administrators and the demo seed."""
    sector = Sector(code=code, name=nfc(name).strip(), domain=domain)
    sector.full_clean()
    with transaction.atomic():
        sector.save()
        audit.record(verb=AuditVerbs.SECTOR_CREATED, actor=actor, target=sector, data={"new": {"code": code}})
    return sector


def _clean_schema(schema: Any) -> list[dict[str, Any]]:
    """Each field needs a unique identifier-like name and a known type; label and unit are free text."""
    if not isinstance(schema, list):
        raise ValidationError({"schema": _("The fields must be a list.")})
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, item in enumerate(schema, start=1):
        if not isinstance(item, dict):
            raise ValidationError({"schema": _("Field %(n)s is not an object.") % {"n": position}})
        name = str(item.get("name", "")).strip()
        if not name.isidentifier() or name in seen:
            raise ValidationError({"schema": _("Field %(n)s has a missing or repeated name.") % {"n": position}})
        kind = item.get("type", FieldType.STRING)
        if kind not in FieldType.values:
            raise ValidationError({"schema": _("Field %(name)s has an unknown type.") % {"name": name}})
        seen.add(name)
        cleaned.append(
            {
                "name": name,
                "label": nfc(str(item.get("label") or name)).strip(),
                "type": kind,
                "unit": nfc(str(item.get("unit") or "")).strip(),
                "required": bool(item.get("required", False)),
            }
        )
    return cleaned


def dataset_create(
    *,
    actor: Any,
    organization: Organization,
    sector: Sector,
    title: str,
    domain: str,
    visibility: str,
    schema: list[dict[str, Any]] | None = None,
    description: str = "",
    licence: str = "CC-BY-4.0",
    update_frequency: str = "irregular",
    tags: list[str] | None = None,
) -> Dataset:
    """Publish a dataset in the owner's catalog; only the owner's managers may."""
    if not policy_for(Dataset).can_in(actor, "change", organization):
        raise PermissionDenied(_("You may not publish datasets for this organisation."))
    dataset = Dataset(
        organization=organization,
        sector=sector,
        title=nfc(title).strip(),
        description=nfc(description).strip(),
        domain=domain,
        visibility=visibility,
        schema=_clean_schema(schema or []),
        licence=licence,
        update_frequency=update_frequency,
        tags=sorted({nfc(str(t)).strip() for t in (tags or []) if str(t).strip()}),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    dataset.title_folded = fold(dataset.title)[:300]
    dataset.full_clean()
    with transaction.atomic():
        dataset.save()
        search.index(dataset)
        audit.record(
            verb=AuditVerbs.DATASET_CREATED,
            actor=actor,
            target=dataset,
            data={"new": audit.snapshot(dataset, ["title", "domain", "visibility", "sector_id"])},
        )
    return dataset


def _row_key(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)


def dataset_version_create(
    *,
    actor: Any,
    dataset: Dataset,
    rows: list[tuple[int, dict[str, Any]]],
    source: str = "",
    rejected: int = 0,
    restored_from: int | None = None,
    system: bool = False,
    skip_unchanged: bool = False,
) -> DatasetVersion | None:
    """Store a checked upload as the dataset's next version, all or nothing; earlier versions are kept.

    ``system`` is for the scheduled pull, which acts for the owner without a person; with
    ``skip_unchanged`` a body identical to the current version stores nothing and returns None.
    """
    if not system and not policy_for(Dataset).can(actor, "change", dataset):
        raise PermissionDenied(_("You may not change this dataset."))
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        previous: set[str] = set()
        if locked.current_version_id is not None:
            previous = {
                _row_key(d)
                for d in DatasetRecord.objects.filter(version_id=locked.current_version_id).values_list(
                    "data", flat=True
                )
            }
        current = {_row_key(data) for _n, data in rows}
        if skip_unchanged and locked.current_version_id is not None and current == previous:
            return None
        number = (DatasetVersion.objects.filter(dataset=locked).aggregate(m=Max("number"))["m"] or 0) + 1
        version = DatasetVersion.objects.create(
            dataset=locked,
            number=number,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            source=nfc(source)[:300],
            rows=len(rows),
            rejected=rejected,
            added=len(current - previous),
            removed=len(previous - current),
            restored_from=restored_from,
        )
        DatasetRecord.objects.bulk_create(
            [DatasetRecord(dataset=locked, version=version, row_number=n, data=data) for n, data in rows],
            batch_size=1000,
        )
        Dataset.objects.filter(pk=locked.pk).update(current_version=version, updated_at=timezone.now())
        dataset.current_version = version
        audit.record(
            verb=AuditVerbs.DATASET_IMPORTED if restored_from is None else AuditVerbs.DATASET_RESTORED,
            actor=actor,
            target=locked,
            organization=locked.organization,
            data={
                "version": number,
                "rows": len(rows),
                "added": version.added,
                "removed": version.removed,
                "restored_from": restored_from,
            },
        )
    return version


def dataset_records_replace(*, actor: Any, dataset: Dataset, rows: list[tuple[int, dict[str, Any]]]) -> int:
    """A new version holding exactly ``rows``; kept for callers that only care about the count."""
    dataset_version_create(actor=actor, dataset=dataset, rows=rows)
    return len(rows)


def dataset_version_restore(*, actor: Any, dataset: Dataset, version: DatasetVersion) -> DatasetVersion:
    """Roll back: the rows of an earlier version become a new current version (history stays linear)."""
    if version.dataset_id != dataset.pk:
        raise ValidationError({"version": _("This version belongs to another dataset.")})
    if version.pk == dataset.current_version_id:
        raise ValidationError({"version": _("This version is already the current one.")})
    rows = list(
        DatasetRecord.objects.filter(version=version).order_by("row_number", "id").values_list("row_number", "data")
    )
    restored = dataset_version_create(
        actor=actor, dataset=dataset, rows=rows, source=version.source, restored_from=version.number
    )
    assert restored is not None
    return restored


def dataset_versions_prune(*, dataset: Dataset) -> int:
    """Delete the oldest versions beyond ``keep_versions`` (never the current one); returns how many."""
    if not dataset.keep_versions:
        return 0
    keep = list(
        DatasetVersion.objects.filter(dataset=dataset)
        .order_by("-number")
        .values_list("pk", flat=True)[: dataset.keep_versions]
    )
    if dataset.current_version_id:
        keep.append(dataset.current_version_id)
    doomed = DatasetVersion.objects.filter(dataset=dataset).exclude(pk__in=keep)
    with transaction.atomic():
        count = doomed.count()
        if count:
            DatasetRecord.objects.filter(version__in=doomed).delete()
            doomed.delete()
            audit.record(
                verb=AuditVerbs.DATASET_PRUNED, actor=None, target=dataset, organization=dataset.organization,
                data={"versions": count},
            )  # fmt: skip
    return count


# --- Sharing -------------------------------------------------------------------------------------------


def access_request(*, actor: Any, dataset: Dataset, requesting_organization: Organization, purpose: str) -> AccessGrant:
    """An agency asks another for a dataset; only shared datasets take requests (public ones need none)."""
    if not policy_for(AccessGrant).can_in(actor, "request", requesting_organization):
        raise PermissionDenied(_("You may not request access for this organisation."))
    errors: dict[str, str] = {}
    purpose = nfc(purpose or "").strip()
    if not purpose:
        errors["purpose"] = _("Say what the data is for.")
    if dataset.organization_id == requesting_organization.pk:
        errors["dataset"] = _("Your agency already owns this dataset.")
    elif dataset.visibility != "shared":
        errors["dataset"] = _("Only shared datasets take access requests.")
    if errors:
        raise ValidationError(errors)
    grant = AccessGrant(
        organization_id=dataset.organization_id,
        dataset=dataset,
        requesting_organization=requesting_organization,
        requested_by=actor,
        purpose=purpose,
    )
    grant.full_clean()
    with transaction.atomic():
        grant.save()
        audit.record(
            verb=AuditVerbs.ACCESS_REQUESTED,
            actor=actor,
            target=grant,
            data={"new": {"dataset": dataset.pk, "requesting_organization": requesting_organization.pk}},
        )
    return grant


def access_decide(
    *, actor: Any, grant: AccessGrant, approve: bool, expires_at: datetime | None = None, note: str = ""
) -> AccessGrant:
    """The owner grants (always with an expiry in the future) or refuses a pending request."""
    if not policy_for(AccessGrant).can(actor, "decide", grant):
        raise PermissionDenied(_("Only the owning agency's head or administrator may decide."))
    if grant.status != GrantStatus.REQUESTED:
        raise ValidationError({"status": _("This request has already been decided.")})
    if approve and (expires_at is None or expires_at <= timezone.now()):
        raise ValidationError({"expires_at": _("A grant needs an expiry date in the future.")})
    old = grant.status
    grant.status = GrantStatus.GRANTED if approve else GrantStatus.REFUSED
    grant.expires_at = expires_at if approve else None
    grant.decided_by = actor
    grant.decided_at = timezone.now()
    grant.decision_note = nfc(note or "").strip()
    grant.full_clean()
    with transaction.atomic():
        grant.save()
        audit.record(
            verb=AuditVerbs.ACCESS_GRANTED if approve else AuditVerbs.ACCESS_REFUSED,
            actor=actor,
            target=grant,
            data={"old": {"status": old}, "new": {"status": grant.status, "expires_at": grant.expires_at}},
        )
    return grant


def grants_expire(*, now: datetime | None = None) -> int:
    """Mark lapsed grants expired so lists say so; access is already refused by the expiry itself."""
    return AccessGrant.objects.filter(status=GrantStatus.GRANTED, expires_at__lte=now or timezone.now()).update(
        status=GrantStatus.EXPIRED, updated_at=timezone.now()
    )


# --- Exchange log --------------------------------------------------------------------------------------


def _canonical(entry: ExchangeLogEntry) -> str:
    body = {
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "organization": entry.organization_id,
        "dataset": entry.dataset_id,
        "action": entry.action,
        "rows": entry.rows,
        "detail": entry.detail,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder)


def entry_hash(prev_hash: str, entry: ExchangeLogEntry) -> str:
    """sha256(prev_hash + canonical JSON of the entry), hex."""
    return hashlib.sha256((prev_hash + _canonical(entry)).encode("utf-8")).hexdigest()


def exchange_log_append(
    *,
    actor: Any,
    organization: Organization | None,
    dataset: Dataset,
    action: str = ExchangeAction.READ_RECORDS,
    rows: int = 0,
    detail: dict[str, Any] | None = None,
) -> ExchangeLogEntry:
    """Chain one entry after the last; serialised by an advisory lock (PostgreSQL) or the write lock (SQLite)."""
    with transaction.atomic():
        if is_postgres():
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = ExchangeLogEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry = ExchangeLogEntry(
            at=timezone.now(),
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=str(actor)[:255] if actor is not None else "",
            organization=organization,
            dataset=dataset,
            action=action,
            rows=rows,
            detail=json.loads(json.dumps(detail or {}, cls=DjangoJSONEncoder)),
            prev_hash=last or GENESIS_HASH,
        )
        entry.hash = entry_hash(entry.prev_hash, entry)
        entry.save()
    return entry


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_exchange_log() -> ChainReport:
    """Recompute every hash in order; report each entry whose content or link no longer matches."""
    report = ChainReport()
    previous = GENESIS_HASH
    for entry in ExchangeLogEntry.objects.order_by("id").iterator(chunk_size=2000):
        report.checked += 1
        if entry.prev_hash != previous:
            report.problems.append((entry.pk, "link"))
        if entry_hash(entry.prev_hash, entry) != entry.hash:
            report.problems.append((entry.pk, "content"))
        previous = entry.hash
    return report


# --- Entities (NGSI-LD) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityWritten:
    """An entity as the batch upsert left it: its key and stored type (for the readings that follow)."""

    pk: int
    type: str
    organization_id: int
    created: bool


def entities_upsert(
    *, actor: Any, organization: Organization, entities: list[dict[str, Any]], system: bool = False
) -> dict[str, bool]:
    """Create or update entities owned by ``organization``; returns {entity_id: created}.

    Ids owned by another organisation are left untouched and absent from the answer, so this never moves
    an entity between agencies. ``system`` is for trusted commands (the sensor simulator) that act
    without a person.
    """
    written = entities_write(actor=actor, organization=organization, entities=entities, system=system)
    return {entity_id: row.created for entity_id, row in written.items()}


def entities_write(
    *, actor: Any, organization: Organization, entities: list[dict[str, Any]], system: bool = False
) -> dict[str, EntityWritten]:
    """``entities_upsert`` answering with each written entity's key and type, in the order given.

    The batch endpoint uses the keys for the readings that follow, so it need not look the entities up
    again. On PostgreSQL the whole batch is one ``INSERT ... ON CONFLICT DO UPDATE`` whose update is
    limited to the organisation's own rows: a foreign id is neither changed nor returned.
    """
    if not system and not policy_for(Entity).can_in(actor, "change", organization):
        raise PermissionDenied(_("You may not write entities for this organisation."))
    with transaction.atomic(savepoint=False):  # inside a caller's transaction, its own failure fails the caller
        if is_postgres():
            written = _entities_write_postgres(organization, entities)
        else:
            written = _entities_write_orm(organization, entities)
        if written:
            created = sum(row.created for row in written.values())
            audit.record(
                verb=AuditVerbs.ENTITIES_UPSERTED,
                actor=actor,
                organization=organization,
                data={"created": created, "updated": len(written) - created},
            )
    return written


def _entities_write_postgres(organization: Organization, entities: list[dict[str, Any]]) -> dict[str, EntityWritten]:
    """One statement for the batch: new rows inserted, own rows merged (``attributes || new``), foreign skipped.

    Rows are taken in ``entity_id`` order so concurrent batches lock shared entities in the same order.
    ``xmax = 0`` holds exactly for the rows this statement inserted.
    """
    if not entities:
        return {}
    by_id = {item["entity_id"]: item for item in entities}  # callers merge repeats; the last one wins here too
    table = Entity._meta.db_table
    sql = (  # the table name is the model's
        f"INSERT INTO {table} AS e "  # noqa: S608
        "(created_at, updated_at, organization_id, entity_id, type, latitude, longitude, attributes) "
        "SELECT %(now)s, %(now)s, %(org)s, v.entity_id, v.type, v.latitude, v.longitude, v.attributes "
        "FROM jsonb_to_recordset(%(rows)s::jsonb) "
        "AS v(entity_id text, type text, latitude float8, longitude float8, attributes jsonb) ORDER BY v.entity_id "
        "ON CONFLICT (entity_id) DO UPDATE SET "
        "attributes = e.attributes || EXCLUDED.attributes, "
        "latitude = CASE WHEN EXCLUDED.latitude IS NULL THEN e.latitude ELSE EXCLUDED.latitude END, "
        "longitude = CASE WHEN EXCLUDED.latitude IS NULL THEN e.longitude ELSE EXCLUDED.longitude END, "
        "updated_at = EXCLUDED.updated_at "
        "WHERE e.organization_id = EXCLUDED.organization_id "
        "RETURNING e.entity_id, e.id, e.type, e.organization_id, (e.xmax = 0)"
    )
    # One JSON document rather than arrays: a single string to quote, however many entities.
    batch = [
        {
            "entity_id": entity_id,
            "type": by_id[entity_id]["type"],
            "latitude": by_id[entity_id].get("latitude"),
            "longitude": by_id[entity_id].get("longitude"),
            "attributes": by_id[entity_id].get("attributes", {}),
        }
        for entity_id in by_id
    ]
    params: dict[str, Any] = {"now": timezone.now(), "org": organization.pk, "rows": json.dumps(batch)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = {row[0]: EntityWritten(row[1], row[2], row[3], bool(row[4])) for row in cursor.fetchall()}
    return {entity_id: rows[entity_id] for entity_id in by_id if entity_id in rows}


def _entities_write_orm(organization: Organization, entities: list[dict[str, Any]]) -> dict[str, EntityWritten]:
    """The same through the ORM (SQLite): existing rows locked and merged, new ones created in bulk."""
    ids = [e["entity_id"] for e in entities]
    existing = {e.entity_id: e for e in Entity.objects.select_for_update().filter(entity_id__in=ids)}
    created: dict[str, bool] = {}
    to_create: list[Entity] = []
    to_update: list[Entity] = []
    now = timezone.now()
    for item in entities:
        current = existing.get(item["entity_id"])
        if current is None:
            to_create.append(
                Entity(
                    organization=organization,
                    entity_id=item["entity_id"],
                    type=item["type"],
                    latitude=item.get("latitude"),
                    longitude=item.get("longitude"),
                    attributes=item.get("attributes", {}),
                )
            )
            created[item["entity_id"]] = True
        elif current.organization_id == organization.pk:
            current.attributes = {**current.attributes, **item.get("attributes", {})}
            if item.get("latitude") is not None:
                current.latitude, current.longitude = item["latitude"], item["longitude"]
            current.updated_at = now
            to_update.append(current)
            created[item["entity_id"]] = False
    Entity.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Entity.objects.bulk_update(to_update, ["attributes", "latitude", "longitude", "updated_at"], batch_size=500)
    keys = {
        row[0]: row[1:]
        for row in Entity.objects.filter(entity_id__in=list(created)).values_list(
            "entity_id", "pk", "type", "organization_id"
        )
    }
    return {
        entity_id: EntityWritten(keys[entity_id][0], keys[entity_id][1], keys[entity_id][2], was_created)
        for entity_id, was_created in created.items()
    }


# --- File upload ---------------------------------------------------------------------------------------


def dataset_import_csv(
    *, actor: Any, dataset: Dataset, content: bytes, mapping: dict[str, str] | None = None, source: str = ""
) -> Any:
    """Check a CSV upload and store its valid rows in place of the previous ones; returns the report.

    A file-level problem (encoding, unknown or missing columns) stores nothing; otherwise valid rows are
    stored and every refused row is in the report, so nothing is imported silently wrong.
    """
    from cityops.datahub.imports import parse_csv

    if not policy_for(Dataset).can(actor, "change", dataset):
        raise PermissionDenied(_("You may not change this dataset."))
    report = parse_csv(dataset, content, mapping=mapping)
    if not report.errors:
        report.version = dataset_version_create(
            actor=actor, dataset=dataset, rows=report.rows, source=source, rejected=len(report.rejected)
        )
    return report


def dataset_import_xlsx(
    *, actor: Any, dataset: Dataset, upload: Any, mapping: dict[str, str] | None = None, source: str = ""
) -> Any:
    """The same as ``dataset_import_csv`` for the first sheet of an XLSX workbook."""
    from cityops.datahub.imports import parse_xlsx

    if not policy_for(Dataset).can(actor, "change", dataset):
        raise PermissionDenied(_("You may not change this dataset."))
    report = parse_xlsx(dataset, upload, mapping=mapping)
    if not report.errors:
        report.version = dataset_version_create(
            actor=actor, dataset=dataset, rows=report.rows, source=source, rejected=len(report.rejected)
        )
    return report
