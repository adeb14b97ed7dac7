"""Static data of the demo province: a realistic Bắc Ninh after the 2025 reorganisation.

Everything specific to one province lives here and nowhere else in the code. The communes and wards come
from the ``vietnam_provinces`` package (real names and national codes); the provincial agencies follow the
2025 reorganisation (13 departments plus the agencies and central-sector offices working in the province).

DEMO DATA, NOT OFFICIAL: the edXML organisation codes below are invented for the demo, in the QĐ 20/2020
form ``000.00.00.Hxx``. The level-1 code is made from the province's administrative-unit code (H24); a real
deployment takes its codes from the QĐ 20/2020/QĐ-TTg appendix or the VXP ``getAgenciesListQD20`` call.
The people are invented too; any likeness to real officials is accidental. The demo password is printed by
``cityops seed-demo`` and must never be used outside a demo.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ANNOUNCEMENTS",
    "CITIZEN_WARD_CODE",
    "CODE_PREFIX",
    "COMMUNE_EDXML_GROUP",
    "DEMO_PASSWORD",
    "DEPARTMENTS",
    "JURISDICTION_BBOX",
    "PEOPLE",
    "PROVINCE",
    "PROVINCE_ADMIN_UNIT_CODE",
    "ROLE_POLICIES",
    "UNITS",
    "WARD_CODE_PREFIX",
    "DemoOrganization",
    "DemoPerson",
    "commune_edxml_code",
    "department_edxml_code",
    "province_edxml_code",
    "unit_edxml_code",
]

# One shared password for every demo account: long enough for the validators, not a common password.
DEMO_PASSWORD = "CityOps-Demo-2025"  # noqa: S105 - documented demo credential, printed by seed-demo

# Every demo organisation code starts with this, so the demo is found (and never confused) by code.
CODE_PREFIX = "bn-"
WARD_CODE_PREFIX = CODE_PREFIX

EDXML_LEVEL1 = "H24"
# Communes and wards take level-3 numbers 01-99 under this invented level-2 group (one group per 99 units).
COMMUNE_EDXML_GROUP = 90


def province_edxml_code() -> str:
    """The provincial People's Committee: ``000.00.00.H24``."""
    return f"000.00.00.{EDXML_LEVEL1}"


def department_edxml_code(number: int) -> str:
    """Level-2 code of a provincial agency: ``000.00.NN.H24``."""
    return f"000.00.{number:02d}.{EDXML_LEVEL1}"


def unit_edxml_code(department_number: int, number: int) -> str:
    """Level-3 code of a unit within an agency: ``000.NN.DD.H24``."""
    return f"000.{number:02d}.{department_number:02d}.{EDXML_LEVEL1}"


def commune_edxml_code(index: int) -> str:
    """Code of the ``index``-th commune or ward (1-based): ``000.NN.9G.H24``."""
    group, number = divmod(index - 1, 99)
    return f"000.{number + 1:02d}.{COMMUNE_EDXML_GROUP + group:02d}.{EDXML_LEVEL1}"


@dataclass(frozen=True)
class DemoOrganization:
    number: int  # the level-2 (agency) or level-3 (unit) number in the invented edXML code
    code: str
    name: str
    short_name: str = ""
    kind: str = "department"
    parent: str = ""  # code of the parent agency, for units
    email: str = ""
    phone: str = ""
    address: str = ""
    website: str = ""


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    role: str
    organization: str  # an organisation code, or "ward:<national code>" for a commune or ward
    title: str
    email: str = ""
    is_staff: bool = False
    is_service_account: bool = False


