"""edXML (QCVN 102:2016) reader and writer, checked against the real SDK sample files and hostile input.

Pure library tests: no database, no Django app.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import random
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

import defusedxml.ElementTree as DefusedET
import pytest

from cityops.documents.edxml import (
    EDXML_TIMEZONE,
    NAMESPACE,
    XLINK_NAMESPACE,
    XMLDSIG_NAMESPACE,
    Attachment,
    BusinessDocType,
    Code,
    DocumentType,
    EdxmlError,
    ManifestReference,
    MessageHeader,
    Organization,
    Package,
    PromulgationInfo,
    ResponseFor,
    StatusCode,
    StatusMessage,
    TraceHeader,
    XmlNode,
    build_package,
    build_status,
    make_document_id,
    make_manifest,
    parse_package,
    parse_status,
)

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "edxml"
PACKAGE_FILES = [
    "edoc.edxml",
    "edoc_new.edxml",
    "edoc_update.edxml",
    "edoc_replacement.edxml",
    "edoc_revocation.edxml",
    "received-2019-05.edxml",
    "received-2025-10-a.edxml",
]
STATUS_FILES = {
    "status.edxml": (
        "01",
        "Văn thư - Phòng Văn thư - Lưu trữ: Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý",
    ),
    "status_inbox_01.edxml": (
        "01",
        "Văn thư - Phòng Văn thư - Lưu trữ: Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý",
    ),
    "status_rejection_02.edxml": ("02", "Văn thư - Phòng Văn thư - Lưu trữ: Từ chối không tiếp nhận văn bản điện tử"),
    "status_acceptance_03.edxml": (
        "03",
        "Văn thư cơ - Phòng Văn thư - Lưu trữ: Tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị",
    ),
    "status_assignment_04.edxml": ("04", "Lãnh đạo: Phân công xử lý"),
    "status_processing_05.edxml": ("05", "Đang xử lý văn bản đến"),
    "status_finish_06.edxml": ("06", "Văn thư: Ban hành văn bản đến, hoàn thành xử lý"),
    "status_cancellation_13.edxml": ("13", "Văn thư yêu cầu lấy lại văn bản điện tử kèm lý do"),
    "status_change-acceptance_15.edxml": ("15", "Văn thư đồng ý yêu cầu cập nhật, lấy lại"),
    "status_change-rejection_16.edxml": ("16", "Văn thư từ chối yêu cầu cập nhật, lấy lại"),
}
VN = EDXML_TIMEZONE
NS = "{" + NAMESPACE + "}"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def codes(warnings) -> list[str]:
    return [w.code for w in warnings]


def test_samples_are_found_relative_to_the_repository():
    assert SAMPLES.is_dir(), f"conformance samples not found at {SAMPLES} (shared/ must sit beside the clone)"
    assert sorted(p.name for p in SAMPLES.glob("*.edxml")) == sorted([*PACKAGE_FILES, *STATUS_FILES])


# ---------------------------------------------------------------------------------------------------------------
# Sample packages


def test_new_document_with_stray_characters_is_recovered_with_a_warning():
    parsed = parse_package(sample("edoc_new.edxml"))
    assert codes(parsed.warnings) == ["leading-junk"]
    assert "'1212'" in parsed.warnings[0].message and "XML declaration" in parsed.warnings[0].message
    header = parsed.package.header
    assert header.sender.organ_id == "002.00.20.H13"
    assert header.sender.organ_name == "UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng"
    assert [org.organ_id for org in header.to] == ["28.22.H17"]
    assert header.to[0].organization_in_charge == "UBND xã Hòa Sơn - UBND huyện Hòa Vang - Thành phố Đà Nẵng"
    assert header.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert header.code == Code(number="74fass22", notation="VPCP-TTĐT")
    assert header.promulgation_info == PromulgationInfo(place="Hà Nội", promulgation_date=dt.date(2019, 1, 16))
    assert header.document_type == DocumentType(type=1, type_detail=0, type_name="Công văn")
    assert header.subject == "V/v kết nối, liên thông phần mềm quản lý văn bản"
    assert header.signer_info is not None and header.signer_info.competence == "TL. BO TRUONG"
    assert header.signer_info.full_name == "Nguyen Thanh Phuc"
    assert header.due_date == dt.date(2018, 9, 28)
    assert header.steering_type == 1
    assert header.to_places == ("Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP")
    other = header.other_info
    assert other is not None
    assert (other.priority, other.promulgation_amount, other.page_amount, other.direction) == (0, 2, 22, False)
    assert other.sphere_of_promulgation == "Liên thông văn bản quốc gia"
    assert other.appendixes == ("Công văn về việc kết nối, liên thông phần mềm quản lý văn bản",)
    business = parsed.package.business
    assert business is not None and business.business_doc_type == BusinessDocType.NEW == 0
    assert business.business_doc_reason == "Văn bản điện tử mới"
    assert business.document_id == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"  # an identifier, not a date
    assert business.paper == 0
    assert business.staff_info is not None and business.staff_info.staff == "Nguyễn Thị Ngọc Trâm"
    assert parsed.package.trace == (
        TraceHeader(organ_id="000.00.00.G22", timestamp=dt.datetime(2018, 9, 28, 0, 0, tzinfo=VN)),
    )
    (attachment,) = parsed.package.attachments
    assert attachment.content_id == "cid:209"
    assert attachment.attachment_name == "1896_QD-TTg_m_294779.doc"
    assert attachment.content_type == "application/zip"
    assert attachment.content is not None and len(attachment.content) == 270823
    assert attachment.content.startswith(b"PK\x03\x04")  # base64 of a zip, as the reference says
    assert zipfile.ZipFile(io.BytesIO(attachment.content)).testzip() is None  # the repair kept the data intact
    assert parsed.package.manifest == (
        ManifestReference(
            content_id="cid:209",
            content_type="application/zip",
            description="1896_QD-TTg_m_294779.doc",
            attachment_name="1896_QD-TTg_m_294779.doc",
        ),
    )
    signature = parsed.package.signature
    assert signature is not None and signature.tag == NS + "Signature"  # unqualified, so in the edXML namespace


def test_small_document_with_undeclared_prefixes_is_recovered_with_warnings():
    parsed = parse_package(sample("edoc.edxml"))
    assert codes(parsed.warnings) == ["undeclared-prefix", "undeclared-prefix", "attachment-placeholder"]
    edxml_warning, xlink_warning, placeholder = (w.message for w in parsed.warnings)
    assert "'xlink:'" in xlink_warning and "line 116: xlink:href" in xlink_warning and XLINK_NAMESPACE in xlink_warning
    # The published file also uses edXML: outside the envelope that declares it (README names only xlink:).
    assert "'edXML:'" in edxml_warning and "line 125: edXML:AttachmentEncoded" in edxml_warning
    assert "${__StringFromFile(test.txt,,,)}" in placeholder and "not imported" in placeholder
    header = parsed.package.header
    assert header.sender.organ_id == "002.00.20.H13"
    assert header.to[0].organ_id == "000.00.15.H51"
    assert header.code == Code(number="12234555512", notation="PRO-TEST-CASE1")
    assert header.promulgation_info.promulgation_date == dt.date(2019, 1, 17)
    assert header.document_type == DocumentType(type=1, type_name="Thông tư")
    assert header.subject == "Văn bản liên thông chỉ đạo - 190701"
    assert header.content == "test gửi liên thông vpcp"
    assert header.response_for == ()  # present but empty in the file; the commented-out one is ignored
    assert header.document_id == "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"
    assert header.other_info is not None and header.other_info.appendixes == ("Phụ lục",)
    assert parsed.package.business is None
    signature = parsed.package.signature
    assert signature is not None and signature.tag == "{" + XMLDSIG_NAMESPACE + "}Signature"
    (attachment,) = parsed.package.attachments
    assert attachment.attachment_name == "GUIDE_INSTALL OPENVPN.SIGNED.PDF"
    assert attachment.content_type == "application/pdf"
    assert attachment.content is None  # never import the placeholder as if it were the file
    assert parsed.package.manifest[0].description == "Description 1"
    assert parsed.package.manifest[0].content_type is None  # commented out in the file


def test_update_lists_changed_receivers():
    package = parse_package(sample("edoc_update.edxml")).package
    assert [org.organ_id for org in package.header.to] == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"]
    assert package.header.code == Code(number="7816", notation="VPCP-TTĐT")
    assert package.header.promulgation_info.promulgation_date == dt.date(2018, 9, 28)
    business = package.business
    assert business is not None and business.business_doc_type == BusinessDocType.UPDATE == 2
    assert business.business_doc_reason == "Cập nhật văn bản điện tử"
    info = business.document_info
    assert info is not None and (info.document_info, info.document_receiver) == (1, 1)
    assert [(r.organ_id, r.receiver_type) for r in info.receivers] == [("000.00.00.H41", 0), ("000.00.00.H14", 1)]
    assert len(package.attachments[0].content or b"") == 270823


def test_replacement_lists_replaced_documents():
    parsed = parse_package(sample("edoc_replacement.edxml"))
    assert parsed.warnings == ()
    business = parsed.package.business
    assert business is not None and business.business_doc_type == BusinessDocType.REPLACEMENT == 3
    assert business.business_doc_reason == "Văn bản thay thế"
    assert len(business.replacement_info) == 2
    assert business.replacement_info[0].document_id == "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT"
    assert business.replacement_info[0].organ_ids == ("000.00.00.H41", "000.00.00.H14")


def test_revocation():
    parsed = parse_package(sample("edoc_revocation.edxml"))
    assert parsed.warnings == ()
    business = parsed.package.business
    assert business is not None and business.business_doc_type == BusinessDocType.REVOCATION == 1
    assert business.business_doc_reason == "Thu hồi văn bản điện tử"
    assert business.document_info is None and business.replacement_info == ()


def test_received_2019_keeps_both_content_types_and_warns():
    parsed = parse_package(sample("received-2019-05.edxml"))
    assert codes(parsed.warnings) == ["manifest-mismatch"]
    assert "'application/pdf' in the manifest but 'application/zip'" in parsed.warnings[0].message
    package = parsed.package
    assert package.header.sender.organ_id == "000.00.15.H51"
    assert package.header.code == Code(number="1223412", notation="PRO-TEST-CASE1")
    assert package.header.response_for == ()  # <edXML:ResponseFor />
    assert [(t.organ_id, t.timestamp) for t in package.trace] == [
        ("01.02.G22", dt.datetime(2018, 6, 20, 16, 35, 56, tzinfo=VN)),
        ("001.00.20.TT2", dt.datetime(2019, 5, 17, 18, 16, 33, tzinfo=VN)),
    ]
    (attachment,) = package.attachments
    assert attachment.attachment_name == "GUIDE_INSTALL OPENVPN.SIGNED.PDF"
    assert attachment.content is not None and len(attachment.content) == 214
    assert package.manifest[0].content_type == "application/pdf" and attachment.content_type == "application/zip"


def test_received_2025_reads_a_java_null_as_missing():
    parsed = parse_package(sample("received-2025-10-a.edxml"))
    assert codes(parsed.warnings) == ["null-literal"]
    assert "TraceHeaderList/TraceHeader[1]/OrganId" in parsed.warnings[0].message
    package = parsed.package
    header = package.header
    assert header.sender.organ_id == "vxp.saas.03"
    assert header.code == Code(number="202545", notation="VPCP-TTĐT")
    assert header.promulgation_info == PromulgationInfo(
        place="Thành phố Đà Nẵng", promulgation_date=dt.date(2025, 10, 20)
    )
    assert header.document_type == DocumentType(type=2, type_detail=1, type_name="Báo cáo")
    assert header.subject == "Gộp 3 file"
    assert header.signer_info is not None and header.signer_info.competence is None
    assert header.due_date is None
    assert header.steering_type == 2
    assert header.other_info is not None and header.other_info.direction is True
    assert header.other_info.priority == 1 and header.other_info.appendixes == ("Phụ lục 1", "Phụ lục 2")
    assert [t.organ_id for t in package.trace] == [None, None]
    (attachment,) = package.attachments
    assert attachment.attachment_name == "1761209178887_TestTrucLienThong.pdf"
    assert attachment.content is not None and len(attachment.content) == 18839
    assert attachment.content.startswith(b"%PDF-1.3")


# ---------------------------------------------------------------------------------------------------------------
# Sample status messages


@pytest.mark.parametrize("name", sorted(STATUS_FILES))
def test_status_messages(name: str):
    parsed = parse_status(sample(name))
    code, description = STATUS_FILES[name]
    status = parsed.status
    assert parsed.warnings == ()
    assert status.status_code == code and isinstance(status.status_code, StatusCode)
    assert status.description == description
    assert status.response_for.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert status.response_for.code == "7816/VPCP-TTĐT"
    assert status.staff_info is not None and status.staff_info.mobile == "84912000001"
    if name == "status.edxml":
        assert status.sender.organ_id == "000.00.00.H41"
        assert status.timestamp == dt.datetime(2018, 9, 28, 17, 25, 11, tzinfo=VN)
        assert status.response_for.promulgation_date == dt.date(2018, 9, 28)
        assert status.staff_info.staff == "Nguyễn Thị Ngọc Trâm"
    else:
        assert status.timestamp == dt.datetime(2015, 9, 20, 11, 8, 36, tzinfo=VN)
        assert status.response_for.promulgation_date == dt.date(2015, 9, 30)
        assert status.staff_info.department == "Phong hanh chinh"
        assert status.staff_info.email == "ngoctram@nghean.vn"
    if name == "status_cancellation_13.edxml":  # the sender recalls: VPCP writes to Nghệ An
        assert (status.sender.organ_id, status.response_for.organ_id) == ("000.00.00.G22", "000.00.00.H41")
    else:
        assert (status.sender.organ_id, status.response_for.organ_id) == ("000.00.00.H41", "000.00.00.G22")
        assert status.sender.organ_name == "UBND Tỉnh Nghệ An"


def test_a_status_is_not_a_package_and_back():
    with pytest.raises(EdxmlError, match="status message"):
        parse_package(sample("status_finish_06.edxml"))
    with pytest.raises(EdxmlError, match="not a status message"):
        parse_status(sample("edoc_update.edxml"))


# ---------------------------------------------------------------------------------------------------------------
# Round trip and element structure


def repaired_sample(name: str) -> bytes:
    """The sample with its published defects fixed by hand, for comparing element structure."""
    data = sample(name)
    if name == "edoc_new.edxml":
        data = data.removeprefix(b"1212")
    if name == "edoc.edxml":
        data = data.replace(
            b'<edXML xmlns="' + NAMESPACE.encode() + b'"',
            b'<edXML xmlns="'
            + NAMESPACE.encode()
            + b'" xmlns:edXML="'
            + NAMESPACE.encode()
            + b'" xmlns:xlink="'
            + XLINK_NAMESPACE.encode()
            + b'"',
            1,
        )
    return data


def element_paths(data: bytes) -> Counter[str]:
    """Paths (namespace-qualified) of every element that carries data (text, attributes, or such descendants)."""
    root = DefusedET.fromstring(data)
    paths: Counter[str] = Counter()

    def visit(element, prefix: str) -> bool:
        path = f"{prefix}/{element.tag}"
        carries = bool((element.text or "").strip()) or any(value for value in element.attrib.values())
        for child in element:
            carries = visit(child, path) or carries
        if carries:
            paths[path] += 1
        return carries

    visit(root, "")
    return paths


#: What the rebuilt file leaves out on purpose, per sample.
DROPPED = {
    "edoc.edxml": {f"/{NS}edXML/{NS}AttachmentEncoded/{NS}Attachment/{NS}ContentTransferEncoded": 1},
    "received-2025-10-a.edxml": {
        f"/{NS}edXML/{NS}edXMLEnvelope/{NS}edXMLHeader/{NS}TraceHeaderList/{NS}TraceHeader/{NS}OrganId": 1
    },
}


@pytest.mark.parametrize("name", PACKAGE_FILES)
def test_package_round_trip_and_structure(name: str):
    package = parse_package(sample(name)).package
    rebuilt = build_package(package)
    again = parse_package(rebuilt)
    assert again.package == package
    assert rebuilt.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="' + NAMESPACE.encode())
    assert b'xmlns:xlink="' + XLINK_NAMESPACE.encode() + b'"' in rebuilt
    assert build_package(again.package) == rebuilt  # stable
    expected = element_paths(repaired_sample(name))
    expected.subtract(DROPPED.get(name, {}))
    assert element_paths(rebuilt) == +expected


@pytest.mark.parametrize("name", sorted(STATUS_FILES))
def test_status_round_trip_and_structure(name: str):
    status = parse_status(sample(name)).status
    rebuilt = build_status(status)
    assert parse_status(rebuilt).status == status
    assert element_paths(rebuilt) == element_paths(sample(name))


def test_rebuilt_package_uses_the_sample_prefixes_and_formats():
    rebuilt = build_package(parse_package(sample("edoc_update.edxml")).package).decode()
    assert (
        "<edXML:edXMLEnvelope>" in rebuilt and "<edXML:PromulgationDate>2018/09/28</edXML:PromulgationDate>" in rebuilt
    )
    assert "<edXML:Timestamp>2018/09/28 00:00:00</edXML:Timestamp>" in rebuilt
    assert "<AttachmentEncoded>\n    <Attachment>\n      <ContentId>cid:209</ContentId>" in rebuilt
    assert re.search(r"<edXML:ContentTransferEncoded>UEsDB[A-Za-z0-9+/=]+</edXML:ContentTransferEncoded>", rebuilt)
    assert '<edXML:edXMLManifest version="1.0">' in rebuilt


def test_unknown_elements_are_kept_in_extra_and_written_back():
    data = sample("status_processing_05.edxml").replace(
        b"<edXML:StatusCode>",
        b"<edXML:ApplicationType>QLVB</edXML:ApplicationType>"
        b'<x:Note xmlns:x="urn:example" kind="a">ghi ch\xc3\xba</x:Note><Plain xmlns="">p</Plain><edXML:StatusCode>',
    )
    status = parse_status(data).status
    assert set(status.extra) == {"ApplicationType", "{urn:example}Note", "{}Plain"}
    assert status.extra["ApplicationType"] == (XmlNode(tag=NS + "ApplicationType", text="QLVB"),)
    assert status.extra["{urn:example}Note"][0].attributes == (("kind", "a"),)
    rebuilt = build_status(status)
    assert b'<Plain xmlns="">p</Plain>' in rebuilt
    assert parse_status(rebuilt).status == status

    package_data = sample("edoc_revocation.edxml").replace(
        b"<edXML:SteeringType>",
        b"<edXML:ResponseForTask><edXML:Code>NV-1</edXML:Code></edXML:ResponseForTask><edXML:SteeringType>",
    )
    package = parse_package(package_data).package
    assert package.header.extra["ResponseForTask"][0].children[0].text == "NV-1"
    assert parse_package(build_package(package)).package == package


# ---------------------------------------------------------------------------------------------------------------
# Hostile and broken input

MINIMAL = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{NAMESPACE}"><edXMLEnvelope><edXMLHeader><MessageHeader>
<From><OrganId>000.00.00.H49</OrganId></From>
<Code><CodeNumber>12</CodeNumber><CodeNotation>UBND-VX</CodeNotation></Code>
<PromulgationInfo><Place>Quảng Ninh</Place><PromulgationDate>2025/03/05</PromulgationDate></PromulgationInfo>
<DocumentType><Type>18</Type><TypeName>Công văn</TypeName></DocumentType>
<Subject>Về việc thử nghiệm</Subject>
</MessageHeader></edXMLHeader></edXMLEnvelope>{{attachments}}</edXML>
"""


