"""Demo data of the feedback module: the standard categories, routing rules and two dozen citizen requests.

The requests cover every kind (problems, ideas, business feedback), most endings (published and rated well or
badly, rejected, merged, reopened) and stages, several agencies and communes, and some past their deadline.
Everything goes through ``cityops.feedback.services`` (audited and indexed); only the dates of the wider
spread are then moved back, so deadlines, lateness and on-time rates show. Idempotent: categories, templates
and rules are looked up by code or name first, each request by its description.
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

# A wider spread on top of the above: other agencies, kinds and endings, some late. Each entry: category,
# ward, lat, long, address, description, state (as above, or rejected / reopened / merged), answer or reason,
# handling agency (default Sở Xây dựng), days since it came in, and whether the deadline has passed.
MORE_REQUESTS: tuple[dict[str, Any], ...] = (
    {"category": "road-damage", "ward": 9367, "lat": 21.1161, "long": 105.9702,
     "address": "Đường Minh Khai, phường Từ Sơn",
     "description": "Đoạn đường Minh Khai mới thảm lại đã bong tróc, xuất hiện nhiều vết nứt và ổ gà nhỏ.",
     "state": "progress", "text": "Đã khảo sát, chờ nhà thầu bảo hành sửa chữa.", "days": 12, "overdue": True},
    {"category": "street-light", "ward": 9169, "lat": 21.1938, "long": 106.0851,
     "address": "Đường Kinh Dương Vương, phường Vũ Ninh",
     "description": "Ba cột đèn trước khu tập thể bị nghiêng sau cơn giông, dây điện võng thấp rất nguy hiểm.",
     "state": "assigned", "text": "", "days": 8, "overdue": True},
    {"category": "food-safety", "ward": 9187, "lat": 21.1825, "long": 106.0694,
     "address": "Chợ Nhớn, phường Kinh Bắc",
     "description": "Một số quầy thịt trong chợ không có tủ mát, bày bán cả ngày ngoài trời nắng nóng.",
     "state": "assigned", "text": "", "agency": "bn-so-y-te", "days": 3},
    {"category": "business", "ward": 9247, "lat": 21.1489, "long": 106.1592,
     "address": "KCN Quế Võ, phường Quế Võ",
     "description": "Doanh nghiệp chúng tôi đã nộp hồ sơ hoàn thuế giá trị gia tăng quá thời hạn mà chưa nhận "
                    "được phản hồi, đề nghị cơ quan chức năng xem xét.",
     "state": "assigned", "text": "", "agency": "bn-so-tai-chinh", "days": 14, "overdue": True},
    {"category": "business", "ward": 9400, "lat": 21.0535, "long": 106.0871,
     "address": "Cụm công nghiệp Thanh Khương, phường Thuận Thành",
     "description": "Đề nghị bổ sung tuyến xe buýt đưa đón công nhân từ trung tâm phường vào cụm công nghiệp.",
     "state": "verified", "text": "", "days": 2},
    {"category": "idea", "ward": 9190, "lat": 21.1735, "long": 106.0589,
     "address": "Công viên Nguyễn Văn Cừ, phường Võ Cường",
     "description": "Đề nghị lắp đặt thêm thiết bị tập thể dục ngoài trời tại công viên cho người dân khu vực.",
     "state": "published", "text": "UBND phường đã đưa vào kế hoạch lắp đặt 10 thiết bị trong quý tới.",
     "days": 30, "score": 4},
    {"category": "garbage", "ward": 9382, "lat": 21.1302, "long": 105.9851,
     "address": "Ngõ 12 đường Trần Phú, phường Đồng Nguyên",
     "description": "Thùng rác công cộng đầu ngõ bị vỡ, rác tràn ra đường, chó mèo bới tung.",
     "state": "published", "text": "Đã thay thùng rác mới và thu dọn khu vực.", "days": 20, "score": 2,
     "late": True},
    {"category": "flooding", "ward": 9190, "lat": 21.1699, "long": 106.0577,
     "address": "Khu đô thị Hòa Long, phường Võ Cường",
     "description": "Hố ga trước nhà số 25 thường xuyên tràn nước bẩn mỗi khi mưa.",
     "state": "reopened", "text": "Đã thông tắc hố ga.", "days": 25,
     "reason": "Mưa hôm qua hố ga vẫn tràn nước, chưa được xử lý triệt để."},
    {"category": "traffic-order", "ward": 9367, "lat": 21.1195, "long": 105.9645,
     "address": "Đường Lý Thánh Tông, phường Từ Sơn",
     "description": "Đồ án hay quá, mọi người vào xem quảng cáo tại đường link sau.",
     "state": "rejected", "text": "Nội dung không phải phản ánh về trật tự an toàn giao thông.", "days": 5},
    {"category": "garbage", "ward": 9169, "lat": 21.1953, "long": 106.0879,
     "address": "Khu dân cư Thị Chung, phường Vũ Ninh",
     "description": "Điểm tập kết rác ở đầu ngõ Thị Chung mấy hôm nay không ai thu gom, mùi rất khó chịu.",
     "state": "merged", "text": REQUESTS[3][5], "days": 1},
    {"category": "water-supply", "ward": 9319, "lat": 21.1372, "long": 106.0301,
     "address": "Thôn Lũng Sơn, xã Tiên Du",
     "description": "Mất nước sinh hoạt từ sáng sớm đến chiều chưa có lại, không có thông báo trước.",
     "state": "resolved", "text": "Đã khắc phục sự cố vỡ đường ống D110, cấp nước trở lại lúc 16 giờ.", "days": 4},
    {"category": "pollution", "ward": 9193, "lat": 21.2049, "long": 105.9512,
     "address": "Khu công nghiệp Yên Phong, xã Yên Phong",
     "description": "Tiếng ồn lớn từ xưởng sản xuất hoạt động cả đêm, ảnh hưởng giấc ngủ của người dân.",
     "state": "accepted", "text": "", "days": 6, "overdue": True},
)  # fmt: skip


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
    agency = Organization.objects.get(code="bn-so-xay-dung")
    existing = set(Request.objects.values_list("description", flat=True))
    for category_code, ward_code, lat, long, address, description, state, text in REQUESTS:
        if description in existing:
            continue
        final, _sep, score = state.partition(":")
        req = services.request_submit(
            actor=citizen, category=categories[category_code], description=description, lat=lat, long=long,
            address=address, area=_ward(ward_code), contact_name=citizen.full_name, contact_email=citizen.email,
        )  # fmt: skip
        _advance(req, final, text, desk_actor=desk_actor, specialist=specialist, agency=agency)
        if score:
            services.request_rate(
                actor=citizen, request=req, score=int(score), comment="Xử lý nhanh, cảm ơn các cơ quan chức năng."
            )
    for item in MORE_REQUESTS:
        if item["description"] not in existing:
            _more(item, categories, desk_actor=desk_actor, specialist=specialist, citizen=citizen)


def _advance(req: Request, final: str, text: str, *, desk_actor: Any, specialist: Any, agency: Organization) -> Request:
    """Take a new request through the workflow up to ``final`` (one of ``_ORDER``), as the desk and agency would."""
    step = _ORDER.index(final)
    if step >= 1:
        req = services.request_verify(actor=desk_actor, request=req, note="Đã xác minh thông tin phản ánh.")
    if step >= 2:
        req = services.request_assign(
            actor=desk_actor, request=req, agency=agency, note=f"Chuyển {agency.name} chủ trì xử lý."
        )
    if step >= 3:
        req = services.request_accept(actor=specialist, request=req, note="Đơn vị tiếp nhận xử lý.")
    if step >= 4:
        note = text if final == "progress" else "Đã cử cán bộ kiểm tra hiện trường."
        req = services.request_progress(actor=specialist, request=req, note=note)
    if step >= 5:
        req = services.request_resolve(actor=specialist, request=req, answer=text)
    if step >= 6:
        req = services.request_publish(actor=desk_actor, request=req)
    return req


def _more(
    item: dict[str, Any], categories: dict[str, Category], *, desk_actor: Any, specialist: Any, citizen: Any
) -> None:
    """One request of the wider spread; its dates are then moved back ``days`` so deadlines and lateness show."""
    import datetime as dt

    from django.utils import timezone

    agency = Organization.objects.get(code=item.get("agency", "bn-so-xay-dung"))
    handler = specialist if agency.code == "bn-so-xay-dung" else None
    req = services.request_submit(
        actor=citizen, category=categories[item["category"]], description=item["description"], lat=item["lat"],
        long=item["long"], address=item["address"], area=_ward(item["ward"]), contact_name=citizen.full_name,
        contact_email=citizen.email,
    )  # fmt: skip
    state = item["state"]
    if state == "rejected":
        services.request_reject(actor=desk_actor, request=req, reason=item["text"])
    elif state == "merged":
        original = Request.objects.filter(description=item["text"]).first()
        if original is not None:
            services.request_merge(actor=desk_actor, request=req, original=original, note="Cùng điểm tập kết rác.")
    elif state == "reopened":
        req = _advance(req, "published", item["text"], desk_actor=desk_actor, specialist=specialist, agency=agency)
        services.request_reopen(actor=citizen, request=req, reason=item["reason"])
    else:
        final = state if handler is not None or _ORDER.index(state) <= _ORDER.index("assigned") else "assigned"
        req = _advance(req, final, item["text"], desk_actor=desk_actor, specialist=handler, agency=agency)
        if item.get("score"):
            services.request_rate(actor=citizen, request=req, score=item["score"], comment="Cảm ơn đã phản hồi.")
    now = timezone.now()
    created = now - dt.timedelta(days=item["days"])
    req = Request.objects.get(pk=req.pk)
    changes: dict[str, Any] = {"created_at": created}
    if item.get("overdue"):
        changes["deadline"] = now - dt.timedelta(days=1)
    elif item.get("late"):
        changes["deadline"] = created + dt.timedelta(days=2)
    if req.closed_at is not None and not req.is_open:
        changes["closed_at"] = created + dt.timedelta(days=max(1, item["days"] // 2))
    Request.objects.filter(pk=req.pk).update(**changes)
