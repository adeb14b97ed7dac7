"""Upload inspection: what a file really is, judged by its content, never by its name.

``inspect_upload`` streams the file once (so a huge upload is refused as soon as it passes the size limit,
without being read into memory), computes its SHA-256, finds its type from the magic bytes (the
``filetype`` package), looks inside ZIP-based Office and OpenDocument files, guards against zip bombs and
refuses a file whose name claims a type its content does not have. Plain text and CSV have no magic bytes:
they are accepted only when they are valid UTF-8 without NUL bytes.

Deliberately refused: plain ZIP archives and every other container (they can carry anything past this
check, including executables and nested archives), executables and scripts of any kind, SVG and HTML
(they run scripts in a browser), and legacy binary Office files (.doc/.xls: macro carriers).
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

__all__ = [
    "ALLOWED_TYPES",
    "AllowedType",
    "Inspection",
    "UploadRejected",
    "inspect_upload",
    "sanitize_filename",
]

CHUNK_SIZE = 64 * 1024
HEADER_SIZE = 8192
MAX_NAME_LENGTH = 150

# Zip-bomb guards for Office/OpenDocument files come from settings (ATTACHMENT_ZIP_*).


@dataclass(frozen=True)
class AllowedType:
    """One accepted file type: its MIME type, the extension files are stored with, and the names it may use."""

    mime: str
    extension: str
    extensions: frozenset[str]
    label: str


def _t(mime: str, *extensions: str, label: str) -> AllowedType:
    return AllowedType(mime=mime, extension=extensions[0], extensions=frozenset(extensions), label=label)


OOXML_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OOXML_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OOXML_SLIDES = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODF_TEXT = "application/vnd.oasis.opendocument.text"
ODF_SHEET = "application/vnd.oasis.opendocument.spreadsheet"
ODF_SLIDES = "application/vnd.oasis.opendocument.presentation"
TEXT_PLAIN = "text/plain"
TEXT_CSV = "text/csv"

ALLOWED_TYPES: dict[str, AllowedType] = {
    t.mime: t
    for t in (
        _t("image/jpeg", "jpg", "jpeg", "jpe", label="JPEG"),
        _t("image/png", "png", label="PNG"),
        _t("image/webp", "webp", label="WebP"),
        _t("image/gif", "gif", label="GIF"),
        _t("application/pdf", "pdf", label="PDF"),
        _t(OOXML_WORD, "docx", label="Word (DOCX)"),
        _t(OOXML_SHEET, "xlsx", label="Excel (XLSX)"),
        _t(OOXML_SLIDES, "pptx", label="PowerPoint (PPTX)"),
        _t(ODF_TEXT, "odt", label="OpenDocument Text (ODT)"),
        _t(ODF_SHEET, "ods", label="OpenDocument Spreadsheet (ODS)"),
        _t(ODF_SLIDES, "odp", label="OpenDocument Presentation (ODP)"),
        _t("video/mp4", "mp4", label="MP4"),
        _t("video/webm", "webm", label="WebM"),
        _t("video/quicktime", "mov", "qt", label="QuickTime (MOV)"),
        _t("audio/mpeg", "mp3", label="MP3"),
        _t("audio/mp4", "m4a", label="M4A"),
        _t(TEXT_PLAIN, "txt", "text", "log", label="Text"),
        _t(TEXT_CSV, "csv", label="CSV"),
    )
}
# filetype names some allowed formats differently; map them onto the canonical entry.
_MIME_ALIASES = {"image/apng": "image/png"}
_TEXT_MIMES = {TEXT_PLAIN, TEXT_CSV}
_EXTENSION_TO_MIME = {ext: t.mime for t in ALLOWED_TYPES.values() for ext in t.extensions}
_OOXML_MAIN_PARTS = {
    "word/document.xml": OOXML_WORD,
    "xl/workbook.xml": OOXML_SHEET,
    "ppt/presentation.xml": OOXML_SLIDES,
}
_ODF_MIMES = {ODF_TEXT, ODF_SHEET, ODF_SLIDES}


class UploadRejected(Exception):
    """A file that may not be stored; ``code`` is stable for callers and audit, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Inspection:
    """What the content of an accepted upload turned out to be."""

    content_type: str
    extension: str
    size: int
    sha256: str
    original_name: str