def minimal(attachments: str = "") -> bytes:
    return MINIMAL.replace("{attachments}", attachments).encode()


def test_minimal_package_parses():
    header = parse_package(minimal()).package.header
    assert (header.sender.organ_id, header.code.number, header.document_type.type) == ("000.00.00.H49", "12", 18)


def test_xxe_is_refused_without_reading_the_file():
    data = b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + minimal().split(
        b"\n", 1
    )[1].replace("Về việc thử nghiệm".encode(), b"&xxe;")
    with pytest.raises(EdxmlError) as caught:
        parse_package(data)
    message = str(caught.value)
    assert "DOCTYPE" in message and "external entities (XXE)" in message
    assert "root:" not in message


def test_billion_laughs_is_refused():
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    data = (
        f'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY lol0 "lol">{entities}]>'
        f'<edXML xmlns="{NAMESPACE}">&lol9;</edXML>'
    ).encode()
    with pytest.raises(EdxmlError, match="billion laughs"):
        parse_package(data)


def test_external_dtd_is_refused():
    data = minimal().replace(b"<edXML ", b'<!DOCTYPE edXML SYSTEM "http://attacker.invalid/x.dtd"><edXML ', 1)
    with pytest.raises(EdxmlError, match=r"external DTD reference \('http://attacker.invalid/x.dtd'\)"):
        parse_package(data)


