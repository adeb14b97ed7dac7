"""The operations dashboard in a browser: a citizen's new report appears on the open dashboard within two
seconds, without reloading; and screenshots of the overview in both themes on a 1920×1080 screen and a
3840×2160 video wall (under var/screenshots/)."""

from __future__ import annotations

import re
import threading
from importlib import import_module

import pytest
from playwright.sync_api import expect

from cityops.core.demo_data import DEMO_PASSWORD
from cityops.core.services.demo import seed_demo
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

# Rows that data migrations load (indicators, document types, retention rules); the flush after any earlier
# transactional test removes them, and the demo needs them.
DATA_MIGRATIONS = (
    "cityops.datahub.migrations.0003_seed_indicator_starter_set",
    "cityops.documents.migrations.0002_seed_document_types",
    "cityops.documents.migrations.0004_seed_retention_rules",
)


@pytest.fixture
def demo(transactional_db, settings):
    from django.apps import apps

    for module in DATA_MIGRATIONS:
        import_module(module).seed(apps, None)
    settings.DASHBOARD_SSE_LIFETIME = 30
    settings.DASHBOARD_SSE_HEARTBEAT = 1  # a closed browser is noticed within a second
    yield seed_demo()
    # The live server answers each request in its own thread; wait for the event streams of the closed
    # browsers to end before the database is emptied for the next test.
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=10)


def open_dashboard(browser, live_server, csp_violations, width: int, height: int):
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, "chutich", DEMO_PASSWORD)
    page.goto("/dashboard/")
    expect(page.get_by_test_id("live-feed")).to_have_class(re.compile(r"\bis-live\b"))
    expect(page.get_by_test_id("dash-map")).to_have_attribute("data-loaded-areas", re.compile(r"^[1-9]\d*$"))
    return context, page


def test_new_citizen_report_appears_live(browser, live_server, demo, csp_violations):
    context, page = open_dashboard(browser, live_server, csp_violations, 1920, 1080)
    citizen = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport={"width": 390, "height": 844})
    citizen.set_default_timeout(15_000)
    try:
        report = citizen.new_page()
        report.goto("/feedback/report/")
        form = report.get_by_test_id("report-form")
        form.locator("#id_category").select_option(index=1)
        text = "Cây đổ chắn ngang đường Nguyễn Gia Thiều sau mưa lớn"
        form.locator("#id_description").fill(text)
        report.locator("#report-map").click()
        expect(report.locator("#id_lat")).not_to_have_value("")
        report.get_by_test_id("report-submit").click()
        expect(report).to_have_url(re.compile(r"/feedback/track/"))

        # Within two seconds the open dashboard shows it in the feed and as a new marker, without reloading.
        item = page.get_by_test_id("live-feed").locator(".feed-item.is-new", has_text=text)
        expect(item).to_be_visible(timeout=2000)
        expect(page.get_by_test_id("dash-map")).to_have_attribute("data-live-markers", "1", timeout=2000)
        assert csp_violations == []
    finally:
        citizen.close()
        context.close()


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160)])
def test_overview_screenshots_in_both_themes(browser, live_server, demo, csp_violations, screenshot_dir, width, height):
    context, page = open_dashboard(browser, live_server, csp_violations, width, height)
    try:
        expect(page.get_by_test_id("dash-map")).to_have_attribute("data-loaded-sensors", re.compile(r"^[1-9]"))
        expect(page.locator("body")).to_have_class(re.compile(r"\btheme-dark\b"))
        page.screenshot(path=str(screenshot_dir / f"dashboard-dark-{width}x{height}.png"))
        page.get_by_test_id("theme-toggle").click()
        expect(page.locator("body")).to_have_class(re.compile(r"\btheme-light\b"))
        expect(page.get_by_test_id("live-feed")).to_have_class(re.compile(r"\bis-live\b"))
        expect(page.get_by_test_id("dash-map")).to_have_attribute("data-loaded-sensors", re.compile(r"^[1-9]"))
        page.screenshot(path=str(screenshot_dir / f"dashboard-light-{width}x{height}.png"))
        # The choice is remembered: a fresh visit opens in the light theme.
        page.goto("/dashboard/")
        expect(page.locator("body")).to_have_class(re.compile(r"\btheme-light\b"))
        assert csp_violations == []
    finally:
        context.close()
