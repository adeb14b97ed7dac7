"""Rule validation: good rules of every kind are saved; every kind of bad input is refused on its field."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cityops.core.models import AuditEvent
from cityops.datahub.models import IndicatorDefinition
from cityops.feedback.models import Category
from cityops.operations import services
from cityops.operations.choices import AuditVerbs
from cityops.operations.models import MonitoringRule
from tests.operations.conftest import make_entity, threshold_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def flooding():
    return Category.objects.create(code="flooding", name_vi="Ngập úng", name_en="Flooding")


@pytest.fixture
def indicator():
    return IndicatorDefinition.objects.create(code="aqi-days", name_vi="Số ngày AQI tốt", name_en="Good AQI days",
                                              domain="environment", unit="%")  # fmt: skip


def test_threshold_rule_saved_and_audited(head_a, agency_a):
    rule = services.rule_create(actor=head_a, organization=agency_a, data=threshold_data())
    assert rule.pk and rule.area == agency_a and rule.created_by == head_a
    event = AuditEvent.objects.get(verb=AuditVerbs.RULE_CREATED)
    assert event.target_id == str(rule.pk) and event.data["new"]["bound"] == 50


def test_good_rules_of_every_kind(head_a, agency_a, sensor_a, flooding, indicator):
    kinds = [
        threshold_data(entity=sensor_a, for_minutes=5, clear_bound=None),
        threshold_data(source="indicator", indicator=indicator, entity_type="", attribute="", operator="lt",
                       bound=60, clear_bound=65),
        {"name": "Tốc độ giảm", "kind": "rate", "entity_type": "TrafficFlowObserved",
         "attribute": "averageVehicleSpeed", "operator": "lte", "bound": -20, "clear_bound": -5,
         "window_minutes": 15},
        {"name": "Mất tín hiệu", "kind": "no_data", "entity_type": "AirQualityObserved", "window_minutes": 30},
        {"name": "Ngập", "kind": "report_cluster", "category": flooding, "bound": 5, "clear_bound": 1,
         "radius_m": 500, "window_minutes": 60},
    ]  # fmt: skip
    for data in kinds:
        services.rule_create(actor=head_a, organization=agency_a, data=data)
    assert MonitoringRule.objects.count() == len(kinds)
    no_data = MonitoringRule.objects.get(kind="no_data")
    assert no_data.operator == "" and no_data.bound is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "magic"}, "kind"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"entity_type": "Unicorn"}, "entity_type"),
        ({"attribute": "PM26"}, "attribute"),
        ({"attribute": "__import__('os').system('id')"}, "attribute"),
        ({"attribute": ""}, "attribute"),
        ({"operator": "=="}, "operator"),
        ({"operator": "gt; DROP TABLE"}, "operator"),
        ({"bound": "50 or 1"}, "bound"),
        ({"bound": "__import__('os')"}, "bound"),
        ({"bound": "nan"}, "bound"),
        ({"bound": float("inf")}, "bound"),
        ({"bound": "1e400"}, "bound"),
        ({"bound": True}, "bound"),
        ({"bound": None}, "bound"),
        ({"bound": [1]}, "bound"),
        ({"clear_bound": 60}, "clear_bound"),
        ({"clear_bound": 50}, "clear_bound"),
        ({"operator": "lt", "bound": 5, "clear_bound": 4}, "clear_bound"),
        ({"clear_bound": None, "for_minutes": 0}, "clear_bound"),
        ({"for_minutes": -1}, "for_minutes"),
        ({"for_minutes": 1.5}, "for_minutes"),
        ({"for_minutes": 99999}, "for_minutes"),
        ({"source": "crystal-ball"}, "source"),
    ],
)
def test_bad_threshold_rules_are_refused_on_their_field(head_a, agency_a, overrides, field):
    with pytest.raises(ValidationError) as caught:
        services.rule_create(actor=head_a, organization=agency_a, data=threshold_data(**overrides))
    assert field in caught.value.message_dict, caught.value.message_dict
    assert MonitoringRule.objects.count() == 0


def test_bad_rate_no_data_cluster_and_indicator_rules(head_a, agency_a, flooding):
    cases = [
        ({"name": "r", "kind": "rate", "entity_type": "TrafficFlowObserved", "attribute": "intensity",
          "operator": "gt", "bound": 100, "clear_bound": 50}, "window_minutes"),
        ({"name": "r", "kind": "rate", "entity_type": "TrafficFlowObserved", "attribute": "intensity",
          "operator": "gt", "bound": 100, "clear_bound": 50, "window_minutes": 0}, "window_minutes"),
        ({"name": "n", "kind": "no_data", "entity_type": "AirQualityObserved"}, "window_minutes"),
        ({"name": "n", "kind": "no_data", "entity_type": "AirQualityObserved", "window_minutes": 10 ** 6},
         "window_minutes"),
        ({"name": "n", "kind": "no_data", "entity_type": "AirQualityObserved", "attribute": "speed",
          "window_minutes": 10}, "attribute"),
        ({"name": "c", "kind": "report_cluster", "bound": 5, "clear_bound": 1, "radius_m": 500,
          "window_minutes": 60}, "category"),
        ({"name": "c", "kind": "report_cluster", "category": flooding, "bound": 1, "clear_bound": 0,
          "radius_m": 500, "window_minutes": 60}, "bound"),
        ({"name": "c", "kind": "report_cluster", "category": flooding, "bound": 5, "clear_bound": 5,
          "radius_m": 500, "window_minutes": 60}, "clear_bound"),
        ({"name": "c", "kind": "report_cluster", "category": flooding, "bound": 5, "clear_bound": 1,
          "radius_m": 5, "window_minutes": 60}, "radius_m"),
        ({"name": "c", "kind": "report_cluster", "category": "no-such-category", "bound": 5, "clear_bound": 1,
          "radius_m": 500, "window_minutes": 60}, "category"),
        ({"name": "i", "kind": "threshold", "source": "indicator", "operator": "gt", "bound": 1,
          "clear_bound": 0}, "indicator"),
    ]  # fmt: skip
    for data, field in cases:
        with pytest.raises(ValidationError) as caught:
            services.rule_create(actor=head_a, organization=agency_a, data=data)
        assert field in caught.value.message_dict, (data, caught.value.message_dict)
    assert MonitoringRule.objects.count() == 0


def test_sensor_must_match_type_and_area(head_a, agency_a, agency_b, sensor_b):
    traffic = make_entity(agency_a, "nut-giao", kind="TrafficFlowObserved")
    with pytest.raises(ValidationError) as caught:
        services.rule_create(actor=head_a, organization=agency_a, data=threshold_data(entity=traffic))
    assert "entity" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.rule_create(actor=head_a, organization=agency_a, data=threshold_data(entity=sensor_b))
    assert "entity" in caught.value.message_dict


def test_area_outside_the_owner_is_refused_unless_desk(head_a, agency_a, agency_b, province, operator, ioc):
    with pytest.raises(ValidationError) as caught:
        services.rule_create(actor=head_a, organization=agency_a, data=threshold_data(area=agency_b))
    assert "area" in caught.value.message_dict
    rule = services.rule_create(actor=operator, organization=ioc, data=threshold_data(area=province))
    assert rule.area == province


def test_who_may_manage_rules(agency_a, agency_b, head_a, staff_a, head_b, citizen, rule_a):
    for actor in (staff_a, head_b, citizen, None):
        with pytest.raises(PermissionDenied):
            services.rule_create(actor=actor, organization=agency_a, data=threshold_data())
    with pytest.raises(PermissionDenied):
        services.rule_update(actor=head_b, rule=rule_a, data={"bound": 10})
    with pytest.raises(PermissionDenied):
        services.rule_set_enabled(actor=staff_a, rule=rule_a, enabled=False)
    rule_a.refresh_from_db()
    assert rule_a.bound == 50 and rule_a.is_enabled


def test_update_revalidates_and_audits(head_a, rule_a):
    with pytest.raises(ValidationError) as caught:
        services.rule_update(actor=head_a, rule=rule_a, data={"clear_bound": 70})
    assert "clear_bound" in caught.value.message_dict
    rule = services.rule_update(actor=head_a, rule=rule_a, data={"bound": 80, "clear_bound": 60})
    assert (rule.bound, rule.clear_bound) == (80, 60)
    event = AuditEvent.objects.get(verb=AuditVerbs.RULE_UPDATED)
    assert event.data["old"]["bound"] == 50 and event.data["new"]["bound"] == 80


def test_name_is_nfc_and_stored_as_text(head_a, agency_a):
    decomposed = "Bu\u0323i mi\u0323n <script>alert(1)</script>"
    rule = services.rule_create(actor=head_a, organization=agency_a, data=threshold_data(name=decomposed))
    assert rule.name == "Bụi mịn <script>alert(1)</script>"


def test_delete_only_without_alerts(head_a, rule_a):
    services.rule_delete(actor=head_a, rule=rule_a)
    assert not MonitoringRule.objects.exists()