PROVINCE = DemoOrganization(
    number=0,
    code="bn-ubnd-tinh",
    name="Ủy ban nhân dân tỉnh Bắc Ninh",
    short_name="UBND tỉnh Bắc Ninh",
    kind="province",
    email="ubnd@demo.bacninh.gov.vn",
    address="Số 10 đường Phù Đổng Thiên Vương, phường Kinh Bắc, tỉnh Bắc Ninh",
    website="https://demo.bacninh.gov.vn",
)
PROVINCE_ADMIN_UNIT_CODE = 24
# Bắc Ninh after the 2025 merger with Bắc Giang, roughly (south, west, north, east); `cityops demo` uses it
# as FEEDBACK_JURISDICTION_BBOX unless the environment sets one.
JURISDICTION_BBOX = "20.95,105.85,21.65,106.95"

DEPARTMENTS: tuple[DemoOrganization, ...] = (
    DemoOrganization(1, "bn-vp-ubnd", "Văn phòng Ủy ban nhân dân tỉnh", "Văn phòng UBND tỉnh"),
    DemoOrganization(2, "bn-so-noi-vu", "Sở Nội vụ", "SNV"),
    DemoOrganization(3, "bn-so-tai-chinh", "Sở Tài chính", "STC"),
    DemoOrganization(4, "bn-so-tu-phap", "Sở Tư pháp", "STP"),
    DemoOrganization(5, "bn-so-xay-dung", "Sở Xây dựng", "SXD", email="sxd@demo.bacninh.gov.vn"),
    DemoOrganization(6, "bn-so-nn-mt", "Sở Nông nghiệp và Môi trường", "SNNMT"),
    DemoOrganization(7, "bn-so-cong-thuong", "Sở Công Thương", "SCT"),
    DemoOrganization(8, "bn-so-y-te", "Sở Y tế", "SYT"),
    DemoOrganization(9, "bn-so-gd-dt", "Sở Giáo dục và Đào tạo", "SGDĐT"),
    DemoOrganization(10, "bn-so-kh-cn", "Sở Khoa học và Công nghệ", "SKHCN"),
    DemoOrganization(11, "bn-so-vh-tt-dl", "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL"),
    DemoOrganization(12, "bn-so-dan-toc-ton-giao", "Sở Dân tộc và Tôn giáo", "SDTTG"),
    DemoOrganization(13, "bn-thanh-tra", "Thanh tra tỉnh", "TTT"),
    DemoOrganization(14, "bn-bql-kcn", "Ban Quản lý các khu công nghiệp tỉnh", "BQL các KCN"),
    DemoOrganization(15, "bn-dai-ptth", "Đài Phát thanh và Truyền hình tỉnh", "Đài PT-TH"),
    DemoOrganization(
        16, "bn-ioc", "Trung tâm Điều hành đô thị thông minh tỉnh", "IOC", email="ioc@demo.bacninh.gov.vn"
    ),
    DemoOrganization(17, "bn-tt-phvhcc", "Trung tâm Phục vụ hành chính công tỉnh", "TTPVHCC"),
    DemoOrganization(18, "bn-bqlda-dd-cn", "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp tỉnh", "BQLDA DD&CN"),  # noqa: E501
    DemoOrganization(19, "bn-bqlda-gt-nn", "Ban Quản lý dự án đầu tư xây dựng các công trình giao thông và nông nghiệp tỉnh", "BQLDA GT&NN"),  # noqa: E501
    DemoOrganization(20, "bn-quy-dtpt", "Quỹ Đầu tư phát triển tỉnh", "Quỹ ĐTPT"),
    DemoOrganization(21, "bn-tt-xtdt", "Trung tâm Xúc tiến đầu tư, Thương mại và Du lịch tỉnh", "TTXTĐT"),
    DemoOrganization(22, "bn-truong-chinh-tri", "Trường Chính trị tỉnh", "Trường Chính trị"),
    DemoOrganization(23, "bn-vp-doan-dbqh-hdnd", "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân tỉnh", "VP Đoàn ĐBQH và HĐND"),  # noqa: E501
    DemoOrganization(24, "bn-ban-atgt", "Ban An toàn giao thông tỉnh", "Ban ATGT"),
    DemoOrganization(25, "bn-cong-an", "Công an tỉnh", "CAT"),
    DemoOrganization(26, "bn-bchqs", "Bộ Chỉ huy Quân sự tỉnh", "BCHQS"),
    DemoOrganization(27, "bn-mttq", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "UBMTTQ", kind="other"),
    DemoOrganization(28, "bn-lien-minh-htx", "Liên minh Hợp tác xã tỉnh", "LMHTX", kind="other"),
    DemoOrganization(29, "bn-thue", "Thuế tỉnh Bắc Ninh", "Thuế tỉnh", kind="other"),
    DemoOrganization(30, "bn-kho-bac", "Kho bạc Nhà nước khu vực (trên địa bàn tỉnh)", "KBNN", kind="other"),
    DemoOrganization(31, "bn-bhxh", "Bảo hiểm xã hội tỉnh", "BHXH", kind="other"),
    DemoOrganization(32, "bn-thong-ke", "Thống kê tỉnh", "Thống kê", kind="other"),
    DemoOrganization(33, "bn-hai-quan", "Chi cục Hải quan khu vực (trên địa bàn tỉnh)", "Hải quan", kind="other"),
    DemoOrganization(34, "bn-nhnn", "Ngân hàng Nhà nước chi nhánh khu vực (trên địa bàn tỉnh)", "NHNN", kind="other"),
    DemoOrganization(35, "bn-toa-an", "Tòa án nhân dân tỉnh", "TAND", kind="other"),
    DemoOrganization(36, "bn-vien-kiem-sat", "Viện Kiểm sát nhân dân tỉnh", "VKSND", kind="other"),
    DemoOrganization(37, "bn-dien-luc", "Công ty Điện lực Bắc Ninh", "Điện lực", kind="other"),
    DemoOrganization(38, "bn-nuoc-sach", "Công ty Cổ phần Nước sạch Bắc Ninh", "Nước sạch", kind="other"),
    DemoOrganization(39, "bn-cdc", "Trung tâm Kiểm soát bệnh tật tỉnh", "CDC"),
    DemoOrganization(40, "bn-bv-da-khoa", "Bệnh viện Đa khoa tỉnh", "BVĐK tỉnh"),
)  # fmt: skip

