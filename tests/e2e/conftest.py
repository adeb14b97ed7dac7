"""Browser journeys: Playwright (sync API) driving the system Chromium against pytest-django's live server.

The browser is never downloaded: it must exist at ``CHROMIUM_PATH`` (default /usr/bin/chromium).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cityops.core.choices import Role
from tests.factories import MembershipFactory, UserFactory

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LEADER_USERNAME = "lanh.dao"
LEADER_PASSWORD = "Secret-pass-123"


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One Chromium for the whole run; each test gets its own context (cookies, storage)."""
    if not Path(CHROMIUM_PATH).exists():
        pytest.skip(f"No Chromium at {CHROMIUM_PATH}; browser journeys need the system browser.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """Console messages about Content-Security-Policy violations seen during the test (must stay empty)."""
    return []


@pytest.fixture
def page(browser, live_server, csp_violations) -> Iterator:
    """A fresh page in a Vietnamese-speaking browser, pointed at the live server."""
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def leader(transactional_db, province, agency_a, agency_b):
    """A provincial leader who also heads the construction department."""
    user = UserFactory(username=LEADER_USERNAME, full_name="Lê Văn Lãnh", language="vi")
    MembershipFactory(user=user, organization=province, role=Role.LEADER)
    MembershipFactory(user=user, organization=agency_a, role=Role.AGENCY_HEAD)
    return user


@pytest.fixture
def screenshot_dir() -> Path:
    from django.conf import settings

    directory = Path(settings.VAR_DIR) / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def log_in(page, username: str = LEADER_USERNAME, password: str = LEADER_PASSWORD) -> None:
    """Fill and send the log-in form the way a person would."""
    page.goto("/login/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
