"""Browser journey of the work calendar: a secretary adds an item for the leader, publishes it, sees it on the week."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cityops.core.choices import Role
from cityops.schedule import services
from tests.e2e.conftest import log_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def secretary(transactional_db, province, leader):
    user = UserFactory(username="thu.ky", full_name="Lê Thư Ký", language="vi")
    MembershipFactory(user=user, organization=province, role=Role.SPECIALIST)
    services.secretary_assign(actor=leader, organization=province, leader=leader, secretary=user)
    return user


def test_secretary_adds_and_publishes_an_item(page, live_server, leader, secretary, province, screenshot_dir,
                                              csp_violations):  # fmt: skip
    log_in(page, username="thu.ky")
    page.goto("/schedule/")
    expect(page.get_by_test_id("schedule-day")).to_have_count(7)
    page.get_by_test_id("schedule-add").click()

    form = page.get_by_test_id("event-form")
    form.locator("select[name=organization]").select_option(str(province.pk))
    form.locator("select[name=leader]").select_option(str(leader.pk))
    form.locator("input[name=day]").fill(timezone.localdate().isoformat())
    form.locator("input[name=start_time]").fill("14:00")
    form.locator("input[name=end_time]").fill("16:30")
    form.locator("textarea[name=content]").fill("Làm việc với Sở Xây dựng về quy hoạch đô thị")
    form.locator("input[name=location]").fill("Phòng họp tầng 2")
    page.get_by_test_id("event-save").click()

    expect(page).to_have_url(re.compile(r"/schedule/events/\d+/$"))
    expect(page.get_by_test_id("event-status")).to_have_attribute("data-status", "draft")
    page.get_by_test_id("event-publish").click()
    expect(page.get_by_test_id("event-status")).to_have_attribute("data-status", "published")

    page.get_by_test_id("event-week").click()
    item = page.get_by_test_id("schedule-item").filter(has_text="quy hoạch đô thị")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-status", "published")
    expect(item).to_contain_text("14:00–16:30")
    expect(item).to_contain_text("Lê Văn Lãnh")
    page.screenshot(path=str(screenshot_dir / "schedule-week.png"), full_page=True)

    # The public page shows it too, without signing in.
    public = page.context.browser.new_page(base_url=live_server.url)
    try:
        public.goto(f"/schedule/public/{province.code}/")
        expect(public.get_by_test_id("schedule-item").filter(has_text="quy hoạch đô thị")).to_have_count(1)
    finally:
        public.close()
    assert csp_violations == []


def test_secretary_adds_a_weekly_item_and_the_public_pdf_lists_it(page, live_server, leader, secretary, province,
                                                                  csp_violations):  # fmt: skip
    log_in(page, username="thu.ky")
    page.goto("/schedule/events/new/")
    form = page.get_by_test_id("event-form")
    form.locator("select[name=organization]").select_option(str(province.pk))
    form.locator("select[name=leader]").select_option(str(leader.pk))
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    form.locator("input[name=day]").fill(monday.isoformat())
    form.locator("input[name=start_time]").fill("07:30")
    form.locator("input[name=end_time]").fill("08:30")
    form.locator("textarea[name=content]").fill("Giao ban đầu tuần của Thường trực UBND tỉnh")
    form.locator("select[name=repeat]").select_option("WEEKLY")
    form.locator("input[name=repeat_count]").fill("3")
    page.get_by_test_id("event-save").click()

    expect(page).to_have_url(re.compile(r"/schedule/events/\d+/$"))
    expect(page.get_by_test_id("event-series")).to_be_visible()
    page.get_by_test_id("event-publish-series").click()
    expect(page.get_by_test_id("event-status")).to_have_attribute("data-status", "published")

    page.get_by_test_id("event-week").click()
    expect(page.get_by_test_id("schedule-item").filter(has_text="Giao ban đầu tuần")).to_have_count(1)
    page.get_by_test_id("schedule-next").click()
    item = page.get_by_test_id("schedule-item").filter(has_text="Giao ban đầu tuần")
    expect(item).to_have_attribute("data-status", "published")

    public = page.context.browser.new_page(base_url=live_server.url)
    try:
        public.goto(f"/schedule/public/{province.code}/")
        link = public.get_by_test_id("schedule-pdf")
        expect(link).to_be_visible()
        response = public.request.get(live_server.url + link.get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")
    finally:
        public.close()
    assert csp_violations == []
