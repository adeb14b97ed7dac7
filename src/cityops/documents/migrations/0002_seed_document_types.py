"""Seed the document types of Decree 30/2020 Art. 7 with the abbreviations of Appendix III, and the legal
normative types a province receives.

The edXML type codes follow list B of QCVN 102 SĐ1:2022 where the reference gives them; the rest stay empty
(configurable data: an administrator fills them in).
"""

from django.db import migrations

# (code, name, English name, abbreviation, edXML type code)
TYPES = [
    ("nghi-quyet", "Nghị quyết", "Resolution", "NQ", 1),
    ("quyet-dinh", "Quyết định", "Decision", "QĐ", 2),
    ("chi-thi", "Chỉ thị", "Directive", "CT", 3),
    ("quy-che", "Quy chế", "Regulation (quy chế)", "QC", 4),
    ("quy-dinh", "Quy định", "Regulation (quy định)", "QyĐ", 5),
    ("thong-cao", "Thông cáo", "Communiqué", "TC", 6),
    ("thong-bao", "Thông báo", "Notice", "TB", 7),
    ("huong-dan", "Hướng dẫn", "Guidance", "HD", 8),
    ("chuong-trinh", "Chương trình", "Programme", "CTr", 9),
    ("ke-hoach", "Kế hoạch", "Plan", "KH", None),
    ("phuong-an", "Phương án", "Option", "PA", None),
    ("de-an", "Đề án", "Scheme", "ĐA", None),
    ("du-an", "Dự án", "Project", "DA", None),
    ("bao-cao", "Báo cáo", "Report", "BC", None),
    ("bien-ban", "Biên bản", "Minutes", "BB", None),
    ("to-trinh", "Tờ trình", "Submission", "TTr", None),
    ("hop-dong", "Hợp đồng", "Contract", "HĐ", None),
    ("cong-van", "Công văn", "Official letter", "", 18),
    ("cong-dien", "Công điện", "Official dispatch", "CĐ", 19),
    ("ban-ghi-nho", "Bản ghi nhớ", "Memorandum", "BGN", 20),
    ("ban-thoa-thuan", "Bản thỏa thuận", "Agreement", "BTT", 22),
    ("giay-uy-quyen", "Giấy ủy quyền", "Power of attorney", "GUQ", 24),
    ("giay-moi", "Giấy mời", "Invitation", "GM", 25),
    ("giay-gioi-thieu", "Giấy giới thiệu", "Letter of introduction", "GGT", 26),
    ("giay-nghi-phep", "Giấy nghỉ phép", "Leave permit", "GNP", None),
    ("phieu-gui", "Phiếu gửi", "Dispatch slip", "PG", None),
    ("phieu-chuyen", "Phiếu chuyển", "Transfer slip", "PC", None),
    ("phieu-bao", "Phiếu báo", "Notification slip", "PB", None),
    ("thu-cong", "Thư công", "Official letter (thư công)", "", None),
    ("ban-sao-y", "Bản sao y", "True copy", "SY", None),
    ("ban-sao-luc", "Bản sao lục", "Copy of a copy", "SL", None),
    ("ban-trich-sao", "Bản trích sao", "Extract copy", "TrS", None),
    # Legal normative documents (QCVN 102 SĐ1:2022 list A), received from ministries and the Government.
    ("qppl-hien-phap", "Hiến pháp", "Constitution", "", None),
    ("qppl-luat", "Luật", "Law", "", None),
    ("qppl-bo-luat", "Bộ luật", "Code", "", None),
    ("qppl-phap-lenh", "Pháp lệnh", "Ordinance", "", None),
    ("qppl-lenh", "Lệnh", "Order", "", None),
    ("qppl-nghi-quyet-lien-tich", "Nghị quyết liên tịch", "Joint resolution", "NQLT", None),
    ("qppl-nghi-dinh", "Nghị định", "Decree", "NĐ", None),
    ("qppl-thong-tu", "Thông tư", "Circular", "TT", None),
    ("qppl-thong-tu-lien-tich", "Thông tư liên tịch", "Joint circular", "TTLT", None),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for order, (code, name, name_en, abbreviation, edxml_type) in enumerate(TYPES, start=1):
        DocumentType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "abbreviation": abbreviation,
                "edxml_type": edxml_type,
                "sort_order": order,
            },
        )


def unseed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    DocumentType.objects.filter(code__in=[row[0] for row in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
