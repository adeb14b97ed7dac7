"""Fixtures of the feedback tests: the desk (province), two agencies, categories, an Open311 key."""

from __future__ import annotations

import struct
import zlib

import pytest

from cityops.core.choices import Role
from cityops.core.demo_data import JURISDICTION_BBOX
from cityops.core.services.apikeys import apikey_create
from cityops.feedback import services
from cityops.feedback.models import Category
from cityops.feedback.services import request_submit

# Inside the default jurisdiction box (Bắc Ninh).
LAT, LONG = "21.186", "106.076"


def publish(req, desk, staff, agency, answer: str = "Xong"):
    """Take a request through the whole workflow: verified, assigned to ``agency``, answered and published."""
    req = services.request_verify(actor=desk, request=req)
    req = services.request_assign(actor=desk, request=req, agency=agency)
    req = services.request_accept(actor=staff, request=req)
    req = services.request_resolve(actor=staff, request=req, answer=answer)
    return services.request_publish(actor=desk, request=req)


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def category(db, agency_a):
    return Category.objects.create(
        code="road-damage", name_vi="Hư hỏng mặt đường", name_en="Road damage", kind="problem",
        domain="mobility", default_agency=agency_a, deadline_days=3, group="Giao thông",
        attributes=[
            {"code": "size", "datatype": "singlevaluelist", "required": True, "variable": True, "order": 1,
             "description": "Kích thước ổ gà",
             "values": [{"key": "small", "name": "Nhỏ"}, {"key": "large", "name": "Lớn"}]},
            {"code": "lanes", "datatype": "multivaluelist", "required": False, "variable": True, "order": 2,
             "values": [{"key": "left", "name": "Trái"}, {"key": "right", "name": "Phải"}]},
            {"code": "depth", "datatype": "number", "required": False, "variable": True, "order": 3},
            {"code": "seen_at", "datatype": "datetime", "required": False, "variable": True, "order": 4},
        ],
    )  # fmt: skip


@pytest.fixture
def simple_category(db, agency_b):
    return Category.objects.create(
        code="street-light",
        name_vi="Đèn đường hỏng",
        name_en="Broken street light",
        kind="problem",
        domain="living",
        default_agency=agency_b,
        deadline_hours=8,
    )


@pytest.fixture
def desk_user(province, make_member):
    return make_member(province, Role.IOC_OPERATOR, username="desk")


@pytest.fixture
def staff_a(agency_a, make_member):
    return make_member(agency_a, Role.SPECIALIST, username="staff-a")


@pytest.fixture
def staff_b(agency_b, make_member):
    return make_member(agency_b, Role.SPECIALIST, username="staff-b")


@pytest.fixture
def citizen(province, make_member):
    return make_member(province, Role.CITIZEN, username="citizen")


@pytest.fixture
def api_key(province, make_member):
    admin = make_member(province, Role.ADMINISTRATOR, username="admin")
    integrator = make_member(province, Role.INTEGRATOR, username="integrator", is_service_account=True)
    _key, raw = apikey_create(actor=admin, name="Open311 client", user=integrator, organization=province)
    return raw


@pytest.fixture
def submit(simple_category, province):
    """Submit a request in the simple category (no extra questions)."""

    def make(actor=None, **kwargs):
        values = {
            "category": simple_category,
            "description": "Đèn đường hỏng ở phường Kinh Bắc",
            "lat": LAT,
            "long": LONG,
        }
        values.update(kwargs)
        return request_submit(actor=actor, **values)

    return make


@pytest.fixture(autouse=True)
def _jurisdiction_is_the_demo_province(settings):
    """Feedback tests run as the demo province's deployment: reports from elsewhere are out of bounds."""
    settings.FEEDBACK_JURISDICTION_BBOX = tuple(float(part) for part in JURISDICTION_BBOX.split(","))


def video_bytes(seconds: float = 10, *, brand: bytes = b"isom", padding: int = 0, moov_last: bool = False) -> bytes:
    """A minimal ISO-BMFF file (MP4, or QuickTime with brand ``qt  ``) whose ``mvhd`` says ``seconds`` long."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I4s", 8 + len(body), kind) + body

    compatible = brand if brand == b"qt  " else brand + b"mp41"
    ftyp = box(b"ftyp", brand + struct.pack(">I", 0) + compatible)
    timescale = 1000
    mvhd = box(
        b"mvhd", b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale)) + b"\x00" * 80
    )
    moov = box(b"moov", mvhd)
    mdat = box(b"mdat", b"\x00" * (16 + padding))
    return ftyp + (mdat + moov if moov_last else moov + mdat)


def webm_bytes() -> bytes:
    """The start of a WebM file (EBML header with the ``webm`` doctype)."""
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 64
