"""Browser journey: an IOC operator sees a fired alert, opens an incident from it, works through the standard
operating procedure and closes the incident with a summary."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from cityops.core.choices import Role
from cityops.datahub.models import Entity, Observation
from cityops.operations import services
from cityops.operations.evaluation import evaluate_observations
from cityops.operations.models import Alert, IncidentType, SopStep
from tests.e2e.conftest import log_in
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def fired_alert(transactional_db, province, agency_a):
    ioc = OrganizationFactory(name="Trung tâm IOC", code="ioc", kind="department", parent=province)
    operator = UserFactory(username="vanhanh", full_name="Phạm Thị Hà", language="vi")
    MembershipFactory(user=operator, organization=ioc, role=Role.IOC_OPERATOR)
    incident_type = IncidentType.objects.create(code="o-nhiem", name="Ô nhiễm không khí", default_severity="warning")
    for n, title in enumerate(["Kiểm tra số liệu trạm", "Xác định nguồn phát thải", "Lập biên bản"], start=1):
        SopStep.objects.create(incident_type=incident_type, position=n, title=title, is_required=True)
    sensor = Entity.objects.create(
        organization=agency_a, entity_id="urn:ngsi-ld:AirQualityObserved:kcn-que-vo", type="AirQualityObserved",
        latitude=21.148, longitude=106.159, attributes={"name": {"type": "Property", "value": "KCN Quế Võ"}},
    )  # fmt: skip
    services.rule_create(actor=operator, organization=ioc, data={
        "name": "Chỉ số AQI trên 100", "kind": "threshold", "entity_type": "AirQualityObserved",
        "attribute": "airQualityIndex", "operator": "gt", "bound": 100, "clear_bound": 90, "area": province,
    })  # fmt: skip
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=30)
    for i, value in enumerate([85, 104, 131, 126]):
        Observation.objects.create(entity=sensor, attribute="airQualityIndex",
                                   observed_at=start + dt.timedelta(minutes=5 * i), value=value)  # fmt: skip
    evaluate_observations(entity_ids=[sensor.pk], start=start, end=start + dt.timedelta(hours=1))
    return Alert.objects.get()


def test_operator_turns_an_alert_into_an_incident_and_closes_it(page, live_server, fired_alert, screenshot_dir,
                                                                 csp_violations):  # fmt: skip
    log_in(page, username="vanhanh")
    page.goto("/operations/")
    expect(page.get_by_test_id("alert-row")).to_have_count(1)
    expect(page.get_by_test_id("alert-count")).to_have_text("3")
    page.get_by_test_id("alert-link").click()
    expect(page.get_by_test_id("alert-title")).to_contain_text("KCN Quế Võ")
    page.locator("#id_incident_type").select_option(label="Ô nhiễm không khí")
    page.get_by_test_id("create-incident").click()

    expect(page.get_by_test_id("incident-title")).to_contain_text("Chỉ số AQI trên 100")
    expect(page.get_by_test_id("step")).to_have_count(3)
    for position in range(3):
        page.get_by_test_id("check-step").first.click()
        expect(page.get_by_test_id("step-done")).to_have_count(position + 1)
    expect(page.get_by_test_id("steps-progress")).to_have_text("3/3")
    page.get_by_test_id("open-close").click()
    page.locator("#id_summary").fill("Đã kiểm tra, yêu cầu cơ sở đốt phế liệu dừng hoạt động.")
    page.get_by_test_id("close-submit").click()
    expect(page.get_by_test_id("incident-status")).to_have_text("Đã đóng")
    expect(page.get_by_test_id("incident-summary")).to_contain_text("dừng hoạt động")
    expect(page.get_by_test_id("timeline-entry")).to_have_count(6)  # created, alert, 3 steps, closed
    page.screenshot(path=str(screenshot_dir / "operations-incident.png"), full_page=True)

    fired_alert.refresh_from_db()
    assert fired_alert.status == "acknowledged" and fired_alert.incident.is_closed
    assert csp_violations == []