def test_wrong_namespace_is_refused_by_name():
    data = minimal().replace(NAMESPACE.encode(), b"http://www.go.vn/eDoc")
    with pytest.raises(EdxmlError, match=r"wrong namespace.*'http://www.go.vn/eDoc'.*QCVN_102_2016"):
        parse_package(data)
    with pytest.raises(EdxmlError, match="not an edXML file"):
        parse_package(b"<html><body>hello</body></html>")


def test_missing_required_fields_are_all_listed():
    data = minimal()
    for pattern in (
        rb"<OrganId>000.00.00.H49</OrganId>",
        rb"<Code>.*?</Code>",
        rb"<PromulgationDate>.*?</PromulgationDate>",
        rb"<DocumentType>.*?</DocumentType>",
        rb"<Subject>.*?</Subject>",
    ):
        data = re.sub(pattern, b"", data)
    with pytest.raises(EdxmlError) as caught:
        parse_package(data)
    (problem,) = caught.value.problems
    assert problem == (
        "missing required field(s): MessageHeader/From/OrganId, MessageHeader/Code, "
        "MessageHeader/PromulgationInfo/PromulgationDate, MessageHeader/DocumentType, MessageHeader/Subject"
    )


def test_missing_status_fields_are_all_listed():
    data = re.sub(rb"<edXML:(StatusCode|Timestamp|DocumentId)>.*?</edXML:\1>", b"", sample("status.edxml"))
    with pytest.raises(EdxmlError) as caught:
        parse_status(data)
    assert str(caught.value) == (
        "missing required field(s): MessageHeader/ResponseFor/DocumentId, MessageHeader/StatusCode, "
        "MessageHeader/Timestamp"
    )