# --- File names ----------------------------------------------------------------------------------------

_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))}


def sanitize_filename(name: str | None, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """A display name safe to store and to send back: no path, no control or bidi characters, NFC, bounded.

    The name is never used to build a storage path (that is random); it is kept so people recognise the
    file, and sent back only in a ``Content-Disposition`` header and in escaped HTML.
    """
    value = unicodedata.normalize("NFC", name or "")
    # Keep only the last path component, whichever separator the client's system uses.
    value = re.split(r"[/\\]", value)[-1]
    # Control characters and invisible format characters (e.g. U+202E, which makes "gpj.exe" look like ".jpg").
    value = "".join(ch for ch in value if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"})
    value = _UNSAFE_NAME_CHARS.sub("", value)
    value = _SPACES.sub(" ", value).strip()
    value = value.lstrip(". ").rstrip(". ")
    if not value:
        value = "file"
    if value.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        value = "_" + value  # CON.pdf, nul.txt...: a Windows user saving the download would hit a device
    if len(value) > max_length:
        stem, dot, ext = value.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            value = f"{stem[: max_length - len(ext) - 1].rstrip()}.{ext}"
        else:
            value = value[:max_length].rstrip()
    return value


def _claimed_extension(name: str) -> str:
    """The extension the name claims, lower case, without the dot ('' when none)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return ""
    return ext.lower()


# --- Content ----------------------------------------------------------------------------------------------


def _read_stream(file: Any, max_bytes: int) -> tuple[int, str, bytes, bool]:
    """Read the file once in chunks: size, SHA-256, the first bytes, and whether it is UTF-8 text without NUL.

    Stops with ``too_large`` as soon as more than ``max_bytes`` have been read.
    """
    digest = hashlib.sha256()
    header = bytearray()
    size = 0
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    is_text = True
    if hasattr(file, "seek"):
        file.seek(0)
    chunks = file.chunks(CHUNK_SIZE) if hasattr(file, "chunks") else iter(lambda: file.read(CHUNK_SIZE), b"")
    for chunk in chunks:
        if not chunk:
            continue
        size += len(chunk)
        if size > max_bytes:
            raise UploadRejected("too_large", _too_large_message(max_bytes))
        digest.update(chunk)
        if len(header) < HEADER_SIZE:
            header.extend(chunk[: HEADER_SIZE - len(header)])
        if is_text:
            if b"\x00" in chunk:
                is_text = False
            else:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_text = False
    if is_text and size:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_text = False
    return size, digest.hexdigest(), bytes(header), is_text


def _too_large_message(max_bytes: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return _("The file is larger than the limit of %(limit)s.") % {"limit": filesizeformat(max_bytes)}


def _inspect_zip(file: IO[bytes]) -> str:
    """The type of a ZIP-based document, after checking it is a real one and not a zip bomb.

    Only the central directory is read (sizes as declared there) plus, for OpenDocument, the few bytes of
    its ``mimetype`` entry; nothing is decompressed in bulk.
    """
    max_entries = settings.ATTACHMENT_ZIP_MAX_ENTRIES
    max_total = settings.ATTACHMENT_ZIP_MAX_UNCOMPRESSED_BYTES
    max_ratio = settings.ATTACHMENT_ZIP_MAX_RATIO
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UploadRejected("corrupt", _("The file is damaged: its archive structure cannot be read.")) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > max_entries:
            raise UploadRejected("zip_bomb", _("The document contains too many parts to be accepted."))
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if total > max_total or (info.file_size > 1024 * 1024 and ratio > max_ratio):
                raise UploadRejected(
                    "zip_bomb", _("The document expands to far more data than its size; it cannot be accepted.")
                )
        names = {info.filename for info in infos}
        if any(os.path.basename(name).lower() == "vbaproject.bin" for name in names):
            raise UploadRejected("macros", _("Documents containing macros are not accepted."))
        if "[Content_Types].xml" in names:
            for part, mime in _OOXML_MAIN_PARTS.items():
                if part in names:
                    return mime
            raise UploadRejected("unsupported_type", _("This kind of Office document is not accepted."))
        if "mimetype" in names:
            try:
                with archive.open("mimetype") as handle:
                    declared = handle.read(100).decode("ascii", "replace").strip()
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
                raise UploadRejected("corrupt", _("The file is damaged: its archive cannot be read.")) from exc
            if declared in _ODF_MIMES:
                return declared
            raise UploadRejected("unsupported_type", _("This kind of document is not accepted."))
    raise UploadRejected(
        "unsupported_type", _("ZIP archives are not accepted; attach the documents themselves instead.")
    )


def _type_label(mime: str) -> str:
    allowed = ALLOWED_TYPES.get(mime)
    return allowed.label if allowed else mime


def inspect_upload(file: Any, *, name: str | None = None, max_bytes: int | None = None) -> Inspection:
    """Decide whether ``file`` may be stored and what it really is; raises ``UploadRejected`` otherwise.

    ``file`` is a Django ``File``/``UploadedFile`` (or any seekable binary file object). Its name (or
    ``name``) is used only to refuse files that pretend to be something else, and as a sanitised display name.
    """
    limit = settings.ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes
    original = sanitize_filename(name if name is not None else getattr(file, "name", ""))
    declared_size = getattr(file, "size", None)
    if isinstance(declared_size, int) and declared_size > limit:
        raise UploadRejected("too_large", _too_large_message(limit))

    size, sha256, header, is_text = _read_stream(file, limit)
    if size == 0:
        raise UploadRejected("empty", _("The file is empty."))

    claimed = _claimed_extension(original)
    if claimed and claimed not in _EXTENSION_TO_MIME:
        raise UploadRejected(
            "unsupported_type", _("Files of type “.%(extension)s” are not accepted.") % {"extension": claimed}
        )
    claimed_mime = _EXTENSION_TO_MIME.get(claimed)

    mime: str | None
    if claimed_mime in _TEXT_MIMES and is_text:
        # Text has no magic number, and clean UTF-8 can start with bytes that look like one ("BM", "ID3"):
        # when the name says text and the whole content is valid UTF-8 without NUL bytes, it is text.
        mime = claimed_mime
    elif header.startswith(b"PK\x03\x04"):
        mime = _inspect_zip(file)
    else:
        kind = filetype.guess(header)
        mime = _MIME_ALIASES.get(kind.mime, kind.mime) if kind is not None else None
        if mime is not None and mime not in ALLOWED_TYPES:
            raise UploadRejected("unsupported_type", _("This type of file is not accepted."))
        if mime is None:
            if not is_text:
                raise UploadRejected("unsupported_type", _("The type of this file could not be recognised."))
            if claimed:
                raise UploadRejected(
                    "type_mismatch",
                    _("The file is named as %(claimed)s but its content is plain text.")
                    % {"claimed": _type_label(claimed_mime or "")},
                )
            mime = TEXT_PLAIN

    if claimed_mime is not None and claimed_mime != mime:
        raise UploadRejected(
            "type_mismatch",
            _("The file is named as %(claimed)s but its content is %(actual)s.")
            % {"claimed": _type_label(claimed_mime), "actual": _type_label(mime)},
        )

    allowed = ALLOWED_TYPES[mime]
    if not claimed:
        original = sanitize_filename(f"{original}.{allowed.extension}")
    if hasattr(file, "seek"):
        file.seek(0)
    return Inspection(
        content_type=mime, extension=f".{allowed.extension}", size=size, sha256=sha256, original_name=original
    )
