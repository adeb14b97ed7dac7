"""Reading edXML packages and status messages safely (defusedxml), with explicit, recorded repairs.

The reader refuses DTDs, entity declarations and external references, oversize input, wrong namespaces,
missing required fields (all listed at once) and bad dates, numbers or base64. It repairs only defects that
cannot change the data, and records a warning for each: stray characters before the XML declaration, the
well-known ``xlink:``/``edXML:`` prefixes used without a declaration, an unexpanded test placeholder instead of
attachment content, and the literal text ``null`` that Java senders write for a missing value.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar
from xml.etree.ElementTree import Element

from .models import (
    DEFAULT_MAX_BYTES,
    EDXML_TIMEZONE,
    NAMESPACE,
    TIMESTAMP_FORMAT,
    XLINK_NAMESPACE,
    XMLDSIG_NAMESPACE,
    Attachment,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    Code,
    DocumentType,
    EdxmlError,
    EdxmlWarning,
    Extra,
    ManifestReference,
    MessageHeader,
    Organization,
    OtherInfo,
    Package,
    ParsedPackage,
    ParsedStatus,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusMessage,
    TraceHeader,
    XmlNode,
)
from .safe import load

__all__ = ["parse_package", "parse_status"]

T = TypeVar("T")

_NS = "{" + NAMESPACE + "}"
_INT = re.compile(r"[0-9]{1,9}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}/[0-9]{2}/[0-9]{2}", re.ASCII)
_TIMESTAMP = re.compile(r"[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", re.ASCII)
_PLACEHOLDER = re.compile(r"\$\{[^{}]*\}")
_STATUS_CODE = re.compile(r"[0-9]{2}", re.ASCII)


def parse_package(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedPackage:
    """Read an edXML document package (new, revocation, update or replacement) into a :class:`Package`.

    Raises :class:`EdxmlError` (never anything else for bad input) with every defect found.
    """
    _require_bytes(data)
    return _guarded(lambda: _read_package(data, max_bytes))


def parse_status(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedStatus:
    """Read an edXML status message (StatusCode 01, 02, ... 16) into a :class:`StatusMessage`.

    Raises :class:`EdxmlError` (never anything else for bad input) with every defect found.
    """
    _require_bytes(data)
    return _guarded(lambda: _read_status(data, max_bytes))


def _require_bytes(data: object) -> None:
    """A str or file object is a programming error, not a bad file: say so with a TypeError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"edXML must be given as bytes, not {type(data).__name__}")


def _guarded(read: Callable[[], T]) -> T:
    """Turn any unforeseen failure into an EdxmlError, so a hostile file can never surface as a 500."""
    try:
        return read()
    except EdxmlError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise EdxmlError(f"the file is too complex to read ({type(exc).__name__})") from exc
    except Exception as exc:  # a bug in this module; still never leak a raw exception to the caller
        raise EdxmlError(f"unexpected internal error while reading edXML: {type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------------------------------------------
# Element access with problem collection


def _key(tag: object) -> str:
    if not isinstance(tag, str):
        return "#other"
    if tag.startswith(_NS):
        return tag[len(_NS) :]
    return tag if tag.startswith("{") else "{}" + tag


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text).strip()
    return text or None


def _raw(element: Element) -> XmlNode:
    """Keep an element verbatim (NFC text, whitespace-only text dropped) as an XmlNode tree."""

    def keep(text: str | None) -> str | None:
        return unicodedata.normalize("NFC", text) if text is not None and text.strip() else None

    return XmlNode(
        tag=str(element.tag),
        attributes=tuple((str(k), unicodedata.normalize("NFC", v)) for k, v in element.attrib.items()),
        text=keep(element.text),
        children=tuple(_raw(child) for child in element if isinstance(child.tag, str)),
        tail=keep(element.tail),
    )


class _Context:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.warnings: list[EdxmlWarning] = []

    def node(self, element: Element, path: str) -> _Node:
        return _Node(self, element, path)

    def fail(self) -> None:
        if self.problems:
            missing = [p.removesuffix(": missing") for p in self.problems if p.endswith(": missing")]
            other = [p for p in self.problems if not p.endswith(": missing")]
            problems = ([f"missing required field(s): {', '.join(missing)}"] if missing else []) + other
            raise EdxmlError(problems)


