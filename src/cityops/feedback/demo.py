"""Demo data of the feedback module: the standard categories, routing rules and a dozen citizen requests.

Everything goes through ``cityops.feedback.services`` (audited and indexed). Idempotent: categories,
templates and rules are looked up by code or name first; the requests are created only when the marker
request (the first description below) does not exist yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cityops.core import demo_data as core_demo
from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.feedback import services
from cityops.feedback.demo_data import CATEGORIES, TEMPLATES
from cityops.feedback.models import Category, Request, ResponseTemplate, RoutingRule

if TYPE_CHECKING:
    from cityops.core.services.demo import DemoSeedResult

__all__ = ["seed_demo"]

# (category, ward national code, lat, long, address, description, final state, answer / note)
# States: new, verified, assigned, accepted, progress, resolved, published (+ rating score).
REQUESTS: tuple[tuple[str, int, float, float, str, str, str, str], ...] = (
    ("road-damage", 9187, 21.1839, 106.0713, "Đường Lý Thái Tổ, phường Kinh Bắc",
     "Mặt đường Lý Thái Tổ đoạn trước cổng trường THCS bị sụt lún, có ổ gà sâu khoảng 20 cm, "
     "xe máy đi qua rất nguy hiểm vào buổi tối.", "published:5",
     "Sở Xây dựng đã chỉ đạo đơn vị duy tu vá ổ gà, hoàn trả mặt đường bằng bê tông nhựa."),
    ("street-light", 9190, 21.1712, 106.0561, "Đường Nguyễn Văn Cừ, phường Võ Cường",
     "Cả dãy đèn chiếu sáng trên đường Nguyễn Văn Cừ đoạn gần khu đô thị Hòa Long không sáng đã ba đêm.",
     "published:4", "Đơn vị quản lý chiếu sáng đã thay tủ điện và khôi phục toàn bộ 14 bóng đèn."),
    ("flooding", 9367, 21.1178, 105.9621, "Đường Lý Thánh Tông, phường Từ Sơn",
     "Sau mưa lớn, khu vực ngã tư Lý Thánh Tông ngập sâu 30-40 cm, nước rút rất chậm do cống bị tắc.",
     "resolved", "Đã nạo vét 120 m cống thoát nước, khơi thông hố ga tại ngã tư."),
    ("garbage", 9169, 21.1952, 106.0878, "Khu dân cư Thị Chung, phường Vũ Ninh",
     "Rác thải sinh hoạt tồn đọng ở điểm tập kết đầu ngõ hơn hai ngày chưa được thu gom, bốc mùi hôi.",
     "progress", "Đã liên hệ đơn vị thu gom, bố trí thêm chuyến xe trong ngày."),
    ("urban-order", 9382, 21.1281, 105.9874, "Đường Trần Phú, phường Đồng Nguyên",
     "Nhiều hộ kinh doanh lấn chiếm vỉa hè để bày bán hàng và để xe, người đi bộ phải đi xuống lòng đường.",
     "progress", "Tổ kiểm tra trật tự đô thị đã lập biên bản, yêu cầu các hộ cam kết tháo dỡ."),
    ("road-damage", 9400, 21.0512, 106.0843, "Quốc lộ 17, phường Thuận Thành",
     "Nắp hố ga trên vỉa hè Quốc lộ 17 bị vỡ, có nguy cơ gây tai nạn cho người đi bộ và học sinh.",
     "accepted", ""),
    ("street-light", 7210, 21.2738, 106.1946, "Đường Hùng Vương, phường Bắc Giang",
     "Đèn tín hiệu và đèn chiếu sáng tại vòng xuyến đường Hùng Vương nhấp nháy, lúc sáng lúc tắt.",
     "assigned", ""),
    ("pollution", 9247, 21.1512, 106.1634, "Khu vực giáp KCN Quế Võ, phường Quế Võ",
     "Khói và mùi khét từ khu vực đốt phế liệu gần khu công nghiệp xuất hiện vào chiều tối hằng ngày.",
     "verified", ""),
    ("water-supply", 9319, 21.1367, 106.0289, "Thôn Lũng Sơn, xã Tiên Du",
     "Nước máy có màu vàng đục và mùi lạ từ hai hôm nay, người dân không dám sử dụng để nấu ăn.",
     "new", ""),
    ("traffic-order", 9193, 21.2074, 105.9498, "Đường tỉnh 286, xã Yên Phong",
     "Xe tải chở vật liệu xây dựng chạy tốc độ cao, không che phủ thùng xe, làm rơi vãi đất cát ra đường.",
     "new", ""),
    ("garbage", 9454, 21.0574, 106.1865, "Bờ sông Đuống, xã Gia Bình",
     "Có người đổ trộm phế thải xây dựng ra ven đê sông Đuống vào ban đêm.", "new", ""),
    ("idea", 9187, 21.1798, 106.0652, "Quảng trường Lý Thái Tổ, phường Kinh Bắc",
     "Đề nghị bố trí thêm ghế đá và cây xanh tạo bóng mát quanh quảng trường để người cao tuổi nghỉ chân.",
     "new", ""),
)  # fmt: skip

_ORDER = ("new", "verified", "assigned", "accepted", "progress", "resolved", "published")


def _ward(code: int) -> Organization | None:
    return Organization.objects.filter(admin_unit_code=f"{code:05d}", code__startswith=core_demo.CODE_PREFIX).first()


def _load_categories(desk_actor: Any) -> dict[str, Category]:
    existing = {c.code: c for c in Category.objects.all()}
    for order, item in enumerate(CATEGORIES, start=1):
        if item["code"] in existing:
            continue
        category = Category(
            code=item["code"], name_vi=item["name_vi"], name_en=item["name_en"], kind=item["kind"],
            domain=item["domain"], group=item["group"], deadline_days=item.get("days"),
            deadline_hours=item.get("hours"), attributes=item.get("attributes", []), sort_order=order,
            default_agency=Organization.objects.filter(code=item["agency"]).first(),
        )  # fmt: skip
        existing[item["code"]] = services.category_save(actor=desk_actor, category=category)
    names = set(ResponseTemplate.objects.filter(category=None).values_list("name", flat=True))
    for order, (name, text) in enumerate(TEMPLATES, start=1):
        if name not in names:
            services.response_template_save(
                actor=desk_actor, template=ResponseTemplate(name=name, text=text, sort_order=order)
            )
    return existing


def _load_routing(desk_actor: Any, categories: dict[str, Category]) -> None:
    """A few local exceptions to the categories' default agencies (category × ward → agency)."""
    rules = (("garbage", 9169, "bn-so-nn-mt"), ("pollution", 9247, "bn-bql-kcn"),
             ("water-supply", 9319, "bn-nuoc-sach"))  # fmt: skip
    for code, ward_code, agency_code in rules:
        category, area = categories.get(code), _ward(ward_code)
        agency = Organization.objects.filter(code=agency_code).first()
        if category is None or area is None or agency is None:
            continue
        if RoutingRule.objects.filter(category=category, area=area).exists():
            continue
        services.routing_rule_save(actor=desk_actor, rule=RoutingRule(category=category, area=area, agency=agency))


