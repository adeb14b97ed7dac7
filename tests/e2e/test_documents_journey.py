"""Browser journey: a clerk imports an edXML package and registers it; the agency head directs it; the slip shows it
(and prints as PDF); the sender is told by status messages, seen in the exchange log; the statistics count it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cityops.core.choices import Role
from tests.documents.conftest import SAMPLES
from tests.e2e.conftest import log_in
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.e2e

CLERK = "van.thu"
PASSWORD = "Secret-pass-123"


@pytest.fixture(autouse=True)
def exchange_outbox(settings, tmp_path):
    settings.DOCUMENTS_EXCHANGE_TRANSPORT = "outbox"
    settings.DOCUMENTS_EXCHANGE_OUTBOX = tmp_path / "outbox"
    return tmp_path / "outbox"


@pytest.fixture
def clerk(transactional_db, agency_a):
    user = UserFactory(username=CLERK, full_name="Trần Thị Văn Thư", language="vi")
    MembershipFactory(user=user, organization=agency_a, role=Role.CLERK)
    return user


def test_clerk_registers_an_incoming_document_from_edxml(
    page, live_server, clerk, leader, screenshot_dir, csp_violations, exchange_outbox
):
    log_in(page, CLERK, PASSWORD)
    page.goto("/documents/")
    page.get_by_test_id("import-edxml").first.click()
    expect(page).to_have_url(re.compile(r"/documents/incoming/import/$"))
    page.get_by_label(re.compile("Tệp edXML|edXML file")).set_input_files(str(SAMPLES / "edoc_new.edxml"))
    page.get_by_test_id("import-submit").click()

    expect(page).to_have_url(re.compile(r"/documents/incoming/\d+/$"))
    expect(page.get_by_test_id("code")).to_have_text("74fass22/VPCP-TTĐT")
    expect(page.get_by_test_id("sender")).to_contain_text("UBND xã Hòa Tiến")
    warnings = page.get_by_test_id("import-warnings")
    expect(warnings.locator("li[data-code='leading-junk']")).to_have_count(1)
    page.screenshot(path=str(screenshot_dir / "documents-imported.png"), full_page=True)

    page.get_by_test_id("action-register").click()
    expect(page.get_by_test_id("arrival-number")).to_have_text("1")
    expect(page.get_by_test_id("status")).not_to_have_text("")
    expect(page.get_by_test_id("events").get_by_test_id("event")).to_have_count(2)

    # The list finds it without diacritics.
    page.goto("/documents/incoming/?q=ket+noi+lien+thong")
    expect(page.get_by_test_id("incoming-row")).to_have_count(1)
    detail = page.get_by_test_id("incoming-row").get_by_role("link").first.get_attribute("href")

    # The agency head directs it to the department.
    page.get_by_test_id("logout").click()
    log_in(page)
    page.goto(detail)
    page.get_by_test_id("direct-form").locator("select[name=lead_unit]").select_option(label="Sở Xây dựng")
    page.get_by_test_id("direct-form").locator("textarea[name=opinion]").fill("Giao Văn phòng Sở tham mưu trả lời")
    page.get_by_test_id("action-direct").click()
    expect(page.get_by_test_id("direction")).to_contain_text("Giao Văn phòng Sở tham mưu trả lời")
    expect(page.get_by_test_id("events").get_by_test_id("event")).to_have_count(3)
    page.get_by_test_id("slip-link").click()
    expect(page.get_by_test_id("slip-direction")).to_contain_text("Sở Xây dựng")
    slip_pdf = page.request.get(detail.rstrip("/") + "/slip.pdf")
    assert slip_pdf.ok and slip_pdf.headers["content-type"] == "application/pdf"

    # The sender was told at each step: 01 arrived, 03 registered, 04 assigned (files in the outbox).
    page.goto("/documents/exchange/")
    expect(page.get_by_test_id("exchange-row")).to_have_count(4)  # the package received + three status messages
    assert len(list(exchange_outbox.glob("*-status-*.edxml"))) == 3

    # The statistics count it as received this month and still open.
    page.get_by_test_id("documents-nav").get_by_test_id("statistics-link").click()
    row = page.get_by_test_id("statistics-row")
    expect(row.get_by_test_id("received")).to_have_text("1")
    expect(row.get_by_test_id("pending")).to_have_text("1")
    page.screenshot(path=str(screenshot_dir / "documents-statistics.png"), full_page=True)
    assert csp_violations == []
