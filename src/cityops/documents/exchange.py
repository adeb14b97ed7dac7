"""Carrying edXML packages and status messages to other agencies: transports, retries, the exchange log.

Every message is first written to the exchange log (``ExchangeMessage``) inside the business transaction, then
sent after the commit by the ``exchange_send_task``; a failure is kept with its error and retried with a growing
delay (``exchange_retry_due`` runs the due ones; ``cityops documents_exchange`` calls it from a timer) until
``DOCUMENTS_EXCHANGE_MAX_ATTEMPTS``. Transports:

- ``outbox``: each message becomes a file in ``DOCUMENTS_EXCHANGE_OUTBOX`` (written atomically), for a
  connector — or a person with removable media on an air-gapped deployment — to carry to the exchange platform.
- ``http``: POST to ``DOCUMENTS_EXCHANGE_URL``, the endpoint of the national / provincial exchange platform
  (VXP / LGSP) or of a gateway in front of it, with the SDK's ``servicetype`` / ``messagetype`` headers.
  Refused on an air-gapped deployment.
- ``""``: nothing leaves; messages are ``held`` and can still be downloaded from the document's page.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from cityops.core import audit
from cityops.core.models import Organization
from cityops.documents.choices import AuditVerbs, ExchangeDirection, ExchangeKind, ExchangeState
from cityops.documents.models import ExchangeMessage, IncomingDocument, OutgoingDocument

__all__ = [
    "HttpTransport",
    "OutboxTransport",
    "TransportError",
    "exchange_queue",
    "exchange_record_received",
    "exchange_release_held",
    "exchange_retry_due",
    "exchange_send",
    "exchange_send_task",
    "transport_for",
]

logger = logging.getLogger(__name__)

#: Minutes to wait after the n-th failed attempt (the last value repeats).
RETRY_DELAYS_MINUTES = (1, 5, 15, 60, 240)


class TransportError(Exception):
    """The message could not be handed over; the text is kept on the log entry (never secrets)."""


class Transport(Protocol):
    name: str

    def send(self, message: ExchangeMessage) -> str:
        """Hand the message over; return the transport's reference for it."""
        ...


class OutboxTransport:
    """Write the message as a file into a directory that a connector (or a person) carries onwards."""

    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def send(self, message: ExchangeMessage) -> str:
        label = message.status_code or f"b{message.business_type or 0}"
        filename = f"{message.pk:08d}-{message.kind}-{label}.edxml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".edxml")
            with os.fdopen(handle, "wb") as out:
                out.write(message.payload.encode("utf-8"))
            os.replace(tmp, self.directory / filename)  # atomic: a reader never sees half a file
        except OSError as exc:
            raise TransportError(f"outbox: {exc.strerror or exc}") from exc
        return filename


class HttpTransport:
    """POST the message to the exchange platform (or the gateway in front of it)."""

    name = "http"

    def __init__(self, url: str, timeout: int) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, message: ExchangeMessage) -> str:
        if not self.url.startswith(("https://", "http://")):
            raise TransportError("http: DOCUMENTS_EXCHANGE_URL is not an http(s) address")
        service = "status" if message.kind == ExchangeKind.STATUS else "eDoc"
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.url,
            data=message.payload.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/xml; charset=utf-8",
                "servicetype": service,
                "messagetype": "status" if message.kind == ExchangeKind.STATUS else "edoc",
                "to": message.counterpart_organ_id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(4096).decode("utf-8", errors="replace").strip()
                return body[:255] or str(response.status)
        except urllib.error.HTTPError as exc:
            raise TransportError(f"http: the exchange answered {exc.code}") from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransportError(f"http: {reason}") from exc


def transport_for() -> Transport | None:
    """The configured transport, or None when nothing may leave (no transport, or HTTP while air-gapped)."""
    name = (settings.DOCUMENTS_EXCHANGE_TRANSPORT or "").strip().lower()
    if name == "outbox":
        return OutboxTransport(Path(settings.DOCUMENTS_EXCHANGE_OUTBOX))
    if name == "http" and not settings.DOCUMENTS_AIR_GAPPED:
        return HttpTransport(settings.DOCUMENTS_EXCHANGE_URL, int(settings.DOCUMENTS_EXCHANGE_TIMEOUT))
    return None