def test_bad_values_name_the_field():
    data = minimal().replace(b"2025/03/05", b"2025/02/30").replace(b"<Type>18</Type>", b"<Type>CV</Type>")
    with pytest.raises(EdxmlError) as caught:
        parse_package(data)
    assert caught.value.problems == (
        "MessageHeader/PromulgationInfo/PromulgationDate: '2025/02/30' is not a valid date (yyyy/MM/dd)",
        "MessageHeader/DocumentType/Type: 'CV' is not a whole number",
    )
    data = sample("status.edxml").replace(b"2018/09/28 17:25:11", b"28/09/2018 17:25")
    with pytest.raises(EdxmlError, match=r"MessageHeader/Timestamp: '28/09/2018 17:25' is not a valid timestamp"):
        parse_status(data)


def test_bad_base64_names_the_attachment():
    attachments = (
        "<AttachmentEncoded><Attachment><ContentId>cid:1</ContentId><AttachmentName>QD-12.pdf</AttachmentName>"
        "<ContentTransferEncoded>JVBERi0x*!not base64</ContentTransferEncoded></Attachment></AttachmentEncoded>"
    )
    with pytest.raises(EdxmlError, match=r"attachment 1 \('QD-12.pdf'\): ContentTransferEncoded is not valid base64"):
        parse_package(minimal(attachments))