class _Node:
    """A parent element: children grouped by name, typed getters that record problems under a path."""

    def __init__(self, ctx: _Context, element: Element, path: str) -> None:
        self.ctx, self.element, self.path = ctx, element, path
        self.groups: dict[str, list[Element]] = {}
        for child in element:
            self.groups.setdefault(_key(child.tag), []).append(child)
        self.used: set[str] = set()

    def all(self, name: str) -> list[Element]:
        self.used.add(name)
        return self.groups.get(name, [])

    def one(self, name: str) -> Element | None:
        found = self.all(name)
        if len(found) > 1:
            self.ctx.problems.append(f"{self.path}/{name}: appears {len(found)} times, expected once")
        return found[0] if found else None

    def child(self, name: str, *, required: bool = False, path: str | None = None) -> _Node | None:
        element = self.one(name)
        if element is None:
            if required:
                self.ctx.problems.append(f"{self.path}/{name}: missing")
            return None
        return _Node(self.ctx, element, path or f"{self.path}/{name}")

    def each(self, name: str) -> list[_Node]:
        return [_Node(self.ctx, el, f"{self.path}/{name}[{i}]") for i, el in enumerate(self.all(name), 1)]

    def text_of(self, element: Element, path: str) -> str | None:
        if len(element):
            self.ctx.problems.append(f"{path}: expected text, found child elements")
            return None
        value = _clean(element.text)
        if value == "null":
            self.ctx.warnings.append(
                EdxmlWarning("null-literal", f"{path} holds the literal text 'null'; read as an empty value")
            )
            return None
        return value

    def text(self, name: str, *, required: bool = False) -> str | None:
        element = self.one(name)
        value = None if element is None else self.text_of(element, f"{self.path}/{name}")
        if value is None and required:
            self.ctx.problems.append(f"{self.path}/{name}: missing")
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        values = (self.text_of(element, f"{self.path}/{name}") for element in self.all(name))
        return tuple(value for value in values if value is not None)

    def req(self, name: str) -> str:
        return self.text(name, required=True) or ""

    def _typed(
        self, name: str, required: bool, pattern: re.Pattern[str], convert: Callable[[str], T], what: str
    ) -> T | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if pattern.fullmatch(value):
            try:
                return convert(value)
            except ValueError:
                pass
        self.ctx.problems.append(f"{self.path}/{name}: {value!r} is not {what}")
        return None

    def integer(self, name: str, *, required: bool = False) -> int | None:
        return self._typed(name, required, _INT, int, "a whole number")

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        return self._typed(
            name, required, _DATE, lambda v: dt.date(*map(int, v.split("/"))), "a valid date (yyyy/MM/dd)"
        )

    def timestamp(self, name: str, *, required: bool = False) -> dt.datetime | None:
        return self._typed(
            name,
            required,
            _TIMESTAMP,
            lambda v: dt.datetime.strptime(v, TIMESTAMP_FORMAT).replace(tzinfo=EDXML_TIMEZONE),
            "a valid timestamp (yyyy/MM/dd HH:mm:ss)",
        )

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        self.ctx.problems.append(f"{self.path}/{name}: {value!r} is not true or false")
        return None

    def extra(self, *, exclude: tuple[str, ...] = ()) -> Extra:
        return {
            key: tuple(_raw(element) for element in elements)
            for key, elements in self.groups.items()
            if key not in self.used and key not in exclude and key != "#other"
        }


# --------------------------------------------------------------------------------------------------------------
# Packages


def _envelope(ctx: _Context, root: Element) -> tuple[_Node, _Node | None, _Node | None, _Node | None]:
    top = ctx.node(root, "edXML")
    envelope = top.child("edXMLEnvelope", required=True)
    header = envelope.child("edXMLHeader", required=True, path="edXMLHeader") if envelope else None
    message = header.child("MessageHeader", required=True, path="MessageHeader") if header else None
    return top, envelope, header, message


