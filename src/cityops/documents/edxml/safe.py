"""Safe loading of edXML bytes: size cap, defusedxml parsing, explicit repairs, namespace and depth checks.

defusedxml refuses DTDs, entity declarations and external references (XXE, billion laughs). Two defects seen in
the published SDK samples are repaired, each with a warning: stray characters before the XML declaration, and
the well-known ``xlink:``/``edXML:`` prefixes used where no declaration is in scope. Anything else that is not
well-formed is refused with the parser's message and position.
"""

from __future__ import annotations

import io
import re
import xml.sax
import xml.sax.handler
import xml.sax.xmlreader
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as DefusedET
import defusedxml.sax

from .models import NAMESPACE, XLINK_NAMESPACE, EdxmlError, EdxmlWarning

__all__ = ["KNOWN_PREFIXES", "MAX_DEPTH", "MAX_LEADING_JUNK", "load", "split_tag"]

MAX_DEPTH = 64
MAX_LEADING_JUNK = 64
#: Prefixes whose namespace is unambiguous, so a missing declaration can be repaired.
KNOWN_PREFIXES = {"xlink": XLINK_NAMESPACE, "edXML": NAMESPACE}
_NS = "{" + NAMESPACE + "}"
_START_TAG = re.compile(rb"<[^\s/>]+")
_XML_DECL_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def split_tag(tag: str) -> tuple[str, str]:
    """Namespace and local name of a Clark-notation tag."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def load(data: bytes, max_bytes: int, warnings: list[EdxmlWarning]) -> Element:
    """Parse untrusted bytes into the edXML root element, or raise EdxmlError naming the defect.

    Repairs are appended to ``warnings``; the size cap is checked before any parsing.
    """
    data = bytes(data)
    if len(data) > max_bytes:
        raise EdxmlError(f"the file is {len(data)} bytes, over the limit of {max_bytes} bytes")
    if not data.strip():
        raise EdxmlError("the file is empty")
    data = _strip_leading_junk(data, warnings)
    _check_utf8(data)
    root = _safe_parse(data, warnings)
    _check_depth(root)
    if not isinstance(root.tag, str) or root.tag != _NS + "edXML":
        namespace, local = split_tag(root.tag if isinstance(root.tag, str) else "")
        if local == "edXML":
            raise EdxmlError(
                f"wrong namespace: the root element edXML is in {namespace or 'no namespace'!r}; "
                f"QCVN 102:2016 requires {NAMESPACE!r}"
            )
        raise EdxmlError(f"not an edXML file: the root element is {local!r} in {namespace or 'no namespace'!r}")
    return root


def _strip_leading_junk(data: bytes, warnings: list[EdxmlWarning]) -> bytes:
    """Remove a few stray characters before the first '<' (seen in a published SDK sample), with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: leave it to the parser
        return data
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    body = data[len(bom) :]
    start = body.find(b"<")
    if start <= 0:
        return data
    junk = body[:start]
    if start > MAX_LEADING_JUNK:
        raise EdxmlError(f"the file does not start with XML: {start} bytes precede the first '<'")
    text = junk.decode("utf-8", errors="backslashreplace")
    rest = body[start:]
    if not junk.strip() and not rest.startswith(b"<?xml"):
        return data  # plain whitespace before the root element is legal XML
    what = "the XML declaration" if rest.startswith(b"<?xml") else "the root element"
    warnings.append(
        EdxmlWarning(
            "leading-junk",
            f"removed {len(text)} stray character(s) {text!r} found before {what}; the rest of the file was read as is",
        )
    )
    return bom + rest


