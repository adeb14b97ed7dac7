"""Evaluation: thresholds, rates, no data, report clusters and indicators; hysteresis, grouping and auto-resolve."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cityops.core.models import AuditEvent, LiveEvent
from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.models import IndicatorDefinition, IndicatorValue
from cityops.feedback.models import Category, Request
from cityops.operations import services
from cityops.operations.choices import AlertStatus, AuditVerbs
from cityops.operations.engine import Point, SeriesState, clusters, distance_m, run_series
from cityops.operations.evaluation import (
    evaluate_observations,
    evaluate_periodic,
    evaluate_periodic_if_due,
    preview_rule,
)
from cityops.operations.models import Alert, MonitoringRule
from tests.operations.conftest import T0, make_entity, readings, threshold_data

pytestmark = pytest.mark.django_db


def evaluate(*entities, start=T0, end=None):
    end = end or start + dt.timedelta(days=1)
    return evaluate_observations(entity_ids=[e.pk for e in entities], start=start, end=end, now=end)


# --- the pure machine -------------------------------------------------------------------------------------------


def pts(values, start=T0):
    return [Point(start + dt.timedelta(minutes=i), v) for i, v in enumerate(values)]


def test_machine_hysteresis_does_not_flap():
    state = SeriesState()
    values = [49, 51, 49.5, 50.5, 49, 51, 48, 52, 45, 55, 41, 51]  # around the bound, never down to the clear bound
    events = run_series(operator="gt", bound=50, clear_bound=40, for_minutes=0, state=state, points=pts(values))
    assert [e.kind for e in events].count("open") == 1
    assert not [e for e in events if e.kind == "resolve"]
    assert state.firing


def test_machine_without_hysteresis_would_flap_but_duration_holds():
    values = [49, 51, 49, 51, 49, 51]
    state = SeriesState()
    events = run_series(operator="gt", bound=50, clear_bound=None, for_minutes=3, state=state, points=pts(values))
    assert events == []  # never above the bound for three minutes in a row


def test_machine_duration_then_clear_duration():
    values = [60, 60, 60, 60, 30, 30, 60, 30, 30, 30, 30]
    state = SeriesState()
    events = run_series(operator="gt", bound=50, clear_bound=40, for_minutes=2, state=state, points=pts(values))
    kinds = [e.kind for e in events]
    assert kinds[0] == "open" and events[0].since == T0 and events[0].at == T0 + dt.timedelta(minutes=2)
    assert kinds.count("resolve") == 1 and kinds[-1] == "resolve"
    assert events[-1].at == T0 + dt.timedelta(minutes=9)


def test_machine_downward_and_replay_is_ignored():
    state = SeriesState()
    points = pts([7.0, 5.5, 5.8, 6.6])
    first = run_series(operator="lt", bound=6, clear_bound=6.5, for_minutes=0, state=state, points=points)
    assert [e.kind for e in first] == ["open", "repeat", "resolve"]
    assert run_series(operator="lt", bound=6, clear_bound=6.5, for_minutes=0, state=state, points=points) == []


def test_clusters_and_distance():
    assert 1100 < distance_m(21.0, 106.0, 21.01, 106.0) < 1120
    near = [(i, 21.1178 + i * 0.0005, 105.9621) for i in range(1, 6)]  # within ~250 m of each other
    far = [(10, 21.30, 106.20), (11, 21.31, 106.21)]
    found = clusters(near + far, radius_m=500, minimum=5)
    assert len(found) == 1 and found[0].members == (1, 2, 3, 4, 5)
    assert clusters(near[:4] + far, radius_m=500, minimum=5) == []


# --- thresholds on observations ---------------------------------------------------------------------------------


def test_threshold_opens_one_alert_and_publishes(rule_a, sensor_a):
    readings(sensor_a, "PM25", [30, 45, 62])
    evaluate(sensor_a)
    alert = Alert.objects.get()
    assert (alert.status, alert.value, alert.occurrences, alert.severity) == (AlertStatus.FIRING, 62, 1, "warning")
    assert alert.entity == sensor_a and alert.area == sensor_a.organization
    assert alert.latitude == sensor_a.latitude and "tram-a" in alert.title
    assert AuditEvent.objects.filter(verb=AuditVerbs.ALERT_OPENED, target_id=str(alert.pk)).exists()
    live = LiveEvent.objects.get(kind="operations.alert")
    assert live.data["severity"] == "warning" and live.data["status"] == "firing" and live.data["lat"] == 21.18


def test_sensor_flood_is_grouped_into_one_alert_with_a_count(rule_a, sensor_a):
    end = readings(sensor_a, "PM25", [70 + (i % 7) for i in range(500)])
    evaluate(sensor_a, end=end)
    alert = Alert.objects.get()
    assert alert.occurrences == 500
    assert alert.last_seen_at == end - dt.timedelta(minutes=1) and alert.first_seen_at == T0
    assert alert.peak_value == 76
    assert AuditEvent.objects.filter(verb=AuditVerbs.ALERT_OPENED).count() == 1
    assert LiveEvent.objects.filter(kind="operations.alert").count() == 1


def test_evaluating_the_same_batch_twice_counts_once(rule_a, sensor_a):
    readings(sensor_a, "PM25", [60, 61, 62])
    evaluate(sensor_a)
    evaluate(sensor_a)
    assert Alert.objects.get().occurrences == 3


def test_oscillation_around_the_bound_does_not_flap(rule_a, sensor_a):
    readings(sensor_a, "PM25", [49, 51, 48, 52, 47, 53, 45, 55] * 10)
    evaluate(sensor_a)
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.FIRING and alert.occurrences == 40


def test_auto_resolve_then_new_alert(rule_a, sensor_a):
    end = readings(sensor_a, "PM25", [60, 61, 39])
    evaluate(sensor_a, end=end)
    first = Alert.objects.get()
    assert first.status == AlertStatus.RESOLVED and first.resolved_at == T0 + dt.timedelta(minutes=2)
    assert AuditEvent.objects.filter(verb=AuditVerbs.ALERT_RESOLVED).count() == 1
    readings(sensor_a, "PM25", [70], start=end)
    evaluate(sensor_a, start=end)
    assert Alert.objects.count() == 2 and Alert.objects.filter(status=AlertStatus.FIRING).count() == 1


def test_acknowledged_alert_still_resolves_by_itself(rule_a, sensor_a, head_a):
    end = readings(sensor_a, "PM25", [60])
    evaluate(sensor_a, end=end)
    services.alert_acknowledge(actor=head_a, alert=Alert.objects.get())
    readings(sensor_a, "PM25", [61, 30], start=end)
    evaluate(sensor_a, start=end)
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.RESOLVED and alert.occurrences == 2


def test_scope_area_and_disabled_rules(rule_a, sensor_a, sensor_b, head_a):
    readings(sensor_b, "PM25", [90, 95])
    evaluate(sensor_b)
    assert not Alert.objects.exists()  # agency B's sensor is outside agency A's rule
    services.rule_set_enabled(actor=head_a, rule=rule_a, enabled=False)
    readings(sensor_a, "PM25", [90, 95])
    evaluate(sensor_a)
    assert not Alert.objects.exists()


def test_rate_of_change(head_a, agency_a):
    road = make_entity(agency_a, "ql1a", kind="TrafficFlowObserved")
    services.rule_create(actor=head_a, organization=agency_a, data={
        "name": "Tốc độ giảm", "kind": "rate", "entity_type": "TrafficFlowObserved",
        "attribute": "averageVehicleSpeed", "operator": "lte", "bound": -20, "clear_bound": -5, "window_minutes": 10,
    })  # fmt: skip
    readings(road, "averageVehicleSpeed", [50, 49, 50, 48, 47, 25, 24, 24, 25, 26], step_minutes=2)
    evaluate(road)
    alert = Alert.objects.get()
    assert alert.value <= -20 and alert.status == AlertStatus.FIRING


def test_ingest_hook_queues_evaluation_after_commit(rule_a, sensor_a, django_capture_on_commit_callbacks):
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = ingest_readings([Reading(sensor_a.entity_id, "PM25", at.isoformat(), 88.0)])
    assert result.stored == 1 and callbacks
    assert Alert.objects.get().value == 88.0


def test_ingest_without_rules_queues_nothing(sensor_a, django_capture_on_commit_callbacks):
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingest_readings([Reading(sensor_a.entity_id, "PM25", at.isoformat(), 88.0)])
    assert callbacks == []


# --- no data ----------------------------------------------------------------------------------------------------


def test_no_data_fires_and_resolves_when_data_returns(head_a, agency_a, sensor_a):
    rule = services.rule_create(actor=head_a, organization=agency_a, data={
        "name": "Mất tín hiệu", "kind": "no_data", "entity_type": "AirQualityObserved", "attribute": "PM25",
        "window_minutes": 30,
    })  # fmt: skip
    MonitoringRule.objects.filter(pk=rule.pk).update(created_at=T0 - dt.timedelta(days=1))
    readings(sensor_a, "PM25", [20])
    evaluate_periodic(now=T0 + dt.timedelta(minutes=10))
    assert not Alert.objects.exists()
    evaluate_periodic(now=T0 + dt.timedelta(minutes=45))
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.FIRING and alert.value == 45 and alert.first_seen_at == T0
    evaluate_periodic(now=T0 + dt.timedelta(minutes=50))
    assert Alert.objects.count() == 1
    back = T0 + dt.timedelta(minutes=52)
    readings(sensor_a, "PM25", [21], start=back)
    evaluate_observations(entity_ids=[sensor_a.pk], start=back, end=back, now=back + dt.timedelta(minutes=1))
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_periodic_run_is_claimed_once_a_minute():
    assert evaluate_periodic_if_due(now=T0) is True
    assert evaluate_periodic_if_due(now=T0 + dt.timedelta(seconds=20)) is False
    assert evaluate_periodic_if_due(now=T0 + dt.timedelta(seconds=70)) is True


# --- citizen report clusters --------------------------------------------------------------------------------


@pytest.fixture
def flooding():
    return Category.objects.create(code="flooding", name_vi="Ngập úng", name_en="Flooding")


def report(category, org, lat, lon, at):
    req = Request.objects.create(
        organization=org, tracking_code=f"T{Request.objects.count() + 1:06d}", category=category,
        description="Ngập sâu", lat=Decimal(str(lat)), long=Decimal(str(lon)),
    )  # fmt: skip
    Request.objects.filter(pk=req.pk).update(created_at=at)
    return req


def test_report_cluster_fires_once_and_resolves(operator, ioc, province, flooding):
    services.rule_create(actor=operator, organization=ioc, data={
        "name": "Nhiều phản ánh ngập", "kind": "report_cluster", "category": flooding, "area": province,
        "bound": 5, "clear_bound": 1, "radius_m": 500, "window_minutes": 60, "severity": "critical",
    })  # fmt: skip
    for i in range(4):
        report(flooding, province, 21.1178 + i * 0.0004, 105.9621, T0 + dt.timedelta(minutes=i))
    report(flooding, province, 21.30, 106.30, T0)  # far away
    evaluate_periodic(now=T0 + dt.timedelta(minutes=10))
    assert not Alert.objects.exists()
    report(flooding, province, 21.1180, 105.9625, T0 + dt.timedelta(minutes=11))
    evaluate_periodic(now=T0 + dt.timedelta(minutes=12))
    alert = Alert.objects.get()
    assert alert.value == 5 and alert.severity == "critical" and abs(alert.latitude - 21.118) < 0.002
    report(flooding, province, 21.1182, 105.9623, T0 + dt.timedelta(minutes=13))
    evaluate_periodic(now=T0 + dt.timedelta(minutes=14))
    alert.refresh_from_db()
    assert Alert.objects.count() == 1 and alert.value == 6 and alert.occurrences == 2
    evaluate_periodic(now=T0 + dt.timedelta(minutes=200))
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


# --- indicators -------------------------------------------------------------------------------------------------


def test_indicator_threshold(head_a, agency_a):
    indicator = IndicatorDefinition.objects.create(
        code="pm25-mean", name_vi="PM2.5 trung bình", name_en="Mean PM2.5", domain="environment", unit="µg/m³"
    )
    services.rule_create(actor=head_a, organization=agency_a, data=threshold_data(
        source="indicator", indicator=indicator, entity_type="", attribute="", bound=50, clear_bound=40))  # fmt: skip
    IndicatorValue.objects.create(indicator=indicator, area=agency_a, period_start=dt.date(2026, 11, 1), value=55)
    evaluate_periodic(now=T0)
    alert = Alert.objects.get()
    assert alert.series_key == f"area:{agency_a.pk}" and alert.value == 55
    IndicatorValue.objects.create(indicator=indicator, area=agency_a, period_start=dt.date(2026, 11, 2), value=35)
    evaluate_periodic(now=T0)
    assert Alert.objects.get().status == AlertStatus.RESOLVED


# --- preview ----------------------------------------------------------------------------------------------------


def test_preview_writes_nothing(head_a, agency_a, sensor_a):
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    readings(sensor_a, "PM25", [30, 60, 61, 30, 70, 35], start=now - dt.timedelta(hours=2), step_minutes=10)
    rule = services.rule_build(actor=head_a, organization=agency_a, data=threshold_data())
    preview = preview_rule(rule, now=now)
    assert preview.alerts == 2 and preview.breaches == 3 and preview.firing == 0
    assert preview.series[0].label == "tram-a" and preview.series[0].worst == 70
    assert not Alert.objects.exists() and not MonitoringRule.objects.exists()


def test_command_runs_the_periodic_evaluation(head_a, agency_a, sensor_a):
    from io import StringIO

    from django.core.management import call_command

    services.rule_create(actor=head_a, organization=agency_a, data={
        "name": "Mất tín hiệu", "kind": "no_data", "entity_type": "AirQualityObserved", "window_minutes": 5,
    })  # fmt: skip
    MonitoringRule.objects.update(created_at=T0)
    type(sensor_a).objects.update(created_at=T0)  # a sensor that never reported since long ago
    out = StringIO()
    call_command("operations_evaluate", "--force", stdout=out)
    assert "1 rule(s) evaluated." in out.getvalue()
    assert Alert.objects.get().entity == sensor_a
    out = StringIO()
    call_command("operations_evaluate", stdout=out)
    call_command("operations_evaluate", stdout=out)
    assert "Already evaluated" in out.getvalue()
    assert Alert.objects.count() == 1
