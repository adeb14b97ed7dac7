"""Standard feedback categories for a Vietnamese province, loaded by ``feedback_seed_categories``.

Agencies are named by organisation code (the demo province's codes); a category whose agency does not exist
is created without a default agency, so the command also works on a real deployment's own tree.
"""

from __future__ import annotations

from typing import Any

CATEGORIES: tuple[dict[str, Any], ...] = (
    {"code": "road-damage", "name_vi": "Hư hỏng đường, vỉa hè", "name_en": "Damaged road or pavement",
     "kind": "problem", "domain": "mobility", "group": "Giao thông", "agency": "bn-so-xay-dung", "days": 5,
     "attributes": [{"code": "size", "datatype": "singlevaluelist", "required": False, "variable": True, "order": 1,
                     "description": "Mức độ hư hỏng",
                     "values": [{"key": "small", "name": "Nhỏ"}, {"key": "large", "name": "Lớn, nguy hiểm"}]}]},
    {"code": "street-light", "name_vi": "Đèn chiếu sáng công cộng hỏng", "name_en": "Broken street light",
     "kind": "problem", "domain": "living", "group": "Hạ tầng đô thị", "agency": "bn-so-xay-dung", "days": 3},
    {"code": "flooding", "name_vi": "Ngập úng, thoát nước", "name_en": "Flooding or drainage",
     "kind": "problem", "domain": "environment", "group": "Hạ tầng đô thị", "agency": "bn-so-xay-dung", "hours": 8},
    {"code": "garbage", "name_vi": "Rác thải, vệ sinh môi trường", "name_en": "Garbage and sanitation",
     "kind": "problem", "domain": "environment", "group": "Môi trường", "agency": "bn-so-nn-mt", "days": 2},
    {"code": "pollution", "name_vi": "Ô nhiễm không khí, nước, tiếng ồn", "name_en": "Air, water or noise pollution",
     "kind": "problem", "domain": "environment", "group": "Môi trường", "agency": "bn-so-nn-mt", "days": 5},
    {"code": "water-supply", "name_vi": "Cấp nước sinh hoạt", "name_en": "Water supply",
     "kind": "problem", "domain": "living", "group": "Dịch vụ công", "agency": "bn-nuoc-sach", "days": 2},
    {"code": "traffic-order", "name_vi": "Trật tự an toàn giao thông", "name_en": "Traffic order and safety",
     "kind": "problem", "domain": "mobility", "group": "Giao thông", "agency": "bn-ban-atgt", "days": 3},
    {"code": "urban-order", "name_vi": "Trật tự đô thị, lấn chiếm vỉa hè", "name_en": "Urban order, encroachment",
     "kind": "problem", "domain": "governance", "group": "Trật tự đô thị", "agency": "bn-so-xay-dung", "days": 5},
    {"code": "food-safety", "name_vi": "An toàn thực phẩm", "name_en": "Food safety",
     "kind": "problem", "domain": "people", "group": "Y tế", "agency": "bn-so-y-te", "days": 5},
    {"code": "idea", "name_vi": "Hiến kế, kiến nghị xây dựng tỉnh", "name_en": "Ideas and recommendations",
     "kind": "recommendation", "domain": "governance", "group": "Kiến nghị", "agency": "bn-vp-ubnd", "days": 15},
    {"code": "business", "name_vi": "Phản ánh của doanh nghiệp", "name_en": "Business feedback",
     "kind": "business", "domain": "economy", "group": "Doanh nghiệp", "agency": "bn-so-tai-chinh", "days": 10},
)  # fmt: skip

TEMPLATES: tuple[tuple[str, str], ...] = (
    ("Đã tiếp nhận", "Trung tâm IOC đã tiếp nhận phản ánh và chuyển đơn vị có thẩm quyền xử lý."),
    ("Không thuộc phạm vi",
     "Nội dung không thuộc phạm vi tiếp nhận của hệ thống; đề nghị liên hệ cơ quan có thẩm quyền."),
    ("Đã xử lý xong", "Đơn vị đã kiểm tra hiện trường và xử lý xong; hình ảnh sau xử lý được đính kèm."),
)  # fmt: skip