def test_oversize_is_refused_before_parsing():
    with pytest.raises(EdxmlError, match="over the limit of 1000 bytes"):
        parse_package(minimal() + b" " * 1000, max_bytes=1000)
    with pytest.raises(EdxmlError, match="over the limit"):
        parse_status(sample("status.edxml"), max_bytes=100)


def test_undeclared_unknown_prefix_is_refused():
    data = minimal().replace(b"<Subject>", b'<Subject foo:bar="1">')
    with pytest.raises(EdxmlError, match=r"undeclared namespace prefix\(es\) 'foo' \(line 7: foo:bar\)"):
        parse_package(data)


def test_long_leading_garbage_is_refused():
    with pytest.raises(EdxmlError, match="does not start with XML"):
        parse_package(b"x" * 200 + minimal())


def test_non_utf8_is_refused_by_name():
    data = minimal().replace("thử".encode(), b"th\xfd")
    with pytest.raises(EdxmlError, match="not valid UTF-8: byte 0x"):
        parse_package(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"\x00\x01\x02",
        b"<",
        b"<edXML",
        b"\xef\xbb\xbf",
        b"\xff\xfe<\x00",
        b"<?xml version='1.0' encoding='x-unknown'?><edXML/>",
        ("<edXML xmlns='" + NAMESPACE + "'/>").encode(),
        ("<edXML xmlns='" + NAMESPACE + "'><edXMLEnvelope/></edXML>").encode(),
        ("<edXML xmlns='" + NAMESPACE + "'>" + "<a>" * 5000 + "</a>" * 5000 + "</edXML>").encode(),
        b"<a>" * 200_000 + b"</a>" * 200_000,
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY % p SYSTEM "http://x.invalid/p">%p;]><a/>',
    ],
)
def test_broken_input_gives_a_clear_error(data: bytes):
    for parse in (parse_package, parse_status):
        with pytest.raises(EdxmlError) as caught:
            parse(data)
        assert "unexpected internal error" not in str(caught.value)