UNITS: tuple[DemoOrganization, ...] = (
    DemoOrganization(1, "bn-vp-ubnd-tong-hop", "Phòng Tổng hợp", kind="unit", parent="bn-vp-ubnd"),
    DemoOrganization(2, "bn-vp-ubnd-kinh-te", "Phòng Kinh tế", kind="unit", parent="bn-vp-ubnd"),
    DemoOrganization(3, "bn-vp-ubnd-hanh-chinh", "Phòng Hành chính - Tổ chức", kind="unit", parent="bn-vp-ubnd"),
    DemoOrganization(1, "bn-sxd-qlxd", "Phòng Quản lý xây dựng", kind="unit", parent="bn-so-xay-dung"),
    DemoOrganization(2, "bn-sxd-qh-kt", "Phòng Quy hoạch - Kiến trúc", kind="unit", parent="bn-so-xay-dung"),
    DemoOrganization(3, "bn-sxd-ql-gt", "Phòng Quản lý giao thông", kind="unit", parent="bn-so-xay-dung"),
    DemoOrganization(1, "bn-snnmt-qldd", "Phòng Quản lý đất đai", kind="unit", parent="bn-so-nn-mt"),
    DemoOrganization(2, "bn-snnmt-mt", "Phòng Môi trường", kind="unit", parent="bn-so-nn-mt"),
    DemoOrganization(3, "bn-snnmt-qtmt", "Trung tâm Quan trắc tài nguyên và môi trường", kind="unit", parent="bn-so-nn-mt"),  # noqa: E501
    DemoOrganization(1, "bn-skhcn-tt-cntt", "Trung tâm Công nghệ thông tin và Truyền thông", kind="unit", parent="bn-so-kh-cn"),  # noqa: E501
    DemoOrganization(1, "bn-ioc-giam-sat", "Phòng Giám sát - Điều hành", kind="unit", parent="bn-ioc"),
    DemoOrganization(2, "bn-ioc-ky-thuat", "Phòng Kỹ thuật - Dữ liệu", kind="unit", parent="bn-ioc"),
    DemoOrganization(1, "bn-ca-csgt", "Phòng Cảnh sát giao thông", kind="unit", parent="bn-cong-an"),
    DemoOrganization(2, "bn-ca-pccc", "Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ", kind="unit", parent="bn-cong-an"),  # noqa: E501
)  # fmt: skip