def _read_package(data: bytes, max_bytes: int) -> ParsedPackage:
    ctx = _Context()
    root = load(data, max_bytes, ctx.warnings)
    top, envelope, header, message = _envelope(ctx, root)
    if message is not None and message.groups.get("StatusCode"):
        raise EdxmlError("this is an edXML status message (it has a StatusCode), not a document package")
    ctx.fail()
    assert envelope is not None and header is not None and message is not None
    extra: dict[str, tuple[XmlNode, ...]] = {}
    message_header = _message_header(message)
    trace: tuple[TraceHeader, ...] = ()
    business = None
    trace_list = header.child("TraceHeaderList", path="TraceHeaderList")
    if trace_list is not None:
        trace = tuple(_trace_header(item) for item in trace_list.each("TraceHeader"))
        business_node = trace_list.child("Bussiness")
        business = _business(business_node) if business_node else None
        _merge_extra(extra, "TraceHeaderList", trace_list.extra())
    signature = _signature(header)
    manifest: tuple[ManifestReference, ...] = ()
    body = envelope.child("edXMLBody", path="edXMLBody")
    if body is not None:
        manifest_node = body.child("edXMLManifest")
        if manifest_node is not None:
            version = manifest_node.element.get("version")
            if version not in (None, "1.0"):
                ctx.warnings.append(
                    EdxmlWarning("manifest-version", f"edXMLManifest has version {version!r}; 1.0 was expected")
                )
            manifest = tuple(_reference(item) for item in manifest_node.each("Reference"))
            _merge_extra(extra, "edXMLManifest", manifest_node.extra())
        _merge_extra(extra, "edXMLBody", body.extra())
    attachments: tuple[Attachment, ...] = ()
    encoded = top.child("AttachmentEncoded", path="AttachmentEncoded")
    if encoded is not None:
        attachments = tuple(_attachment(item, index) for index, item in enumerate(encoded.each("Attachment"), 1))
        _merge_extra(extra, "AttachmentEncoded", encoded.extra())
    _merge_extra(extra, "edXMLHeader", header.extra())
    _merge_extra(extra, "edXMLEnvelope", envelope.extra())
    _merge_extra(extra, "edXML", top.extra())
    ctx.fail()
    _check_attachments(ctx, manifest, attachments)
    _check_codes(ctx, message_header, business)
    package = Package(
        header=message_header,
        trace=trace,
        business=business,
        signature=signature,
        manifest=manifest,
        attachments=attachments,
        extra=extra,
    )
    return ParsedPackage(package=package, warnings=tuple(ctx.warnings))


def _merge_extra(target: dict[str, tuple[XmlNode, ...]], parent: str, extra: Extra) -> None:
    for key, nodes in extra.items():
        target[f"{parent}/{key}"] = nodes


def _signature(header: _Node) -> XmlNode | None:
    found = header.all("Signature") + header.all("{" + XMLDSIG_NAMESPACE + "}Signature")
    if len(found) > 1:
        header.ctx.problems.append(f"{header.path}/Signature: appears {len(found)} times, expected once")
    return _raw(found[0]) if found else None


def _organization(node: _Node) -> Organization:
    return Organization(
        organ_id=node.req("OrganId"),
        organization_in_charge=node.text("OrganizationInCharge"),
        organ_name=node.text("OrganName"),
        organ_add=node.text("OrganAdd"),
        email=node.text("Email"),
        telephone=node.text("Telephone"),
        fax=node.text("Fax"),
        website=node.text("Website"),
        extra=node.extra(),
    )


def _response_for(node: _Node) -> ResponseFor:
    return ResponseFor(
        organ_id=node.text("OrganId"),
        code=node.text("Code"),
        promulgation_date=node.date("PromulgationDate"),
        document_id=node.text("DocumentId"),
    )


def _message_header(node: _Node) -> MessageHeader:
    ctx = node.ctx
    sender = node.child("From", required=True)
    sender_org = _organization(sender) if sender else Organization(organ_id="")
    code = node.child("Code", required=True)
    code_value = Code(number=code.req("CodeNumber"), notation=code.req("CodeNotation")) if code else None
    info = node.child("PromulgationInfo", required=True)
    date = info.date("PromulgationDate", required=True) if info else None
    doc_type = node.child("DocumentType", required=True)
    type_value = (
        DocumentType(
            type=doc_type.integer("Type", required=True) or 0,
            type_detail=doc_type.integer("TypeDetail"),
            type_name=doc_type.req("TypeName"),
        )
        if doc_type
        else DocumentType(type=0, type_name="")
    )
    subject = node.req("Subject")
    signer = node.child("SignerInfo")
    other = node.child("OtherInfo")
    to_places = node.child("ToPlaces")
    responses = (_response_for(item) for item in node.each("ResponseFor"))
    if other is not None:
        appendixes = other.child("Appendixes")
        other_info = OtherInfo(
            priority=other.integer("Priority"),
            sphere_of_promulgation=other.text("SphereOfPromulgation"),
            typer_notation=other.text("TyperNotation"),
            promulgation_amount=other.integer("PromulgationAmount"),
            page_amount=other.integer("PageAmount"),
            direction=other.boolean("Direction"),
            appendixes=appendixes.texts("Appendix") if appendixes else (),
            extra=other.extra(),
        )
        if appendixes is not None and appendixes.extra():
            ctx.problems.append(f"{appendixes.path}: unexpected element(s) {', '.join(appendixes.extra())}")
    return MessageHeader(
        sender=sender_org,
        to=tuple(_organization(item) for item in node.each("To")),
        document_id=node.text("DocumentId"),
        code=code_value or Code(number="", notation=""),
        promulgation_info=PromulgationInfo(
            place=info.text("Place") if info else None, promulgation_date=date or dt.date.min
        ),
        document_type=type_value,
        subject=subject,
        content=node.text("Content"),
        signer_info=SignerInfo(
            competence=signer.text("Competence"), position=signer.text("Position"), full_name=signer.text("FullName")
        )
        if signer
        else None,
        due_date=node.date("DueDate"),
        other_info=other_info if other is not None else None,
        response_for=tuple(r for r in responses if r != ResponseFor()),
        steering_type=node.integer("SteeringType"),
        to_places=to_places.texts("Place") if to_places else (),
        extra=node.extra(),
    )


