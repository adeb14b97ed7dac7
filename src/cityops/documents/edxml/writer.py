"""Writing edXML packages and status messages in the layout of the national SDK samples.

The output is UTF-8 with the QCVN namespace as default on the root and the ``edXML:`` and ``xlink:`` prefixes
declared there too; elements inside ``edXMLEnvelope`` use the ``edXML:`` prefix and the attachments after it the
default namespace, exactly as the samples do (some receivers compare prefixed names literally). Dates are
``yyyy/MM/dd``, timestamps ``yyyy/MM/dd HH:mm:ss`` in Vietnamese local time, attachments plain base64 on one line.
The writer does not sign: a ``signature`` carried over from a parsed package is written back verbatim and will
not verify over the rebuilt bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import (
    EDXML_TIMEZONE,
    NAMESPACE,
    XLINK_NAMESPACE,
    Attachment,
    Business,
    EdxmlError,
    Extra,
    ManifestReference,
    MessageHeader,
    Organization,
    OtherInfo,
    Package,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    XmlNode,
)

__all__ = ["build_package", "build_status", "make_document_id", "make_manifest"]

_XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NAME = re.compile(r"[A-Za-z_][\w.\-]*")
_STATUS_CODE = re.compile(r"[0-9]{2}", re.ASCII)
_PACKAGE_EXTRA_PARENTS = (
    "edXML",
    "edXMLEnvelope",
    "edXMLHeader",
    "TraceHeaderList",
    "edXMLBody",
    "edXMLManifest",
    "AttachmentEncoded",
)


def build_package(pkg: Package) -> bytes:
    """Write a :class:`Package` as edXML bytes, refusing (EdxmlError, all problems listed) what cannot be valid."""
    problems = _package_problems(pkg)
    if problems:
        raise EdxmlError(problems)
    extra = _split_extra(pkg.extra, _PACKAGE_EXTRA_PARENTS)
    header = _el(
        "edXMLHeader",
        _message_header(pkg.header),
        _trace_list(pkg.trace, pkg.business, extra["TraceHeaderList"]),
        _raw(pkg.signature) if pkg.signature else None,
        *_extras(extra["edXMLHeader"]),
    )
    body = None
    if pkg.manifest or extra["edXMLManifest"] or extra["edXMLBody"]:
        manifest = _el("edXMLManifest", *map(_reference, pkg.manifest), *_extras(extra["edXMLManifest"]))
        manifest.attributes.append(("version", "1.0"))
        body = _el("edXMLBody", manifest, *_extras(extra["edXMLBody"]))
    envelope = _el("edXMLEnvelope", header, body, *_extras(extra["edXMLEnvelope"]))
    encoded = None
    if pkg.attachments or extra["AttachmentEncoded"]:
        encoded = _el("AttachmentEncoded", *map(_attachment, pkg.attachments), *_extras(extra["AttachmentEncoded"]))
        encoded.prefixed = False
    return _serialize(_root(envelope, encoded, *_extras(extra["edXML"])))


def build_status(msg: StatusMessage) -> bytes:
    """Write a :class:`StatusMessage` as edXML bytes, refusing (EdxmlError) a message that cannot be valid."""
    problems = _organization_problems(msg.sender, "MessageHeader/From")
    if not _text(msg.response_for.document_id):
        problems.append("MessageHeader/ResponseFor/DocumentId: missing")
    if not _STATUS_CODE.fullmatch(str(msg.status_code)):
        problems.append(f"MessageHeader/StatusCode: {msg.status_code!r} is not a two-digit status code")
    problems += _timestamp_problems(msg.timestamp, "MessageHeader/Timestamp", required=True)
    if problems:
        raise EdxmlError(_summarise(problems))
    extra = _split_extra(msg.extra, ("edXML", "edXMLEnvelope", "edXMLHeader"), default="MessageHeader")
    message = _el(
        "MessageHeader",
        _organization("From", msg.sender),
        _response_for(msg.response_for),
        _staff_info(msg.staff_info),
        _leaf("StatusCode", str(msg.status_code)),
        _leaf("Description", msg.description),
        _leaf("Timestamp", _format_timestamp(msg.timestamp)),
        *_extras(extra["MessageHeader"]),
    )
    header = _el("edXMLHeader", message, _raw(msg.signature) if msg.signature else None, *_extras(extra["edXMLHeader"]))
    envelope = _el("edXMLEnvelope", header, *_extras(extra["edXMLEnvelope"]))
    return _serialize(_root(envelope, *_extras(extra["edXML"])))


def make_document_id(organ_id: str, promulgation_date: dt.date, number: str | int, notation: str) -> str:
    """The QCVN 102 item 1.14 document identifier, ``<OrganId>,<yyyy/MM/dd>,<number>/<notation>``."""
    return f"{organ_id},{_format_date(promulgation_date)},{number}/{notation}"


def make_manifest(attachments: Iterable[Attachment]) -> tuple[ManifestReference, ...]:
    """The manifest references that describe ``attachments`` (one per attachment, same id, name and type)."""
    return tuple(
        ManifestReference(
            content_id=a.content_id,
            content_type=a.content_type,
            description=a.description,
            attachment_name=a.attachment_name,
        )
        for a in attachments
    )


# --------------------------------------------------------------------------------------------------------------
# Validation


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return unicodedata.normalize("NFC", value).strip() or None


def _organization_problems(org: Organization, path: str) -> list[str]:
    return [] if _text(org.organ_id) else [f"{path}/OrganId: missing"]


def _timestamp_problems(value: dt.datetime | None, path: str, *, required: bool = False) -> list[str]:
    if value is None:
        return [f"{path}: missing"] if required else []
    if not isinstance(value, dt.datetime):
        return [f"{path}: {value!r} is not a datetime"]
    if value.tzinfo is None or value.utcoffset() is None:
        return [f"{path}: {value.isoformat()} has no time zone; give an aware datetime"]
    return []


def _package_problems(pkg: Package) -> list[str]:
    header = pkg.header
    problems = _organization_problems(header.sender, "MessageHeader/From")
    for index, org in enumerate(header.to, 1):
        problems += _organization_problems(org, f"MessageHeader/To[{index}]")
    for path, value in (
        ("MessageHeader/Code/CodeNumber", header.code.number),
        ("MessageHeader/Code/CodeNotation", header.code.notation),
        ("MessageHeader/DocumentType/TypeName", header.document_type.type_name),
        ("MessageHeader/Subject", header.subject),
    ):
        if not _text(value):
            problems.append(f"{path}: missing")
    if not isinstance(header.promulgation_info.promulgation_date, dt.date):
        problems.append("MessageHeader/PromulgationInfo/PromulgationDate: missing")
    if not isinstance(header.document_type.type, int):
        problems.append("MessageHeader/DocumentType/Type: missing")
    for index, trace in enumerate(pkg.trace, 1):
        problems += _timestamp_problems(trace.timestamp, f"TraceHeaderList/TraceHeader[{index}]/Timestamp")
    return _summarise(problems)


def _summarise(problems: list[str]) -> list[str]:
    missing = [p.removesuffix(": missing") for p in problems if p.endswith(": missing")]
    other = [p for p in problems if not p.endswith(": missing")]
    return ([f"missing required field(s): {', '.join(missing)}"] if missing else []) + other


# --------------------------------------------------------------------------------------------------------------
# Element construction


@dataclass(slots=True)
class _W:
    """An element to write; ``prefixed`` asks for the ``edXML:`` prefix on edXML-namespace names."""

    tag: str
    attributes: list[tuple[str, str]] = field(default_factory=list)
    text: str | None = None
    children: list[_W] = field(default_factory=list)
    tail: str | None = None
    prefixed: bool = True

    def set_prefixed(self, prefixed: bool) -> None:
        self.prefixed = prefixed
        for child in self.children:
            child.set_prefixed(prefixed)


def _el(local: str, *children: _W | None) -> _W:
    return _W("{" + NAMESPACE + "}" + local, children=[c for c in children if c is not None])


def _leaf(local: str, value: str | None) -> _W | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _W("{" + NAMESPACE + "}" + local, text=value)


def _int(local: str, value: int | None) -> _W | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise EdxmlError(f"{local}: {value!r} is not a whole number")
    return _leaf(local, str(int(value)))


def _format_date(value: dt.date) -> str:
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def _format_timestamp(value: dt.datetime) -> str:
    local = value.astimezone(EDXML_TIMEZONE)
    return f"{_format_date(local)} {local.hour:02d}:{local.minute:02d}:{local.second:02d}"


def _date(local: str, value: dt.date | None) -> _W | None:
    return None if value is None else _leaf(local, _format_date(value))


def _raw(node: XmlNode) -> _W:
    return _W(
        node.tag,
        attributes=list(node.attributes),
        text=node.text,
        children=[_raw(child) for child in node.children],
        tail=node.tail,
        prefixed=False,
    )


def _extras(extra: Extra) -> list[_W]:
    return [_raw(node) for nodes in extra.values() for node in nodes]


def _split_extra(extra: Extra, parents: tuple[str, ...], default: str | None = None) -> dict[str, Extra]:
    """Group ``"<parent>/<name>"`` extra keys by parent (plain keys go to ``default``)."""
    result: dict[str, dict[str, tuple[XmlNode, ...]]] = {parent: {} for parent in (*parents, default) if parent}
    for key, nodes in extra.items():
        parent, sep, name = key.partition("/")
        if sep and parent in parents:
            result[parent][name] = nodes
        elif default:
            result[default][key] = nodes
        else:
            raise EdxmlError(f"extra element {key!r}: its parent must be one of {', '.join(parents)}")
    return {parent: nodes for parent, nodes in result.items()}


def _organization(local: str, org: Organization) -> _W:
    return _el(
        local,
        _leaf("OrganId", org.organ_id),
        _leaf("OrganizationInCharge", org.organization_in_charge),
        _leaf("OrganName", org.organ_name),
        _leaf("OrganAdd", org.organ_add),
        _leaf("Email", org.email),
        _leaf("Telephone", org.telephone),
        _leaf("Fax", org.fax),
        _leaf("Website", org.website),
        *_extras(org.extra),
    )


def _response_for(response: ResponseFor) -> _W | None:
    if response == ResponseFor():
        return None
    return _el(
        "ResponseFor",
        _leaf("OrganId", response.organ_id),
        _leaf("Code", response.code),
        _date("PromulgationDate", response.promulgation_date),
        _leaf("DocumentId", response.document_id),
    )


def _other_info(info: OtherInfo | None) -> _W | None:
    if info is None:
        return None
    return _el(
        "OtherInfo",
        _int("Priority", info.priority),
        _leaf("SphereOfPromulgation", info.sphere_of_promulgation),
        _leaf("TyperNotation", info.typer_notation),
        _int("PromulgationAmount", info.promulgation_amount),
        _int("PageAmount", info.page_amount),
        None if info.direction is None else _leaf("Direction", "true" if info.direction else "false"),
        _el("Appendixes", *(_leaf("Appendix", a) for a in info.appendixes)) if info.appendixes else None,
        *_extras(info.extra),
    )


def _message_header(header: MessageHeader) -> _W:
    signer = header.signer_info
    return _el(
        "MessageHeader",
        _organization("From", header.sender),
        *(_organization("To", org) for org in header.to),
        _leaf("DocumentId", header.document_id),
        _el("Code", _leaf("CodeNumber", header.code.number), _leaf("CodeNotation", header.code.notation)),
        _el(
            "PromulgationInfo",
            _leaf("Place", header.promulgation_info.place),
            _date("PromulgationDate", header.promulgation_info.promulgation_date),
        ),
        _el(
            "DocumentType",
            _int("Type", header.document_type.type),
            _int("TypeDetail", header.document_type.type_detail),
            _leaf("TypeName", header.document_type.type_name),
        ),
        _leaf("Subject", header.subject),
        _leaf("Content", header.content),
        _el(
            "SignerInfo",
            _leaf("Competence", signer.competence),
            _leaf("Position", signer.position),
            _leaf("FullName", signer.full_name),
        )
        if signer
        else None,
        _date("DueDate", header.due_date),
        _other_info(header.other_info),
        *(_response_for(r) for r in header.response_for),
        _int("SteeringType", header.steering_type),
        _el("ToPlaces", *(_leaf("Place", p) for p in header.to_places)) if header.to_places else None,
        *_extras(header.extra),
    )


def _trace_header(trace: TraceHeader) -> _W:
    return _el(
        "TraceHeader",
        _leaf("OrganId", trace.organ_id),
        _leaf("Timestamp", _format_timestamp(trace.timestamp)) if trace.timestamp else None,
        *_extras(trace.extra),
    )


def _staff_info(staff: StaffInfo | None) -> _W | None:
    if staff is None:
        return None
    return _el(
        "StaffInfo",
        _leaf("Department", staff.department),
        _leaf("DepartmentId", staff.department_id),
        _leaf("Staff", staff.staff),
        _leaf("StaffId", staff.staff_id),
        _leaf("Email", staff.email),
        _leaf("Mobile", staff.mobile),
        *_extras(staff.extra),
    )


def _business(business: Business | None) -> _W | None:
    if business is None:
        return None
    info = business.document_info
    return _el(
        "Bussiness",
        _leaf("DocumentId", business.document_id),
        _int("BussinessDocType", business.business_doc_type),
        _leaf("BussinessDocReason", business.business_doc_reason),
        _int("Paper", business.paper),
        _el(
            "BussinessDocumentInfo",
            _int("DocumentInfo", info.document_info),
            _int("DocumentReceiver", info.document_receiver),
            _el(
                "ReceiverList",
                *(
                    _el("Receiver", _leaf("OrganId", r.organ_id), _int("ReceiverType", r.receiver_type))
                    for r in info.receivers
                ),
            )
            if info.receivers
            else None,
            *_extras(info.extra),
        )
        if info
        else None,
        _el(
            "ReplacementInfoList",
            *(
                _el(
                    "ReplacementInfo",
                    _leaf("DocumentId", r.document_id),
                    _el("OrganIdList", *(_leaf("OrganId", o) for o in r.organ_ids)) if r.organ_ids else None,
                )
                for r in business.replacement_info
            ),
        )
        if business.replacement_info
        else None,
        _staff_info(business.staff_info),
        *_extras(business.extra),
    )


def _trace_list(trace: tuple[TraceHeader, ...], business: Business | None, extra: Extra) -> _W | None:
    if not trace and business is None and not extra:
        return None
    return _el("TraceHeaderList", *map(_trace_header, trace), _business(business), *_extras(extra))


def _reference(ref: ManifestReference) -> _W:
    element = _el(
        "Reference",
        _leaf("ContentId", ref.content_id),
        _leaf("ContentType", ref.content_type),
        _leaf("Description", ref.description),
        _leaf("AttachmentName", ref.attachment_name),
        *_extras(ref.extra),
    )
    if ref.href:
        element.attributes.append(("{" + XLINK_NAMESPACE + "}href", ref.href))
    return element


def _attachment(att: Attachment) -> _W:
    content = None
    if att.content is not None:
        content = _W("{" + NAMESPACE + "}ContentTransferEncoded", text=base64.b64encode(att.content).decode("ascii"))
    element = _el(
        "Attachment",
        _leaf("ContentId", att.content_id),
        _leaf("AttachmentName", att.attachment_name),
        _leaf("Description", att.description),
        _leaf("ContentType", att.content_type),
        content,
        *_extras(att.extra),
    )
    element.set_prefixed(False)
    if content is not None:
        content.prefixed = True  # as in the samples: <edXML:ContentTransferEncoded> among unprefixed siblings
    return element


def _root(*children: _W | None) -> _W:
    root = _el("edXML", *children)
    root.prefixed = False
    return root


# --------------------------------------------------------------------------------------------------------------
# Serialisation


def _split_name(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _escape(value: object, path: str, *, attribute: bool = False) -> str:
    if not isinstance(value, str):
        raise EdxmlError(f"{path}: {value!r} is not text")
    value = unicodedata.normalize("NFC", value)
    bad = _INVALID_CHARS.search(value)
    if bad:
        raise EdxmlError(f"{path}: contains the character U+{ord(bad.group()):04X}, which XML does not allow")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if attribute:
        value = value.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return value


def _serialize(root: _W) -> bytes:
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write(root, out, 0, NAMESPACE, "", root=True)
    out.append("\n")
    return "".join(out).encode("utf-8")


def _write(node: _W, out: list[str], depth: int, default_ns: str, path: str, *, root: bool = False) -> None:
    namespace, local = _split_name(node.tag)
    path = f"{path}/{local}" if path else local
    if not _NAME.fullmatch(local):
        raise EdxmlError(f"{path}: {local!r} is not a valid element name")
    declarations: list[tuple[str, str]] = []
    if root:
        declarations = [("xmlns", NAMESPACE), ("xmlns:edXML", NAMESPACE), ("xmlns:xlink", XLINK_NAMESPACE)]
    if namespace == NAMESPACE:
        qname = "edXML:" + local if node.prefixed or default_ns != NAMESPACE else local
    else:
        qname = local
        if default_ns != namespace:
            declarations.append(("xmlns", namespace))
            default_ns = namespace
    attributes: list[tuple[str, str]] = []
    prefixes: dict[str, str] = {}
    for name, value in node.attributes:
        attr_ns, attr_local = _split_name(name)
        if not _NAME.fullmatch(attr_local):
            raise EdxmlError(f"{path}: {attr_local!r} is not a valid attribute name")
        if not attr_ns:
            attributes.append((attr_local, value))
        elif attr_ns == XLINK_NAMESPACE:
            attributes.append(("xlink:" + attr_local, value))
        elif attr_ns == NAMESPACE:
            attributes.append(("edXML:" + attr_local, value))
        elif attr_ns == _XML_NAMESPACE:
            attributes.append(("xml:" + attr_local, value))
        else:
            prefix = prefixes.setdefault(attr_ns, f"ns{len(prefixes)}")
            attributes.append((f"{prefix}:{attr_local}", value))
    declarations += [(f"xmlns:{prefix}", ns) for ns, prefix in prefixes.items()]
    indent = "  " * depth
    text = "".join(
        f' {name}="{_escape(value, f"{path}/@{name}", attribute=True)}"' for name, value in declarations + attributes
    )
    out.append(f"<{qname}{text}")
    if node.text is None and not node.children:
        out.append("/>")
    else:
        out.append(">")
        if node.text is not None:
            out.append(_escape(node.text, path))
        inline = node.text is not None or any(child.tail is not None for child in node.children)
        for child in node.children:
            if not inline:
                out.append("\n" + indent + "  ")
            _write(child, out, depth + 1, default_ns, path)
        if node.children and not inline:
            out.append("\n" + indent)
        out.append(f"</{qname}>")
    if node.tail is not None:
        out.append(_escape(node.tail, path))
