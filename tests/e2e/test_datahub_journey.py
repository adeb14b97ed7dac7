"""Browser journey: an agency publishes a dataset from a CSV, sees its version and rows, shares it with another
agency under a grant; that agency reads it, a third agency does not."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cityops.core.choices import Role
from tests.e2e.conftest import log_in
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.e2e
CSV = "Trạm quan trắc;Bụi PM10\nTừ Sơn;41,5\nQuế Võ;abc\nYên Phong;30\n"


@pytest.fixture
def people(transactional_db, province, agency_a, agency_b):
    from cityops.datahub.models import Sector

    Sector.objects.create(code="moi-truong", name="Môi trường", domain="environment")
    agency_c = OrganizationFactory(name="Sở Tài chính", code="so-tai-chinh", kind="department", parent=province)
    made = {}
    for username, organization, role in (
        ("truong.xd", agency_a, Role.AGENCY_HEAD),
        ("cv.yte", agency_b, Role.SPECIALIST),
        ("cv.taichinh", agency_c, Role.SPECIALIST),
    ):
        user = UserFactory(username=username, language="vi")
        MembershipFactory(user=user, organization=organization, role=role)
        made[username] = user
    return made


def test_publish_upload_share_and_read(page, live_server, people, agency_a, tmp_path, screenshot_dir,
                                       csp_violations):  # fmt: skip
    from cityops.datahub.models import Dataset, ExchangeLogEntry

    # The construction department publishes a shared dataset and uploads a CSV.
    log_in(page, username="truong.xd")
    page.goto("/datahub/")
    page.get_by_test_id("dataset-create").click()
    page.locator("#id_organization").select_option(value=str(agency_a.pk))
    page.locator("#id_title").fill("Quan trắc bụi <b>2026</b>")
    page.locator("#id_sector").select_option(label="Môi trường")
    page.locator("#id_domain").select_option(value="environment")
    page.locator("#id_visibility").select_option(value="shared")
    page.locator("#id_fields_text").fill("station; Trạm quan trắc; string; ; yes\npm10; Bụi PM10; number; µg/m³; yes")
    page.get_by_test_id("dataset-form").locator("button[type=submit]").click()
    csv_file = tmp_path / "bui.csv"
    csv_file.write_text(CSV, encoding="utf-8-sig")
    page.locator("#id_file").set_input_files(str(csv_file))
    page.get_by_test_id("upload-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("upload-summary")).to_contain_text("2")
    expect(page.get_by_test_id("upload-rejected")).to_contain_text("Bụi PM10")
    expect(page.get_by_test_id("upload-version")).to_be_visible()
    dataset = Dataset.objects.get()
    page.goto(f"/datahub/datasets/{dataset.pk}/")
    expect(page.get_by_test_id("dataset-title")).to_have_text("Quan trắc bụi <b>2026</b>")  # shown as text
    expect(page.get_by_test_id("current-version")).to_contain_text("1")
    expect(page.get_by_test_id("dataset-preview")).to_contain_text("Từ Sơn")
    page.get_by_test_id("dataset-versions").click()
    expect(page.get_by_test_id("version-row")).to_have_count(1)
    page.get_by_test_id("logout").click()

    # The health department sees the catalog entry, not the rows, and asks for access.
    log_in(page, username="cv.yte")
    page.goto(f"/datahub/datasets/{dataset.pk}/")
    expect(page.get_by_test_id("no-access")).to_be_visible()
    form = page.get_by_test_id("access-request-form")
    form.locator("select").select_option(label="Sở Y tế")
    form.locator("textarea").fill("Theo dõi bệnh hô hấp theo khu vực")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("grant-row")).to_have_count(1)
    page.get_by_test_id("logout").click()

    # The owner grants it with an expiry.
    log_in(page, username="truong.xd")
    page.goto(f"/datahub/datasets/{dataset.pk}/")
    row = page.get_by_test_id("grant-row")
    row.locator("select").select_option(value="1")
    row.locator("input[type=date]").fill("2099-12-31")
    row.locator("button[type=submit]").click()
    expect(page.get_by_test_id("grant-row")).to_contain_text("31/12/2099")
    page.get_by_test_id("logout").click()

    # The health department now reads the rows; the read is in the exchange log.
    log_in(page, username="cv.yte")
    page.goto(f"/datahub/datasets/{dataset.pk}/")
    expect(page.get_by_test_id("dataset-preview")).to_contain_text("Yên Phong")
    with page.expect_download() as download:
        page.get_by_test_id("dataset-export").click()
    assert "Từ Sơn" in open(download.value.path(), encoding="utf-8-sig").read()  # noqa: PTH123, SIM115
    assert ExchangeLogEntry.objects.filter(dataset=dataset, action="export_csv").count() == 1
    page.screenshot(path=str(screenshot_dir / "datahub-shared.png"), full_page=True)
    page.get_by_test_id("logout").click()

    # The finance department sees the catalog entry but not the rows, and cannot download them.
    log_in(page, username="cv.taichinh")
    page.goto(f"/datahub/datasets/{dataset.pk}/")
    expect(page.get_by_test_id("no-access")).to_be_visible()
    expect(page.get_by_test_id("dataset-preview")).to_have_count(0)
    response = page.request.get(f"/datahub/datasets/{dataset.pk}/export.csv")
    assert response.status == 403
    assert csp_violations == []