def _trace_header(node: _Node) -> TraceHeader:
    return TraceHeader(organ_id=node.text("OrganId"), timestamp=node.timestamp("Timestamp"), extra=node.extra())


def _staff_info(node: _Node | None) -> StaffInfo | None:
    if node is None:
        return None
    return StaffInfo(
        department=node.text("Department"),
        department_id=node.text("DepartmentId"),
        staff=node.text("Staff"),
        staff_id=node.text("StaffId"),
        mobile=node.text("Mobile"),
        email=node.text("Email"),
        extra=node.extra(),
    )


def _business(node: _Node) -> Business:
    info = node.child("BussinessDocumentInfo")
    document_info = None
    if info is not None:
        receiver_list = info.child("ReceiverList")
        receivers: tuple[Receiver, ...] = ()
        if receiver_list is not None:
            receivers = tuple(
                Receiver(organ_id=r.text("OrganId"), receiver_type=r.integer("ReceiverType"))
                for r in receiver_list.each("Receiver")
            )
        document_info = BusinessDocumentInfo(
            document_info=info.integer("DocumentInfo"),
            document_receiver=info.integer("DocumentReceiver"),
            receivers=receivers,
            extra=info.extra(),
        )
    replacements: tuple[ReplacementInfo, ...] = ()
    replacement_list = node.child("ReplacementInfoList")
    if replacement_list is not None:
        items = []
        for item in replacement_list.each("ReplacementInfo"):
            organs = item.child("OrganIdList")
            items.append(
                ReplacementInfo(
                    document_id=item.text("DocumentId"), organ_ids=organs.texts("OrganId") if organs else ()
                )
            )
        replacements = tuple(items)
    doc_type = node.integer("BussinessDocType")
    if doc_type is not None and doc_type in set(BusinessDocType):
        doc_type = BusinessDocType(doc_type)
    return Business(
        business_doc_type=doc_type,
        business_doc_reason=node.text("BussinessDocReason"),
        document_id=node.text("DocumentId"),
        paper=node.integer("Paper"),
        document_info=document_info,
        replacement_info=replacements,
        staff_info=_staff_info(node.child("StaffInfo")),
        extra=node.extra(),
    )


def _reference(node: _Node) -> ManifestReference:
    return ManifestReference(
        content_id=node.text("ContentId"),
        content_type=node.text("ContentType"),
        description=node.text("Description"),
        attachment_name=node.text("AttachmentName"),
        href=_clean(node.element.get("{" + XLINK_NAMESPACE + "}href")),
        extra=node.extra(),
    )


def _attachment(node: _Node, index: int) -> Attachment:
    ctx = node.ctx
    name = node.text("AttachmentName")
    content_id = node.text("ContentId")
    label = f"attachment {index} ({name or content_id or 'unnamed'!r})" if name or content_id else f"attachment {index}"
    encoded = node.one("ContentTransferEncoded")
    content: bytes | None = None
    if encoded is None:
        ctx.warnings.append(EdxmlWarning("attachment-without-content", f"{label} carries no content"))
    elif len(encoded):
        ctx.problems.append(f"{label}: ContentTransferEncoded has child elements instead of base64 text")
    else:
        text = "".join((encoded.text or "").split())
        if _PLACEHOLDER.fullmatch(text):
            ctx.warnings.append(
                EdxmlWarning(
                    "attachment-placeholder",
                    f"{label} holds the unexpanded template placeholder {text!r} instead of base64 content; "
                    "its content was not imported",
                )
            )
        else:
            try:
                content = base64.b64decode(text, validate=True)
            except ValueError as exc:
                ctx.problems.append(f"{label}: ContentTransferEncoded is not valid base64 ({exc})")
    return Attachment(
        content_id=content_id,
        attachment_name=name,
        description=node.text("Description"),
        content_type=node.text("ContentType"),
        content=content,
        extra=node.extra(),
    )