def exchange_queue(
    *,
    organization: Organization,
    kind: str,
    payload: bytes,
    organ_id: str,
    name: str = "",
    document_id: str = "",
    status_code: str = "",
    business_type: int | None = None,
    incoming: IncomingDocument | None = None,
    outgoing: OutgoingDocument | None = None,
) -> ExchangeMessage:
    """Log an outgoing message and send it after the commit (held when no transport may carry it)."""
    transport = transport_for()
    message = ExchangeMessage.objects.create(
        organization=organization,
        direction=ExchangeDirection.OUT,
        kind=kind,
        payload=payload.decode("utf-8"),
        counterpart_organ_id=organ_id[:32],
        counterpart_name=name[:255],
        document_id=document_id[:255],
        status_code=status_code,
        business_type=business_type,
        incoming=incoming,
        outgoing=outgoing,
        state=ExchangeState.QUEUED if transport else ExchangeState.HELD,
        transport=transport.name if transport else "",
        next_attempt_at=timezone.now() if transport else None,
    )
    audit.record(
        verb=AuditVerbs.EXCHANGE_QUEUED,
        target=message,
        organization=message.organization,
        data={"kind": kind, "to": organ_id, "status_code": status_code, "business_type": business_type},
    )
    if transport is not None:
        pk = message.pk
        transaction.on_commit(lambda: exchange_send_task.enqueue(message_id=pk))
    return message


def _retry_delay(attempts: int) -> dt.timedelta:
    index = min(max(attempts, 1), len(RETRY_DELAYS_MINUTES)) - 1
    return dt.timedelta(minutes=RETRY_DELAYS_MINUTES[index])


def exchange_send(message_id: int, *, transport: Transport | None = None) -> str:
    """One delivery attempt of a queued message; returns its state afterwards. Safe to run twice.

    The row is claimed under a lock (a message already sent, failed for good or held is left alone), so two
    workers never send it both.
    """
    with transaction.atomic():
        message = ExchangeMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.state != ExchangeState.QUEUED or message.direction != ExchangeDirection.OUT:
            return message.state if message else ""
        transport = transport or transport_for()
        if transport is None:
            message.state = ExchangeState.HELD
            message.save(update_fields=["state", "updated_at"])
            return message.state
        message.attempts += 1
        message.transport = transport.name
        try:
            reference = transport.send(message)
        except TransportError as exc:
            message.last_error = str(exc)[:500]
            limit = int(settings.DOCUMENTS_EXCHANGE_MAX_ATTEMPTS)
            if message.attempts >= limit:
                message.state = ExchangeState.FAILED
                message.next_attempt_at = None
            else:
                message.next_attempt_at = timezone.now() + _retry_delay(message.attempts)
            logger.warning("edXML message %s not delivered (attempt %s): %s", message.pk, message.attempts, exc)
            verb = AuditVerbs.EXCHANGE_FAILED
        else:
            message.state = ExchangeState.SENT
            message.sent_at = timezone.now()
            message.remote_id = reference[:255]
            message.last_error = ""
            message.next_attempt_at = None
            verb = AuditVerbs.EXCHANGE_SENT
        message.save()
        audit.record(
            verb=verb,
            target=message,
            organization=message.organization,
            data={"attempts": message.attempts, "state": message.state, "error": message.last_error},
        )
        return message.state


@task()
def exchange_send_task(message_id: int) -> str:
    """Background delivery of one message (see :func:`exchange_send`)."""
    return exchange_send(message_id)


def exchange_retry_due(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Attempt every queued message whose next attempt is due; returns how many were attempted."""
    now = now or timezone.now()
    due = list(
        ExchangeMessage.objects.filter(
            direction=ExchangeDirection.OUT, state=ExchangeState.QUEUED, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        exchange_send(pk)
    return len(due)


def exchange_release_held() -> int:
    """Queue the held messages again once a transport is configured (they were kept, not lost)."""
    if transport_for() is None:
        return 0
    return ExchangeMessage.objects.filter(direction=ExchangeDirection.OUT, state=ExchangeState.HELD).update(
        state=ExchangeState.QUEUED, next_attempt_at=timezone.now()
    )


def exchange_record_received(
    *,
    organization: Organization,
    kind: str,
    payload: bytes,
    organ_id: str,
    name: str = "",
    document_id: str = "",
    status_code: str = "",
    business_type: int | None = None,
    incoming: IncomingDocument | None = None,
    outgoing: OutgoingDocument | None = None,
) -> ExchangeMessage:
    """Log a received package or status message (the log keeps both directions)."""
    return ExchangeMessage.objects.create(
        organization=organization,
        direction=ExchangeDirection.IN,
        kind=kind,
        payload=payload.decode("utf-8", errors="replace")[: 5 * 1024 * 1024] if kind == ExchangeKind.STATUS else "",
        counterpart_organ_id=organ_id[:32],
        counterpart_name=name[:255],
        document_id=document_id[:255],
        status_code=status_code,
        business_type=business_type,
        incoming=incoming,
        outgoing=outgoing,
        state=ExchangeState.RECEIVED,
        sent_at=timezone.now(),
    )
