"""What a citizen report may carry: several photos and one short video, judged by content (``core.uploads``).

Photos are JPEG, PNG, WebP or GIF within ``ATTACHMENT_MAX_BYTES``. One video per batch, MP4, WebM or
QuickTime, within ``FEEDBACK_VIDEO_MAX_BYTES``; for MP4 and QuickTime the duration is read from the
``mvhd`` box (a few small reads, nothing decoded) and must not exceed ``FEEDBACK_VIDEO_MAX_SECONDS``.
WebM durations are not read (the limit then rests on the size).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cityops.core.uploads import UploadRejected, inspect_upload

__all__ = [
    "IMAGE_TYPES",
    "MAX_VIDEOS",
    "VIDEO_TYPES",
    "MediaFile",
    "check_counts",
    "check_media",
    "mp4_duration_seconds",
]

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime"})
MAX_VIDEOS = 1
_MAX_BOXES = 64  # top-level and moov children walked at most (a real file has a handful)


@dataclass(frozen=True)
class MediaFile:
    """One accepted upload and what it turned out to be."""

    file: Any
    content_type: str
    is_video: bool
    duration: float | None


def _read_box_header(handle: Any, offset: int, end: int) -> tuple[int, bytes, int] | None:
    """(size, type, header length) of the ISO-BMFF box at ``offset``, or None when it does not fit."""
    if offset + 8 > end:
        return None
    handle.seek(offset)
    head = handle.read(8)
    if len(head) < 8:
        return None
    size, kind = struct.unpack(">I4s", head)
    header = 8
    if size == 1:
        extended = handle.read(8)
        if len(extended) < 8:
            return None
        size = struct.unpack(">Q", extended)[0]
        header = 16
    elif size == 0:
        size = end - offset
    if size < header or offset + size > end:
        return None
    return size, kind, header


def mp4_duration_seconds(handle: Any, total: int) -> float | None:
    """The movie duration of an MP4/QuickTime file from ``moov/mvhd``; None when it cannot be read cheaply."""
    try:
        offset, moov = 0, None
        for _index in range(_MAX_BOXES):
            box = _read_box_header(handle, offset, total)
            if box is None:
                return None
            size, kind, header = box
            if kind == b"moov":
                moov = (offset + header, offset + size)
                break
            offset += size
        if moov is None:
            return None
        offset, end = moov
        for _index in range(_MAX_BOXES):
            box = _read_box_header(handle, offset, end)
            if box is None:
                return None
            size, kind, header = box
            if kind == b"mvhd":
                handle.seek(offset + header)
                body = handle.read(32)
                if not body:
                    return None
                if body[0] == 1:
                    if len(body) < 32:
                        return None
                    timescale, duration = struct.unpack(">IQ", body[20:32])
                else:
                    if len(body) < 20:
                        return None
                    timescale, duration = struct.unpack(">II", body[12:20])
                return duration / timescale if timescale else None
            offset += size
    except (OSError, ValueError, struct.error):
        return None
    finally:
        try:
            handle.seek(0)
        except (OSError, ValueError):
            pass
    return None


def _refuse(message: str) -> ValidationError:
    return ValidationError({"photos": [message]})


def check_media(files: Iterable[Any], *, max_photos: int, already: Iterable[str] = ()) -> list[MediaFile]:
    """Check a batch of uploads before anything is stored; the whole batch is refused on the first problem.

    ``already`` are the content types of files the report carries already (they count towards the limits).
    """
    accepted: list[MediaFile] = []
    already = list(already)
    video_limit = min(int(settings.FEEDBACK_VIDEO_MAX_BYTES), int(settings.ATTACHMENT_MAX_BYTES))
    max_seconds = int(settings.FEEDBACK_VIDEO_MAX_SECONDS)
    for upload in files:
        name = str(getattr(upload, "name", "") or "")
        try:
            inspection = inspect_upload(upload, name=name, max_bytes=max(video_limit, settings.ATTACHMENT_MAX_BYTES))
        except UploadRejected as rejected:
            raise _refuse(rejected.message) from rejected
        mime = inspection.content_type
        if mime in VIDEO_TYPES:
            if inspection.size > video_limit:
                raise _refuse(
                    _("The video is larger than the limit of %(limit)s.") % {"limit": filesizeformat(video_limit)}
                )
            duration = None
            if mime in {"video/mp4", "video/quicktime"}:
                duration = mp4_duration_seconds(upload, inspection.size)
            if duration is not None and duration > max_seconds:
                raise _refuse(
                    _("The video is %(length)d seconds long; at most %(max)d seconds are accepted.")
                    % {"length": round(duration), "max": max_seconds}
                )
            accepted.append(MediaFile(file=upload, content_type=mime, is_video=True, duration=duration))
        elif mime in IMAGE_TYPES:
            accepted.append(MediaFile(file=upload, content_type=mime, is_video=False, duration=None))
        elif mime.startswith("video/"):
            raise _refuse(_("Videos must be MP4, WebM or QuickTime (MOV)."))
        else:
            raise _refuse(_("Only photos (JPEG, PNG, WebP, GIF) and one video (MP4, WebM, MOV) can be attached."))
    check_counts([item.content_type for item in accepted] + already, max_photos=max_photos)
    return accepted


def check_counts(content_types: list[str], *, max_photos: int) -> None:
    """At most ``max_photos`` photos and one video on one report."""
    videos = sum(1 for mime in content_types if mime in VIDEO_TYPES)
    if videos > MAX_VIDEOS:
        raise _refuse(_("Attach at most one video."))
    if len(content_types) - videos > max_photos:
        raise _refuse(_("Attach at most %(n)d photos.") % {"n": max_photos})
