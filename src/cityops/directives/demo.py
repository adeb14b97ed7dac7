"""Demo data of the directives module: one directive of the Chairman with tasks in several states.

Everything goes through ``cityops.directives.services`` (audited, indexed, notified). Idempotent: nothing
is created when the directive (its title below) already exists.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from cityops.core.choices import Domain, Role
from cityops.core.models import Organization
from cityops.core.workdays import add_working_days
from cityops.directives import services
from cityops.directives.choices import Priority
from cityops.directives.models import Directive

if TYPE_CHECKING:
    from cityops.core.services.demo import DemoSeedResult

__all__ = ["seed_demo"]

TITLE = "Kết luận của Chủ tịch UBND tỉnh tại cuộc họp giao ban vận hành Trung tâm Điều hành đô thị thông minh"
CONTENT = (
    "Để bảo đảm Trung tâm Điều hành đô thị thông minh tỉnh vận hành hiệu quả, Chủ tịch UBND tỉnh giao các cơ "
    "quan, đơn vị thực hiện các nhiệm vụ sau, báo cáo kết quả trước thời hạn quy định."
)


def _in_working_days(days: int) -> dt.date:
    day = add_working_days(timezone.localdate(), days)
    assert isinstance(day, dt.date)
    return day


def seed_demo(result: DemoSeedResult) -> None:
    if Directive.objects.filter(title=TITLE).exists():
        return
    users = result.users_by_role
    leader, specialist = users[Role.LEADER], users[Role.SPECIALIST]
    head, clerk = users[Role.AGENCY_HEAD], users[Role.CLERK]
    orgs = {
        org.code: org
        for org in Organization.objects.filter(
            code__in=["bn-so-xay-dung", "bn-vp-ubnd", "bn-sxd-ql-gt", "bn-so-nn-mt", "bn-so-kh-cn", "bn-ioc"]
        )
    }
    specs = [
        services.TaskSpec(
            title="Khắc phục dứt điểm các điểm hư hỏng mặt đường, đèn chiếu sáng do người dân phản ánh",
            lead_agency=orgs["bn-so-xay-dung"], deadline=_in_working_days(10), priority=Priority.URGENT,
            expected_result="Báo cáo kết quả xử lý kèm hình ảnh trước và sau khi khắc phục.",
        ),
        services.TaskSpec(
            title="Tổng hợp, báo cáo tình hình tiếp nhận và xử lý phản ánh hiện trường hằng tuần",
            lead_agency=orgs["bn-vp-ubnd"], supporting_agencies=[orgs["bn-ioc"]], deadline=_in_working_days(15),
            expected_result="Báo cáo tuần gửi Chủ tịch UBND tỉnh vào chiều thứ Sáu.",
        ),
        services.TaskSpec(
            title="Rà soát, đề xuất phương án tổ chức giao thông tại các nút giao thường xuyên ùn tắc",
            lead_agency=orgs["bn-sxd-ql-gt"], supporting_agencies=[orgs["bn-so-kh-cn"]],
            deadline=_in_working_days(20),
        ),
        services.TaskSpec(
            title="Hoàn thiện mạng lưới trạm quan trắc chất lượng không khí tự động, kết nối về IOC",
            lead_agency=orgs["bn-so-nn-mt"], deadline=_in_working_days(30),
            expected_result="Dữ liệu quan trắc của các trạm được truyền tự động về Trung tâm IOC.",
        ),
    ]  # fmt: skip
    directive = services.directive_issue(
        actor=leader, organization=result.province, title=TITLE, content=CONTENT, tasks=specs,
        domain=Domain.GOVERNANCE,
    )  # fmt: skip
    tasks = list(directive.tasks.order_by("id"))
    done, weekly, traffic = tasks[0], tasks[1], tasks[2]

    # Sở Xây dựng: done on time, confirmed by the Chairman.
    done = services.task_accept(actor=specialist, task=done)
    services.task_report_progress(
        actor=specialist, task=done, percentage=60,
        text="Đã vá 18/30 ổ gà trên các tuyến đường tỉnh, thay 42 bóng đèn chiếu sáng hỏng.",
    )  # fmt: skip
    services.task_report_completion(
        actor=head, task=done,
        text="Đã khắc phục toàn bộ 30 điểm hư hỏng mặt đường và 56 đèn chiếu sáng; đã cập nhật hình ảnh.",
    )  # fmt: skip
    services.task_confirm(actor=leader, task=done)

    # Văn phòng UBND tỉnh: accepted, progress reported.
    weekly = services.task_accept(actor=clerk, task=weekly)
    services.task_report_progress(
        actor=clerk, task=weekly, percentage=40,
        text="Đã xây dựng mẫu báo cáo tuần, phối hợp Trung tâm IOC trích xuất số liệu từ hệ thống.",
    )  # fmt: skip

    # Phòng Quản lý giao thông (Sở Xây dựng): accepted. Sở Nông nghiệp và Môi trường: still to accept.
    services.task_accept(actor=head, task=traffic)
