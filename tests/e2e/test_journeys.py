"""Journeys through the product in a real browser: sign in, language, search, sign out; failed log-in; phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_leader_journey(page, live_server, leader, screenshot_dir, csp_violations):
    home = f"{live_server.url}/"

    # Log in and land on the home page, in Vietnamese.
    log_in(page)
    expect(page).to_have_url(home)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_test_id("components").locator("li")).to_have_count(17)
    expect(page.get_by_test_id("home-memberships")).to_contain_text("Sở Xây dựng")
    page.screenshot(path=str(screenshot_dir / "home.png"), full_page=True)

    # Switch to English and back; the page stays the same.
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(home)
    page.get_by_test_id("lang-vi").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page).to_have_url(home)

    # Global search without diacritics finds the department.
    search = page.get_by_test_id("global-search")
    search.fill("so xay dung")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=so\+xay\+dung"))
    results = page.get_by_test_id("search-result")
    expect(results.filter(has_text="Sở Xây dựng").first).to_be_visible()

    # Log out: back at the log-in page, and the home page asks to log in again.
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/"))
    assert csp_violations == []


def test_failed_login_shows_the_error(page, live_server, leader, csp_violations):
    log_in(page, password="not-the-password")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_test_id("login-error").first).to_be_visible()
    expect(page.get_by_test_id("login-username")).to_have_value("lanh.dao")
    expect(page.get_by_test_id("login-password")).to_have_value("")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    assert csp_violations == []


def test_phone_width_menu_opens_with_alpine_under_csp(browser, live_server, leader, screenshot_dir):
    context = browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport={"width": 375, "height": 740}, is_mobile=True
    )
    violations: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
        log_in(page)
        toggle = page.get_by_test_id("menu-toggle")
        sidebar = page.get_by_test_id("sidebar")
        expect(toggle).to_be_visible()
        expect(sidebar).to_be_hidden()
        toggle.click()
        expect(sidebar).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        page.keyboard.press("Escape")
        expect(sidebar).to_be_hidden()
        # Nothing is wider than the phone screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
        page.screenshot(path=str(screenshot_dir / "home-phone.png"), full_page=True)
        assert violations == []
    finally:
        context.close()