def _check_utf8(data: bytes) -> None:
    """Refuse encodings other than UTF-8 (UTF-16 with a byte-order mark passes) and name invalid UTF-8 bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    match = _XML_DECL_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if match and match.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        declared = match.group(1).decode("ascii")
        raise EdxmlError(f"the file declares the encoding {declared!r}; edXML files must be UTF-8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EdxmlError(
            f"the file is not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line})"
        ) from None


def _safe_parse(data: bytes, warnings: list[EdxmlWarning]) -> Element:
    repaired: set[str] = set()
    for _attempt in range(3):
        try:
            root: Element = DefusedET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
            return root
        except defusedxml.DTDForbidden as exc:
            raise EdxmlError(_describe_dtd(data, exc)) from None
        except defusedxml.EntitiesForbidden as exc:
            raise EdxmlError(f"refused: the file declares the entity {exc.name!r}; entities are not allowed") from None
        except defusedxml.ExternalReferenceForbidden as exc:
            raise EdxmlError(
                f"refused: the file references the external resource {exc.sysid!r}; external references are not allowed"
            ) from None
        except defusedxml.DefusedXmlException as exc:
            raise EdxmlError(f"refused: forbidden XML construct ({exc})") from None
        except (LookupError, UnicodeError) as exc:
            raise EdxmlError(f"the file cannot be decoded: {exc}") from None
        except ParseError as exc:
            if exc.code != 27 or repaired:  # 27: XML_ERROR_UNBOUND_PREFIX
                raise EdxmlError(_describe_parse_error(exc)) from None
            data = _repair_prefixes(data, exc, warnings)
            repaired.add("prefixes")
    raise EdxmlError("the file could not be read")  # pragma: no cover - the loop always returns or raises


def _describe_dtd(data: bytes, exc: defusedxml.DTDForbidden) -> str:
    defects = []
    if exc.sysid or exc.pubid:
        defects.append(f"an external DTD reference ({exc.sysid or exc.pubid!r})")
    head = data[:65536]
    if b"<!ENTITY" in head:
        kinds = []
        if re.search(rb"<!ENTITY[^>]*\b(SYSTEM|PUBLIC)\b", head):
            kinds.append("external entities (XXE)")
        if re.search(rb"<!ENTITY[^>]*&", head):
            kinds.append("nested entity expansion (billion laughs)")
        defects.append("entity declarations" + (f": {', '.join(kinds)}" if kinds else ""))
    detail = f" containing {' and '.join(defects)}" if defects else ""
    return (
        f"refused: the file has a document type declaration (<!DOCTYPE {exc.name}>){detail}; "
        "DTDs, entities and external references are not allowed in edXML"
    )


def _describe_parse_error(exc: ParseError) -> str:
    return f"the file is not well-formed XML: {exc}"


class _PrefixScanner(xml.sax.handler.ContentHandler):
    """Finds namespace prefixes used where no declaration is in scope (namespace processing off)."""

    def __init__(self) -> None:
        super().__init__()
        self.scopes: list[set[str]] = [{"xml", "xmlns"}]
        self.unbound: dict[str, list[str]] = {}
        self.locator: xml.sax.xmlreader.Locator | None = None

    def setDocumentLocator(self, locator: xml.sax.xmlreader.Locator) -> None:  # noqa: N802 - SAX API
        self.locator = locator

    def startElement(self, name: str, attrs: xml.sax.xmlreader.AttributesImpl) -> None:  # noqa: N802 - SAX API
        declared = set(self.scopes[-1])
        declared.update(key[6:] for key in attrs.getNames() if key.startswith("xmlns:"))
        self.scopes.append(declared)
        line = self.locator.getLineNumber() if self.locator else 0
        for qname in (name, *(key for key in attrs.getNames() if not key.startswith("xmlns"))):
            prefix, sep, _local = qname.partition(":")
            if sep and prefix not in declared:
                self.unbound.setdefault(prefix, []).append(f"line {line}: {qname}")

    def endElement(self, name: str) -> None:  # noqa: N802 - SAX API
        self.scopes.pop()


def _repair_prefixes(data: bytes, exc: ParseError, warnings: list[EdxmlWarning]) -> bytes:
    """Declare well-known prefixes (xlink, edXML) used without a declaration on the root element."""
    scanner = _PrefixScanner()
    parser = defusedxml.sax.make_parser()
    parser.forbid_dtd = True  # the main parse has already refused any DTD; stay strict here too
    parser.setFeature(xml.sax.handler.feature_namespaces, False)
    parser.setContentHandler(scanner)
    source = xml.sax.xmlreader.InputSource()
    source.setByteStream(io.BytesIO(data))
    try:
        parser.parse(source)
    except (xml.sax.SAXException, defusedxml.DefusedXmlException, ValueError):
        raise EdxmlError(_describe_parse_error(exc)) from None
    if not scanner.unbound:
        raise EdxmlError(_describe_parse_error(exc))
    unknown = sorted(prefix for prefix in scanner.unbound if prefix not in KNOWN_PREFIXES)
    if unknown:
        where = "; ".join(f"{prefix!r} ({scanner.unbound[prefix][0]})" for prefix in unknown)
        raise EdxmlError(f"the file uses undeclared namespace prefix(es) {where}: {exc}")
    root_end = _root_name_end(data)
    if root_end is None:
        raise EdxmlError(_describe_parse_error(exc))
    declarations = b"".join(
        f' xmlns:{prefix}="{KNOWN_PREFIXES[prefix]}"'.encode() for prefix in sorted(scanner.unbound)
    )
    for prefix in sorted(scanner.unbound):
        uses = scanner.unbound[prefix]
        shown = ", ".join(uses[:3]) + (f" and {len(uses) - 3} more" if len(uses) > 3 else "")
        warnings.append(
            EdxmlWarning(
                "undeclared-prefix",
                f"namespace prefix '{prefix}:' was used without a declaration in scope ({shown}); repaired by "
                f'declaring xmlns:{prefix}="{KNOWN_PREFIXES[prefix]}" on the root element',
            )
        )
    return data[:root_end] + declarations + data[root_end:]


def _root_name_end(data: bytes) -> int | None:
    """Byte offset just after the root element's name, skipping the declaration, comments and PIs."""
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while pos < len(data):
        if data[pos : pos + 1].isspace():
            pos += 1
        elif data.startswith(b"<?", pos):
            end = data.find(b"?>", pos)
            if end < 0:
                return None
            pos = end + 2
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos)
            if end < 0:
                return None
            pos = end + 3
        elif data.startswith(b"<", pos):
            match = _START_TAG.match(data, pos)
            return match.end() if match else None
        else:
            return None
    return None


def _check_depth(root: Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise EdxmlError(f"the file nests elements more than {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in element)
