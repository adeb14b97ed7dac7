"""Browser journey: a leader issues a directive with a task, the agency accepts and reports it done, the leader
confirms; the computed deadline state follows."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cityops.core.choices import Role
from tests.e2e.conftest import log_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def health_officer(transactional_db, agency_b):
    user = UserFactory(username="cv.yte", full_name="Vũ Thị Y", language="vi")
    MembershipFactory(user=user, organization=agency_b, role=Role.SPECIALIST)
    return user


def test_leader_issues_and_agency_reports_done(page, live_server, leader, health_officer, province, agency_b,
                                               screenshot_dir, csp_violations):  # fmt: skip
    from cityops.directives.models import Task

    # The leader issues a directive with one task for the health department.
    log_in(page)
    page.goto("/directives/")
    page.get_by_test_id("new-directive").click()
    page.locator("#id_organization").select_option(value=str(province.pk))
    page.locator("#id_title").fill("Phòng chống sốt xuất huyết")
    page.locator("#id_content").fill("Kết luận giao ban tuần: tăng cường diệt lăng quăng.")
    page.locator("#id_tasks-0-title").fill("Tổ chức chiến dịch diệt lăng quăng")
    page.locator("#id_tasks-0-lead_agency").select_option(label="Sở Y tế")
    deadline = timezone.localdate() + timezone.timedelta(days=20)
    page.locator("#id_tasks-0-deadline").fill(deadline.isoformat())
    page.get_by_test_id("directive-submit").click()
    expect(page.get_by_test_id("directive-title")).to_have_text("Phòng chống sốt xuất huyết")
    expect(page.get_by_test_id("task-row")).to_have_count(1)
    expect(page.get_by_test_id("state-not_due")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "directive.png"), full_page=True)
    page.get_by_test_id("logout").click()

    # The health department accepts it and reports it done.
    log_in(page, username="cv.yte")
    page.goto("/directives/tasks/")
    page.get_by_role("link", name="Tổ chức chiến dịch diệt lăng quăng").click()
    expect(page.get_by_test_id("task-lead")).to_have_text("Sở Y tế")
    page.get_by_test_id("accept").click()
    page.get_by_test_id("open-complete").click()
    page.locator("#id_complete-text").fill("Đã phun hóa chất tại 12 xã, phường.")
    page.get_by_test_id("complete-submit").click()
    expect(page.get_by_test_id("report-text").first).to_contain_text("12 xã, phường")
    assert Task.objects.get().status == "reported_done"
    page.get_by_test_id("logout").click()

    # The leader confirms: done on time.
    log_in(page)
    task = Task.objects.get()
    page.goto(f"/directives/tasks/{task.pk}/")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("state-done_on_time")).to_be_visible()
    page.goto("/directives/statistics/")
    expect(page.get_by_test_id("stats-agency")).to_contain_text("Sở Y tế")
    page.screenshot(path=str(screenshot_dir / "directives-statistics.png"), full_page=True)
    expect(page).to_have_url(re.compile(r"/directives/statistics/"))
    # The printable report as a PDF made on the server (the same counts).
    with page.expect_download() as download_info:
        page.get_by_test_id("export-pdf").click()
    pdf_path = download_info.value.path()
    import io

    from pypdf import PdfReader

    with open(pdf_path, "rb") as handle:
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages).split())
    assert "Sở Y tế" in text
    assert csp_violations == []