def seed_demo(result: DemoSeedResult) -> None:
    users = result.users_by_role
    desk_actor, citizen = users[Role.IOC_OPERATOR], users[Role.CITIZEN]
    specialist = users[Role.SPECIALIST]
    categories = _load_categories(desk_actor)
    _load_routing(desk_actor, categories)
    if Request.objects.filter(description=REQUESTS[0][5]).exists():
        return
    agency = Organization.objects.get(code="bn-so-xay-dung")
    for category_code, ward_code, lat, long, address, description, state, text in REQUESTS:
        final, _sep, score = state.partition(":")
        req = services.request_submit(
            actor=citizen, category=categories[category_code], description=description, lat=lat, long=long,
            address=address, area=_ward(ward_code), contact_name=citizen.full_name, contact_email=citizen.email,
        )  # fmt: skip
        step = _ORDER.index(final)
        if step >= 1:
            req = services.request_verify(actor=desk_actor, request=req, note="Đã xác minh thông tin phản ánh.")
        if step >= 2:
            req = services.request_assign(
                actor=desk_actor, request=req, agency=agency, note="Chuyển Sở Xây dựng chủ trì xử lý."
            )
        if step >= 3:
            req = services.request_accept(actor=specialist, request=req, note="Sở Xây dựng tiếp nhận xử lý.")
        if step >= 4:
            note = text if final == "progress" else "Đã cử cán bộ kiểm tra hiện trường."
            req = services.request_progress(actor=specialist, request=req, note=note)
        if step >= 5:
            req = services.request_resolve(actor=specialist, request=req, answer=text)
        if step >= 6:
            req = services.request_publish(actor=desk_actor, request=req)
            if score:
                services.request_rate(
                    actor=citizen, request=req, score=int(score), comment="Xử lý nhanh, cảm ơn các cơ quan chức năng."
                )
