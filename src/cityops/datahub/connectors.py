"""Connectors: scheduled HTTP pulls from other agencies' systems, and the status of every way data arrives.

A pull fetches one URL (CSV, JSON or NGSI-LD), refusing targets on loopback, private, link-local or other
non-public addresses unless ``DATAHUB_PULL_ALLOW_PRIVATE`` is on (an administrator's decision for an
internal network). Every hop of a redirect is checked again, and the connection goes to the address that
was checked (no second DNS lookup an attacker could answer differently). Bodies larger than
``DATAHUB_PULL_MAX_BYTES`` are cut off and the run fails; ``DATAHUB_PULL_TIMEOUT`` bounds connect and read.

The optional auth header value is sealed with a key derived from ``SECRET_KEY`` (SHAKE-256 key stream,
HMAC-SHA256 tag) and never shown again; the pages show only its last characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core import audit
from cityops.core.db import is_postgres
from cityops.core.models import Organization
from cityops.core.permissions import policy_for
from cityops.core.text import nfc
from cityops.datahub.choices import AuditVerbs
from cityops.datahub.models import Connector, ConnectorRun, Dataset

__all__ = [
    "FetchError",
    "connector_create",
    "connector_run",
    "connectors_run_due",
    "fetch",
    "push_status_record",
    "seal",
    "unseal",
]

logger = logging.getLogger("cityops.datahub.connectors")
MAX_REDIRECTS = 3
MAX_REJECTIONS_KEPT = 200


# --- Secrets -------------------------------------------------------------------------------------------


def _key(purpose: bytes) -> bytes:
    return hashlib.sha256(b"cityops.datahub.connector:" + purpose + settings.SECRET_KEY.encode()).digest()


def seal(plain: str) -> str:
    """Encrypt-then-MAC a short secret for storage; a changed SECRET_KEY makes it unreadable, not wrong."""
    nonce = secrets.token_bytes(16)
    data = plain.encode("utf-8")
    stream = hashlib.shake_256(_key(b"enc") + nonce).digest(len(data))
    body = nonce + bytes(a ^ b for a, b in zip(data, stream, strict=True))
    tag = hmac.new(_key(b"mac"), body, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(body + tag).decode("ascii")


def unseal(token: str) -> str:
    """The secret sealed by ``seal``; ValueError when it was altered or sealed under another key."""
    raw = base64.urlsafe_b64decode(token.encode("ascii"))
    body, tag = raw[:-32], raw[-32:]
    if len(body) < 16 or not hmac.compare_digest(tag, hmac.new(_key(b"mac"), body, hashlib.sha256).digest()):
        raise ValueError("sealed secret does not verify")
    nonce, data = body[:16], body[16:]
    stream = hashlib.shake_256(_key(b"enc") + nonce).digest(len(data))
    return bytes(a ^ b for a, b in zip(data, stream, strict=True)).decode("utf-8")


# --- Fetching ------------------------------------------------------------------------------------------


class FetchError(Exception):
    """A pull that could not produce a body; the message is shown on the status page."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, checked address) of a URL this hub may fetch; FetchError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FetchError(_("Only http and https addresses can be pulled."))
    if parts.username or parts.password:
        raise FetchError(_("Put credentials in the auth header, not in the address."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(_("The address has an invalid port.")) from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(_("The host name cannot be resolved.")) from exc
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise FetchError(_("The host name cannot be resolved."))
    if not settings.DATAHUB_PULL_ALLOW_PRIVATE and not all(_public(a) for a in addresses):
        raise FetchError(_("The address points to a private, loopback or link-local network, which is refused."))
    return parts.scheme, parts.hostname, port, addresses[0]


@dataclass
class Fetched:
    body: bytes
    content_type: str
    url: str


def fetch(url: str, headers: dict[str, str] | None = None) -> Fetched:
    """GET ``url`` within the time, size and address limits, following at most a few checked redirects."""
    timeout = urllib3.Timeout(connect=settings.DATAHUB_PULL_TIMEOUT, read=settings.DATAHUB_PULL_TIMEOUT)
    limit = settings.DATAHUB_PULL_MAX_BYTES
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, address = resolve_target(url)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        send = {"Host": parts.netloc.rsplit("@", 1)[-1], "Accept": "application/json, text/csv, */*"}
        send.update(headers or {})
        pool: urllib3.HTTPConnectionPool
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address, port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
        try:
            response = pool.urlopen("GET", path, headers=send, redirect=False, preload_content=False)
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError(_("The source did not answer: %(e)s") % {"e": type(exc).__name__}) from exc
        try:
            if response.status in {301, 302, 303, 307, 308}:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(_("A redirect without a Location header."))
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchError(_("The source answered HTTP %(n)s.") % {"n": response.status})
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FetchError(_("The response is larger than %(n)s bytes.") % {"n": limit})
            chunks: list[bytes] = []
            size = 0
            try:
                for chunk in response.stream(64 * 1024, decode_content=True):
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(_("The response is larger than %(n)s bytes.") % {"n": limit})
                    chunks.append(chunk)
            except urllib3.exceptions.HTTPError as exc:
                raise FetchError(_("The source did not answer: %(e)s") % {"e": type(exc).__name__}) from exc
            return Fetched(b"".join(chunks), response.headers.get("Content-Type", ""), url)
        finally:
            response.release_conn()
            pool.close()
    raise FetchError(_("Too many redirects."))


# --- Writes --------------------------------------------------------------------------------------------


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError({"url": _("Enter an http or https address.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Put credentials in the auth header, not in the address.")})
    return url


def connector_create(
    *,
    actor: Any,
    organization: Organization,
    name: str,
    url: str,
    format: str,
    dataset: Dataset | None = None,
    interval_minutes: int = 60,
    auth_header: str = "",
    auth_value: str = "",
) -> Connector:
    """A scheduled HTTP pull for the owner's dataset (CSV, JSON) or its sensors (NGSI-LD)."""
    if not policy_for(Connector).can_in(actor, "change", organization):
        raise PermissionDenied(_("You may not manage connectors for this organisation."))
    errors: dict[str, str] = {}
    if format in {Connector.Format.CSV, Connector.Format.JSON}:
        if dataset is None or dataset.organization_id != organization.pk:
            errors["dataset"] = _("Choose one of your agency's datasets.")
    elif format == Connector.Format.NGSILD:
        dataset = None
    else:
        errors["format"] = _("Choose CSV, JSON or NGSI-LD.")
    if not 5 <= interval_minutes <= 60 * 24 * 31:
        errors["interval_minutes"] = _("Between 5 minutes and 31 days.")
    header = (auth_header or "").strip()
    if header and (not header.replace("-", "").isalnum() or len(header) > 100):
        errors["auth_header"] = _("A header name has only letters, digits and hyphens.")
    if any(c in (auth_value or "") for c in "\r\n"):
        errors["auth_value"] = _("The header value cannot span lines.")
    try:
        url = _clean_url(url)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    connector = Connector(
        organization=organization,
        kind=Connector.Kind.HTTP,
        name=nfc(name).strip()[:200],
        dataset=dataset,
        url=url,
        format=format,
        interval_minutes=interval_minutes,
        auth_header=header if auth_value else "",
        auth_secret=seal(auth_value) if auth_value else "",
        auth_hint=auth_value[-4:] if len(auth_value) >= 12 else "",
        next_run_at=timezone.now(),
    )
    connector.full_clean(exclude=["url"])
    with transaction.atomic():
        connector.save()
        audit.record(
            verb=AuditVerbs.CONNECTOR_CREATED,
            actor=actor,
            target=connector,
            data={"new": {"name": connector.name, "url": url, "format": format, "auth_header": connector.auth_header}},
        )
    return connector


def connector_set_enabled(*, actor: Any, connector: Connector, enabled: bool) -> Connector:
    if not policy_for(Connector).can(actor, "change", connector):
        raise PermissionDenied(_("You may not manage this connector."))
    with transaction.atomic():
        Connector.objects.filter(pk=connector.pk).update(enabled=enabled, updated_at=timezone.now())
        connector.enabled = enabled
        audit.record(
            verb=AuditVerbs.CONNECTOR_UPDATED, actor=actor, target=connector, data={"new": {"enabled": enabled}}
        )
    return connector


@dataclass
class RunOutcome:
    rows_in: int = 0
    stored: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    version: Any = None
    observed_at: datetime | None = None


def _json_rows(dataset: Dataset, body: bytes) -> Any:
    """A JSON array of objects (or ``{"items": [...]}``) checked like a CSV with the objects' keys as header."""
    from cityops.datahub.imports import CsvReport, check_rows

    report = CsvReport()
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        report.errors.append(_("The response is not JSON."))
        return report
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        report.errors.append(_("The JSON must be an array of objects."))
        return report
    header: list[str] = []
    for item in data:
        header.extend(k for k in item if k not in header)
    if not header:
        report.errors.append(_("The file is empty."))
        return report

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return nfc(str(value))

    rows = iter([header, *([text(item.get(k)) for k in header] for item in data)])
    return check_rows(dataset, rows, report)


def _run_dataset(connector: Connector, body: bytes) -> RunOutcome:
    from cityops.datahub.imports import parse_csv
    from cityops.datahub.services import dataset_version_create

    assert connector.dataset is not None
    dataset = connector.dataset
    report = parse_csv(dataset, body) if connector.format == Connector.Format.CSV else _json_rows(dataset, body)
    if report.errors:
        raise FetchError("; ".join(report.errors))
    outcome = RunOutcome(
        rows_in=len(report.rows) + len(report.rejected),
        rejected=[{"line": line, "reason": reason} for line, reason in report.rejected],
    )
    outcome.version = dataset_version_create(
        actor=None,
        dataset=dataset,
        rows=report.rows,
        source=connector.url,
        rejected=len(report.rejected),
        system=True,
        skip_unchanged=True,
    )
    outcome.stored = len(report.rows) if outcome.version is not None else 0
    return outcome


def _run_ngsild(connector: Connector, body: bytes) -> RunOutcome:
    from cityops.datahub.ngsild import upsert_entities

    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(_("The response is not JSON.")) from exc
    if not isinstance(data, list):
        raise FetchError(_("NGSI-LD data must be an array of entities."))
    created, errors, result = upsert_entities(actor=None, organization=connector.organization, body=data, system=True)
    return RunOutcome(
        rows_in=result.stored + len(result.rejected),
        stored=result.stored,
        rejected=[{"entity": e["entityId"], "reason": e["error"].get("detail", "")} for e in errors],
        observed_at=result.latest,
    )


def connector_run(connector: Connector, *, now: datetime | None = None) -> ConnectorRun:
    """Run one pull now and log it; the connector's status and next run move on whatever happens."""
    now = now or timezone.now()
    run = ConnectorRun.objects.create(connector=connector, started_at=now)
    headers: dict[str, str] = {}
    outcome = RunOutcome()
    error = ""
    bytes_read = 0
    try:
        if connector.auth_secret:
            try:
                headers[connector.auth_header] = unseal(connector.auth_secret)
            except ValueError as exc:
                raise FetchError(_("The stored auth header cannot be read; enter it again.")) from exc
        fetched = fetch(connector.url, headers)
        bytes_read = len(fetched.body)
        if connector.format == Connector.Format.NGSILD:
            outcome = _run_ngsild(connector, fetched.body)
        else:
            outcome = _run_dataset(connector, fetched.body)
    except FetchError as exc:
        error = str(exc)[:2000]
    except Exception as exc:  # a bug must not stop the other connectors; it is logged and shown
        logger.exception("Connector %s failed", connector.pk)
        error = _("Unexpected error: %(e)s") % {"e": type(exc).__name__}
    finished = timezone.now()
    ok = not error
    ConnectorRun.objects.filter(pk=run.pk).update(
        finished_at=finished,
        ok=ok,
        bytes_read=bytes_read,
        rows_in=outcome.rows_in,
        rows_stored=outcome.stored,
        rows_rejected=len(outcome.rejected),
        rejections=outcome.rejected[:MAX_REJECTIONS_KEPT],
        error=error,
        version=outcome.version,
    )
    update: dict[str, Any] = {
        "last_run_at": now,
        "last_error": error,
        "last_rows_in": outcome.rows_in,
        "last_rows_stored": outcome.stored,
        "last_rows_rejected": len(outcome.rejected),
        "next_run_at": now + timedelta(minutes=connector.interval_minutes),
        "total_rows": F("total_rows") + outcome.stored,
        "updated_at": finished,
    }
    if ok:
        update["last_success_at"] = finished
        update["last_observed_at"] = outcome.observed_at or finished
    Connector.objects.filter(pk=connector.pk).update(**update)
    run.refresh_from_db()
    return run


def connectors_run_due(*, now: datetime | None = None, limit: int = 50) -> int:
    """Run every enabled pull whose time has come; each is claimed first so two workers never both run it."""
    now = now or timezone.now()
    due = Connector.objects.filter(kind=Connector.Kind.HTTP, enabled=True, next_run_at__lte=now).select_related(
        "dataset", "organization"
    )
    count = 0
    for connector in due.order_by("next_run_at")[:limit]:
        claimed = Connector.objects.filter(pk=connector.pk, next_run_at=connector.next_run_at).update(
            next_run_at=now + timedelta(minutes=connector.interval_minutes)
        )
        if claimed:
            connector_run(connector, now=now)
            count += 1
    return count


def push_status_record(
    *, kind: str, name: str, per_org: dict[int, tuple[int, int, datetime | None]], error: str = ""
) -> None:
    """Status of a push (MQTT batch, NGSI-LD request): one row per agency whose sensors sent data.

    Called once per request or batch, after the values are committed, so the usual case is one UPDATE (the
    row is created on first use). On PostgreSQL its commit does not wait for the disk: the status is a
    summary of writes that are already durable, and a crash can at most lose its last few updates.
    """
    own_transaction = not connection.in_atomic_block  # never relax a caller's commit
    with transaction.atomic():
        if own_transaction and is_postgres():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        _push_status_update(kind=kind, name=name, per_org=per_org, error=error)


def _push_status_update(
    *, kind: str, name: str, per_org: dict[int, tuple[int, int, datetime | None]], error: str
) -> None:
    now = timezone.now()
    for organization_id, (stored, rejected, latest) in per_org.items():
        update: dict[str, Any] = {
            "last_run_at": now,
            "last_rows_in": stored + rejected,
            "last_rows_stored": stored,
            "last_rows_rejected": rejected,
            "last_error": error,
            "total_rows": F("total_rows") + stored,
            "updated_at": now,
        }
        if stored:
            update["last_success_at"] = now
        if latest is not None:
            update["last_observed_at"] = latest
        if Connector.objects.filter(organization_id=organization_id, kind=kind, name=name).update(**update):
            continue
        connector, _created = Connector.objects.get_or_create(
            organization_id=organization_id, kind=kind, name=name, defaults={"enabled": True}
        )
        Connector.objects.filter(pk=connector.pk).update(**update)
