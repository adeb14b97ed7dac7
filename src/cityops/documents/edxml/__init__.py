"""edXML (QCVN 102:2016/BTTTT) reader and writer for the national document exchange (VXP/LGSP).

Pure library, no Django: the documents module uses it to import received packages and status messages and to
produce outgoing ones.

    parsed = parse_package(data)            # ParsedPackage(package, warnings)
    parsed.package.header.code.notation     # "VPCP-TTĐT"
    data = build_package(parsed.package)    # parse_package(data).package == parsed.package

Reading refuses hostile or broken input with :class:`EdxmlError` (every defect listed) and records each explicit
repair as an :class:`EdxmlWarning`.
"""

from .models import (
    DATE_FORMAT,
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
from .reader import parse_package, parse_status
from .writer import build_package, build_status, make_document_id, make_manifest

__all__ = [
    "DATE_FORMAT",
    "DEFAULT_MAX_BYTES",
    "EDXML_TIMEZONE",
    "NAMESPACE",
    "TIMESTAMP_FORMAT",
    "XLINK_NAMESPACE",
    "XMLDSIG_NAMESPACE",
    "Attachment",
    "Business",
    "BusinessDocType",
    "BusinessDocumentInfo",
    "Code",
    "DocumentType",
    "EdxmlError",
    "EdxmlWarning",
    "ManifestReference",
    "MessageHeader",
    "Organization",
    "OtherInfo",
    "Package",
    "ParsedPackage",
    "ParsedStatus",
    "PromulgationInfo",
    "Receiver",
    "ReplacementInfo",
    "ResponseFor",
    "SignerInfo",
    "StaffInfo",
    "StatusCode",
    "StatusMessage",
    "TraceHeader",
    "XmlNode",
    "build_package",
    "build_status",
    "make_document_id",
    "make_manifest",
    "parse_package",
    "parse_status",
]
