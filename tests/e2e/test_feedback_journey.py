"""Feedback journeys: a citizen on a phone reports (a validation error loses neither text nor photo) and tracks it;
staff take a request to its rated answer; the desk merges a duplicate and citizens filter the public list.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cityops.feedback.models import Category, Request, ResponseTemplate
from tests.feedback.conftest import png_bytes

pytestmark = pytest.mark.e2e


@pytest.fixture
def light_category(transactional_db, province, agency_b):
    return Category.objects.create(
        code="street-light", name_vi="Đèn đường hỏng", name_en="Broken street light", default_agency=agency_b,
        deadline_days=3,
    )  # fmt: skip


def test_citizen_reports_and_tracks(browser, live_server, light_category, csp_violations, screenshot_dir):
    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto("/feedback/")
        expect(page.get_by_test_id("emergency-note")).to_contain_text("113")
        page.get_by_test_id("report-link").click()
        expect(page).to_have_url(re.compile(r"/feedback/report/$"))

        form = page.get_by_test_id("report-form")
        form.locator("#id_category").select_option(label="Đèn đường hỏng")
        text = "Đèn đường trước số 12 Lý Thái Tổ không sáng đã 3 đêm"
        form.locator("#id_description").fill(text)
        page.get_by_test_id("photos").set_input_files(
            [{"name": "den-hong.png", "mimeType": "image/png", "buffer": png_bytes()}]
        )
        # Send without a location: the error comes back, the text is still there and the photo is kept.
        page.get_by_test_id("report-submit").click()
        expect(page.get_by_test_id("error-lat")).to_be_visible()
        expect(page.locator("#id_description")).to_have_value(text)
        expect(page.get_by_test_id("kept-files")).to_contain_text("den-hong.png")

        # Tap the map: the pin fills the coordinates.
        map_box = page.locator("#report-map")
        expect(map_box).to_be_visible()
        map_box.click()
        expect(page.locator("#id_lat")).not_to_have_value("")
        expect(page.locator("#id_long")).not_to_have_value("")
        page.screenshot(path=str(screenshot_dir / "feedback-report.png"), full_page=True)
        page.get_by_test_id("report-submit").click()

        expect(page).to_have_url(re.compile(r"/feedback/track/PA[A-Z0-9]{10}/$"))
        code = page.get_by_test_id("tracking-code").inner_text()
        expect(page.get_by_test_id("track-description")).to_contain_text(text)
        req = Request.objects.get(tracking_code=code)
        assert req.lat is not None and req.description == text
        from cityops.core.models import Attachment

        kept = Attachment.objects.filter(target_type="feedback.request", target_id=str(req.pk))
        assert list(kept.values_list("original_name", flat=True)) == ["den-hong.png"]

        # Later, the citizen looks the report up by its code.
        page.goto("/feedback/")
        page.get_by_test_id("track-code").fill(code.lower())
        page.get_by_test_id("track-code").press("Enter")
        expect(page.get_by_test_id("tracking-code")).to_have_text(code)
        expect(page.get_by_test_id("track-status")).to_have_attribute("data-status", "submitted")
        assert csp_violations == []
    finally:
        context.close()


def test_staff_handle_a_request_to_its_rated_answer(
    page, live_server, light_category, province, agency_b, csp_violations, screenshot_dir
):
    from cityops.core.choices import Role
    from cityops.feedback.services import request_submit
    from tests.e2e.conftest import log_in
    from tests.factories import MembershipFactory, UserFactory

    desk = UserFactory(username="dieu.phoi", language="vi")
    MembershipFactory(user=desk, organization=province, role=Role.IOC_OPERATOR)
    officer = UserFactory(username="chuyen.vien", language="vi")
    MembershipFactory(user=officer, organization=agency_b, role=Role.SPECIALIST)
    req = request_submit(
        actor=None, category=light_category, description="Đèn đường hỏng ở ngõ 5", lat="21.186", long="106.076"
    )
    ResponseTemplate.objects.create(name="Đã thay bóng", text="Đã thay bóng đèn LED mới", category=light_category)

    # The desk verifies and forwards to the suggested agency.
    log_in(page, "dieu.phoi")
    page.goto("/feedback/staff/")
    page.get_by_test_id("queue").get_by_role("link", name=req.tracking_code).click()
    page.get_by_test_id("act-verify").click()
    expect(page.get_by_test_id("suggested-agency")).to_contain_text(agency_b.name)
    page.get_by_test_id("act-assign").click()
    expect(page.get_by_test_id("staff-status")).to_have_attribute("data-status", "assigned")
    page.get_by_test_id("logout").click()

    # The agency accepts and submits the result.
    log_in(page, "chuyen.vien")
    page.goto(f"/feedback/staff/{req.pk}/")
    page.get_by_test_id("act-accept").click()
    page.get_by_test_id("act-template").select_option(label="Đã thay bóng")
    expect(page.locator("#act-text")).to_have_value("Đã thay bóng đèn LED mới")
    page.get_by_test_id("act-resolve").click()
    expect(page.get_by_test_id("act-publish")).to_have_count(0)
    page.get_by_test_id("logout").click()

    # The desk publishes; the citizen reads the answer and rates it.
    log_in(page, "dieu.phoi")
    page.goto(f"/feedback/staff/{req.pk}/")
    page.get_by_test_id("act-publish").click()
    expect(page.get_by_test_id("staff-history")).to_contain_text("Đã thay bóng đèn LED mới")
    page.screenshot(path=str(screenshot_dir / "feedback-staff.png"), full_page=True)
    page.get_by_test_id("logout").click()
    page.goto(f"/feedback/track/{req.tracking_code}/")
    expect(page.get_by_test_id("track-answer")).to_contain_text("Đã thay bóng đèn LED mới")
    page.get_by_test_id("rate-form").get_by_label("5").check()
    page.get_by_test_id("rate-form").get_by_role("button").click()
    expect(page.get_by_test_id("rated")).to_contain_text("5/5")
    assert csp_violations == []


def test_desk_merges_a_duplicate_and_citizens_filter_the_public_list(
    page, live_server, light_category, province, csp_violations
):
    from cityops.core.choices import Role
    from cityops.feedback.services import request_submit, request_verify
    from tests.e2e.conftest import log_in
    from tests.factories import MembershipFactory, UserFactory

    desk = UserFactory(username="dieu.phoi", language="vi")
    MembershipFactory(user=desk, organization=province, role=Role.IOC_OPERATOR)
    original = request_submit(
        actor=None, category=light_category, description="Cả dãy đèn phố Nguyễn Đăng Đạo không sáng",
        lat="21.186", long="106.076",
    )  # fmt: skip
    original = request_verify(actor=desk, request=original)
    copy = request_submit(
        actor=None, category=light_category, description="Đèn Nguyễn Đăng Đạo tắt hết", lat="21.1861",
        long="106.0761", contact_email="dan@example.vn",
    )  # fmt: skip

    # The desk sees the nearby report and merges the copy into it.
    log_in(page, "dieu.phoi")
    page.goto(f"/feedback/staff/{copy.pk}/")
    expect(page.get_by_test_id("duplicate-candidates")).to_contain_text(original.tracking_code)
    page.locator("#act-original").fill(original.tracking_code)
    page.get_by_test_id("act-merge").click()
    expect(page.get_by_test_id("staff-status")).to_have_attribute("data-status", "merged")
    expect(page.get_by_test_id("original")).to_have_text(original.tracking_code)
    page.goto(f"/feedback/staff/{original.pk}/")
    expect(page.get_by_test_id("merged-in")).to_contain_text(copy.tracking_code)
    expect(page.get_by_test_id("followers")).to_contain_text("dan@example.vn")
    page.get_by_test_id("logout").click()

    # The copy's tracking code now leads to the original.
    page.goto(f"/feedback/track/{copy.tracking_code}/")
    expect(page.get_by_test_id("tracking-code")).to_have_text(original.tracking_code)

    # The public list: search without diacritics, filter by status.
    page.goto("/feedback/")
    page.get_by_test_id("pf-q").fill("nguyen dang dao")
    page.get_by_test_id("pf-status").select_option("received")
    page.get_by_test_id("pf-submit").click()
    expect(page.get_by_test_id("public-item")).to_have_count(1)
    expect(page.get_by_test_id("public-list")).to_contain_text("Cả dãy đèn phố Nguyễn Đăng Đạo")
    page.get_by_test_id("pf-status").select_option("answered")
    page.get_by_test_id("pf-submit").click()
    expect(page.get_by_test_id("public-item")).to_have_count(0)
    assert csp_violations == []