# The commune or ward of the demo citizen, by its national code (Phường Kinh Bắc).
CITIZEN_WARD_CODE = 9187

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("quantri", "Lê Minh Tuấn", "administrator", PROVINCE.code, "Quản trị hệ thống",
               "quantri@demo.bacninh.gov.vn", is_staff=True),
    DemoPerson("chutich", "Nguyễn Quốc Khánh", "leader", PROVINCE.code, "Chủ tịch UBND tỉnh",
               "chutich@demo.bacninh.gov.vn"),
    DemoPerson("vanhanh.ioc", "Phạm Thị Thu Hà", "ioc_operator", "bn-ioc", "Kỹ thuật viên vận hành",
               "vanhanh@demo.bacninh.gov.vn"),
    DemoPerson("vanthu", "Đỗ Thị Lan", "clerk", "bn-vp-ubnd", "Văn thư", "vanthu@demo.bacninh.gov.vn"),
    DemoPerson("chuyenvien.sxd", "Trần Đức Anh", "specialist", "bn-so-xay-dung", "Chuyên viên",
               "anhtd.sxd@demo.bacninh.gov.vn"),
    DemoPerson("giamdoc.sxd", "Hoàng Văn Bình", "agency_head", "bn-so-xay-dung", "Giám đốc Sở Xây dựng",
               "binhhv.sxd@demo.bacninh.gov.vn"),
    DemoPerson("thanhtra", "Vũ Thị Mai", "inspector", "bn-thanh-tra", "Thanh tra viên",
               "maivt.tt@demo.bacninh.gov.vn"),
    DemoPerson("congdan", "Ngô Văn Phúc", "citizen", f"ward:{CITIZEN_WARD_CODE}", "Người dân",
               "ngovanphuc@example.com"),
    DemoPerson("tichhop.ioc", "Tài khoản tích hợp IOC", "integrator", "bn-ioc", "Tài khoản dịch vụ",
               is_service_account=True),
)  # fmt: skip

# Demo values: every staff role logs straight in. In production switch two-factor on at least for
# administrator, leader, inspector and IOC operator (Django admin → Role policies).
ROLE_POLICIES: tuple[tuple[str, bool], ...] = (
    ("administrator", False),
    ("leader", False),
    ("inspector", False),
    ("ioc_operator", False),
)

ANNOUNCEMENTS: tuple[tuple[str, str, bool], ...] = (
    (
        "Vận hành thử nghiệm Trung tâm Điều hành đô thị thông minh tỉnh",
        "<p>Từ ngày 01/12, Trung tâm Điều hành đô thị thông minh tỉnh vận hành thử nghiệm hệ thống. "
        "Các sở, ban, ngành và UBND các xã, phường cập nhật dữ liệu chuyên ngành theo hướng dẫn.</p>",
        False,
    ),
    (
        "Tiếp nhận phản ánh, kiến nghị của người dân qua hệ thống",
        "<p>Người dân, doanh nghiệp gửi phản ánh, kiến nghị về hạ tầng, môi trường, trật tự đô thị qua "
        "cổng tiếp nhận; mọi phản ánh được trả lời công khai.</p>",
        True,
    ),
    (
        "Lịch nghỉ Tết Nguyên đán",
        "<p>Cán bộ, công chức, viên chức nghỉ Tết Nguyên đán theo thông báo của Bộ Nội vụ. "
        "Các cơ quan bố trí trực bảo đảm an ninh, an toàn.</p>",
        True,
    ),
)