def _check_attachments(
    ctx: _Context, manifest: tuple[ManifestReference, ...], attachments: tuple[Attachment, ...]
) -> None:
    """Warn when the envelope's manifest and the encoded attachments disagree (both are kept as they are)."""
    by_id = {a.content_id: a for a in attachments if a.content_id}
    listed = {r.content_id for r in manifest if r.content_id}
    for ref in manifest:
        att = by_id.get(ref.content_id) if ref.content_id else None
        if att is None:
            ctx.warnings.append(
                EdxmlWarning(
                    "manifest-mismatch",
                    f"the manifest lists {ref.content_id or ref.attachment_name!r} but no attachment carries it",
                )
            )
            continue
        for label, left, right in (
            ("ContentType", ref.content_type, att.content_type),
            ("AttachmentName", ref.attachment_name, att.attachment_name),
        ):
            if left and right and left != right:
                ctx.warnings.append(
                    EdxmlWarning(
                        "manifest-mismatch",
                        f"{label} of {ref.content_id!r} is {left!r} in the manifest but {right!r} in the attachment",
                    )
                )
    for att in attachments:
        if att.content_id not in listed:
            ctx.warnings.append(
                EdxmlWarning(
                    "manifest-mismatch",
                    f"attachment {att.content_id or att.attachment_name!r} is not listed in the manifest",
                )
            )


def _check_codes(ctx: _Context, header: MessageHeader, business: Business | None) -> None:
    checks = [
        ("MessageHeader/OtherInfo/Priority", header.other_info and header.other_info.priority, range(5)),
        ("MessageHeader/SteeringType", header.steering_type, range(3)),
        ("TraceHeaderList/Bussiness/BussinessDocType", business and business.business_doc_type, range(4)),
    ]
    for path, value, known in checks:
        if isinstance(value, int) and not isinstance(value, bool) and value not in known:
            ctx.warnings.append(EdxmlWarning("unknown-code", f"{path} has the unknown value {value}"))


# --------------------------------------------------------------------------------------------------------------
# Status messages


def _read_status(data: bytes, max_bytes: int) -> ParsedStatus:
    ctx = _Context()
    root = load(data, max_bytes, ctx.warnings)
    top, envelope, header, message = _envelope(ctx, root)
    ctx.fail()
    assert envelope is not None and header is not None and message is not None
    if not message.groups.get("StatusCode") and (message.groups.get("Subject") or message.groups.get("Code")):
        raise EdxmlError("this is an edXML document package, not a status message (it has no StatusCode)")
    sender = message.child("From", required=True)
    response = message.child("ResponseFor", required=True)
    response_for = _response_for(response) if response else ResponseFor()
    if response is not None and response_for.document_id is None:
        ctx.problems.append(f"{response.path}/DocumentId: missing")
    code = message.req("StatusCode")
    if code and not _STATUS_CODE.fullmatch(code):
        ctx.problems.append(f"{message.path}/StatusCode: {code!r} is not a two-digit status code")
    timestamp = message.timestamp("Timestamp", required=True)
    status = StatusMessage(
        sender=_organization(sender) if sender else Organization(organ_id=""),
        response_for=response_for,
        staff_info=_staff_info(message.child("StaffInfo")),
        status_code=code,
        description=message.text("Description"),
        timestamp=timestamp or dt.datetime.min.replace(tzinfo=EDXML_TIMEZONE),
        signature=_signature(header),
        extra={
            **message.extra(),
            **{f"edXMLHeader/{k}": v for k, v in header.extra().items()},
            **{f"edXMLEnvelope/{k}": v for k, v in envelope.extra().items()},
            **{f"edXML/{k}": v for k, v in top.extra().items()},
        },
    )
    ctx.fail()
    try:
        status = replace(status, status_code=StatusCode(status.status_code))
    except ValueError:
        ctx.warnings.append(EdxmlWarning("unknown-code", f"StatusCode {status.status_code!r} is not a known code"))
    return ParsedStatus(status=status, warnings=tuple(ctx.warnings))