def assert_only_edxml_errors(data: bytes) -> None:
    for parse in (parse_package, parse_status):
        try:
            parse(data)
        except EdxmlError as exc:
            assert "unexpected internal error" not in str(exc), (data[:80], exc)


def test_fuzz_truncations():
    for name in ("edoc.edxml", "status.edxml", "received-2019-05.edxml"):
        data = sample(name)
        for cut in range(0, len(data), max(1, len(data) // 400)):
            assert_only_edxml_errors(data[:cut])


def test_fuzz_random_bytes_and_mutations():
    rng = random.Random(102_2016)
    for _ in range(300):
        assert_only_edxml_errors(rng.randbytes(rng.randint(0, 300)))
    base = sample("status_acceptance_03.edxml")
    for _ in range(600):
        mutated = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        assert_only_edxml_errors(bytes(mutated))
    text = minimal().decode()
    for _ in range(300):
        start = rng.randrange(len(text))
        assert_only_edxml_errors((text[:start] + text[start + rng.randint(1, 40) :]).encode())


def test_huge_text_node_is_read_within_the_limit():
    subject = "Trích yếu " * 200_000
    parsed = parse_package(minimal().replace("Về việc thử nghiệm".encode(), subject.encode()))
    assert parsed.package.header.subject == subject.strip()
    with pytest.raises(EdxmlError, match="over the limit"):
        parse_package(minimal().replace("thử nghiệm".encode(), b"x" * 3_000_000), max_bytes=2_000_000)


def test_text_is_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", "Về việc thử nghiệm")
    assert decomposed != "Về việc thử nghiệm"
    data = minimal().replace("Về việc thử nghiệm".encode(), decomposed.encode())
    assert parse_package(data).package.header.subject == "Về việc thử nghiệm"


def test_only_bytes_are_accepted():
    with pytest.raises(TypeError):
        parse_package("<edXML/>")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# Writing new packages and status messages


def new_package(**header_changes) -> Package:
    header = MessageHeader(
        sender=Organization(organ_id="000.00.00.H49", organ_name="UBND tỉnh Quảng Ninh"),
        to=(Organization(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ"),),
        code=Code(number="12", notation="UBND-VX"),
        promulgation_info=PromulgationInfo(place="Quảng Ninh", promulgation_date=dt.date(2025, 3, 5)),
        document_type=DocumentType(type=1, type_detail=0, type_name="Công văn"),
        subject="Về việc báo cáo tình hình",
        document_id=make_document_id("000.00.00.H49", dt.date(2025, 3, 5), 12, "UBND-VX"),
    )
    header = replace(header, **header_changes)
    attachments = (
        Attachment(content_id="cid:1", attachment_name="bao-cao.pdf", content_type="application/pdf", content=b"%PDF"),
    )
    return Package(
        header=header,
        trace=(TraceHeader(organ_id="000.00.00.H49", timestamp=dt.datetime(2025, 3, 5, 1, 2, 3, tzinfo=dt.UTC)),),
        manifest=make_manifest(attachments),
        attachments=attachments,
    )


def test_new_package_round_trips_in_local_time():
    package = new_package()
    assert package.header.document_id == "000.00.00.H49,2025/03/05,12/UBND-VX"
    data = build_package(package)
    assert b"<edXML:Timestamp>2025/03/05 08:02:03</edXML:Timestamp>" in data  # UTC 01:02 is 08:02 in Hà Nội
    assert base64.b64encode(b"%PDF") in data
    parsed = parse_package(data)
    assert parsed.warnings == ()
    assert parsed.package == package


def test_builder_normalises_text_to_nfc():
    package = new_package(subject=unicodedata.normalize("NFD", "Về việc báo cáo"))
    assert parse_package(build_package(package)).package.header.subject == "Về việc báo cáo"


def test_builder_refuses_missing_fields_all_listed():
    package = new_package(subject=" ", code=Code(number="", notation="UBND-VX"))
    package = replace(package, header=replace(package.header, sender=Organization(organ_id="")))
    with pytest.raises(EdxmlError) as caught:
        build_package(package)
    assert str(caught.value) == (
        "missing required field(s): MessageHeader/From/OrganId, MessageHeader/Code/CodeNumber, MessageHeader/Subject"
    )


def test_builder_refuses_naive_times_and_control_characters():
    package = replace(new_package(), trace=(TraceHeader(organ_id="x", timestamp=dt.datetime(2025, 1, 1)),))
    with pytest.raises(EdxmlError, match=r"TraceHeader\[1\]/Timestamp: .* has no time zone"):
        build_package(package)
    with pytest.raises(EdxmlError, match=r"Subject: contains the character U\+0001"):
        build_package(new_package(subject="bad\x01"))


def test_build_status():
    status = StatusMessage(
        sender=Organization(organ_id="000.00.00.H49", organ_name="UBND tỉnh Quảng Ninh"),
        response_for=ResponseFor(
            organ_id="000.00.00.G22",
            code="7816/VPCP-TTĐT",
            promulgation_date=dt.date(2015, 9, 30),
            document_id="000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
        ),
        status_code=StatusCode.REGISTERED,
        description="Tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị",
        timestamp=dt.datetime(2025, 3, 5, 9, 0, tzinfo=VN),
    )
    data = build_status(status)
    assert b"<edXML:StatusCode>03</edXML:StatusCode>" in data
    assert parse_status(data).status == status
    with pytest.raises(EdxmlError, match="not a two-digit status code"):
        build_status(replace(status, status_code="3"))
    with pytest.raises(EdxmlError, match="ResponseFor/DocumentId"):
        build_status(replace(status, response_for=ResponseFor()))


def test_encodings_utf16_with_bom_is_read_others_are_refused():
    data = sample("status.edxml")
    utf16 = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert parse_status(utf16).status == parse_status(data).status
    with pytest.raises(EdxmlError, match="declares the encoding 'windows-1258'; edXML files must be UTF-8"):
        parse_status(data.replace(b'encoding="UTF-8"', b'encoding="windows-1258"'))
