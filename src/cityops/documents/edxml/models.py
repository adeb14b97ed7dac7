"""Data classes for edXML (QCVN 102:2016/BTTTT) packages and status messages.

Every class is a frozen dataclass with value equality, so ``parse(build(x)) == x`` can be checked directly.
Sequences are tuples. Elements the library does not model are kept, not dropped: each class that can meet them
has an ``extra`` mapping from the element's name (its local name when it is in the edXML namespace, otherwise
``{namespace}local``) to the raw elements as :class:`XmlNode` trees; the writer puts them back after the known
children.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
XMLDSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DATE_FORMAT = "%Y/%m/%d"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"
#: edXML dates and timestamps carry no zone; they are Vietnamese local time.
EDXML_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class EdxmlError(ValueError):
    """A file (or object to write) that is not acceptable edXML; ``problems`` lists every defect found."""

    def __init__(self, problems: str | list[str] | tuple[str, ...]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class EdxmlWarning:
    """A defect that was repaired or tolerated while reading; store it on the imported record for the clerk.

    Codes: ``leading-junk`` (stray characters before the XML removed), ``undeclared-prefix`` (``xlink:`` or
    ``edXML:`` declared on the root), ``attachment-placeholder`` (a test placeholder instead of content: content
    not imported), ``attachment-without-content``, ``manifest-mismatch`` (manifest and attachments disagree; both
    kept), ``null-literal`` (the text ``null`` read as empty), ``unknown-code`` (a code outside the known lists),
    ``manifest-version``.
    """

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


class BusinessDocType(enum.IntEnum):
    """``Bussiness/BussinessDocType`` values, as the SDK samples use them."""

    NEW = 0
    REVOCATION = 1
    UPDATE = 2
    REPLACEMENT = 3


class StatusCode(enum.StrEnum):
    """``StatusCode`` values of status messages, as the SDK samples use them (07-12 and 14 are not known)."""

    ARRIVED = "01"
    REJECTED = "02"
    REGISTERED = "03"
    ASSIGNED = "04"
    PROCESSING = "05"
    FINISHED = "06"
    CANCELLATION = "13"
    CHANGE_ACCEPTED = "15"
    CHANGE_REJECTED = "16"


_EMPTY: Mapping[str, tuple[XmlNode, ...]] = MappingProxyType({})


def _no_extra() -> Mapping[str, tuple[XmlNode, ...]]:
    return _EMPTY


Extra = Mapping[str, tuple["XmlNode", ...]]


@dataclass(frozen=True, slots=True)
class XmlNode:
    """A raw XML element kept verbatim (unknown elements, the XML signature): Clark-notation names, NFC text."""

    tag: str
    attributes: tuple[tuple[str, str], ...] = ()
    text: str | None = None
    children: tuple[XmlNode, ...] = ()
    tail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Organization:
    """``From`` / ``To``: an organisation by its QCVN 102 / QĐ 20/2020 code (``OrganId``) and contact data."""

    organ_id: str
    organization_in_charge: str | None = None
    organ_name: str | None = None
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class Code:
    """``Code``: the document's number (``CodeNumber``, kept as text) and notation (``CodeNotation``)."""

    number: str
    notation: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PromulgationInfo:
    """``PromulgationInfo``: place name and date of issue."""

    promulgation_date: dt.date
    place: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentType:
    """``DocumentType``: numeric type code, optional detail code and the type's name (e.g. "Công văn")."""

    type: int
    type_name: str
    type_detail: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerInfo:
    """``SignerInfo``: signing authority prefix (``Competence``, e.g. "TL. BỘ TRƯỞNG"), position and name."""

    competence: str | None = None
    position: str | None = None
    full_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherInfo:
    """``OtherInfo``: priority, circulation scope, drafter's initials, copies, pages, direction, appendixes."""

    priority: int | None = None
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: bool | None = None
    appendixes: tuple[str, ...] = ()
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseFor:
    """``ResponseFor``: the document a package or status message answers (all parts optional in packages)."""

    organ_id: str | None = None
    code: str | None = None
    promulgation_date: dt.date | None = None
    document_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageHeader:
    """``MessageHeader`` of a document package (QCVN 102 items 1.1-1.14); ``sender`` is ``From``, ``to`` is ``To``."""

    sender: Organization
    code: Code
    promulgation_info: PromulgationInfo
    document_type: DocumentType
    subject: str
    to: tuple[Organization, ...] = ()
    document_id: str | None = None
    content: str | None = None
    signer_info: SignerInfo | None = None
    due_date: dt.date | None = None
    other_info: OtherInfo | None = None
    response_for: tuple[ResponseFor, ...] = ()
    steering_type: int | None = None
    to_places: tuple[str, ...] = ()
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceHeader:
    """``TraceHeader``: one hop of the path the package travelled (organisation and local time)."""

    organ_id: str | None = None
    timestamp: dt.datetime | None = None
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffInfo:
    """``StaffInfo``: the clerk or officer behind a business action or status message."""

    department: str | None = None
    department_id: str | None = None
    staff: str | None = None
    staff_id: str | None = None
    mobile: str | None = None
    email: str | None = None
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class Receiver:
    """``ReceiverList/Receiver`` of an update: a recipient and its ``ReceiverType`` (0/1; meaning unconfirmed)."""

    organ_id: str | None = None
    receiver_type: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessDocumentInfo:
    """``BussinessDocumentInfo`` of an update: whether the document data and/or the recipients changed."""

    document_info: int | None = None
    document_receiver: int | None = None
    receivers: tuple[Receiver, ...] = ()
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplacementInfo:
    """``ReplacementInfo`` of a replacement: the replaced document and the organisations that received it."""

    document_id: str | None = None
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Business:
    """``Bussiness`` (spelled so in the standard): new / revocation / update / replacement and its details."""

    business_doc_type: int | None = None
    business_doc_reason: str | None = None
    document_id: str | None = None
    paper: int | None = None
    document_info: BusinessDocumentInfo | None = None
    replacement_info: tuple[ReplacementInfo, ...] = ()
    staff_info: StaffInfo | None = None
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestReference:
    """``edXMLManifest/Reference``: the envelope's description of one attachment (``href`` is ``xlink:href``)."""

    content_id: str | None = None
    content_type: str | None = None
    description: str | None = None
    attachment_name: str | None = None
    href: str | None = None
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """``AttachmentEncoded/Attachment`` with its decoded content (``None`` when the package carried none)."""

    content_id: str | None = None
    attachment_name: str | None = None
    description: str | None = None
    content_type: str | None = None
    content: bytes | None = None
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """A document package: header, trace, business action, XML signature (kept raw), manifest and attachments.

    ``extra`` keys are ``"<parent>/<name>"`` for unknown elements of the envelope levels (``edXML``,
    ``edXMLEnvelope``, ``edXMLHeader``, ``TraceHeaderList``, ``edXMLBody``, ``edXMLManifest``, ``AttachmentEncoded``).
    """

    header: MessageHeader
    trace: tuple[TraceHeader, ...] = ()
    business: Business | None = None
    signature: XmlNode | None = None
    manifest: tuple[ManifestReference, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusMessage:
    """A status message: who (``From``, ``StaffInfo``) reports which ``StatusCode`` on which document, and when.

    ``status_code`` is a :class:`StatusCode` when known, else the two-digit text. ``extra`` keys are plain names
    for unknown ``MessageHeader`` children and ``"<parent>/<name>"`` for ``edXML``, ``edXMLEnvelope`` and
    ``edXMLHeader`` children.
    """

    sender: Organization
    response_for: ResponseFor
    status_code: str
    timestamp: dt.datetime
    description: str | None = None
    staff_info: StaffInfo | None = None
    signature: XmlNode | None = None
    extra: Extra = field(default_factory=_no_extra)


@dataclass(frozen=True, slots=True)
class ParsedPackage:
    """Result of :func:`parse_package`: the package and the repairs/oddities a clerk should see."""

    package: Package
    warnings: tuple[EdxmlWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedStatus:
    """Result of :func:`parse_status`: the status message and the repairs/oddities a clerk should see."""

    status: StatusMessage
    warnings: tuple[EdxmlWarning, ...] = ()
