"""Indicators: the starter set is seeded, values computed from observations, Giffinger domain scores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from cityops.datahub.indicators import domain_scores, indicator_compute, indicator_value_review, indicator_value_set
from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.models import Entity, IndicatorDefinition, IndicatorValue

pytestmark = pytest.mark.django_db
P = date(2026, 1, 1)


def test_starter_set_is_seeded():
    assert IndicatorDefinition.objects.count() == 32
    by_domain = {d: IndicatorDefinition.objects.filter(domain=d).count() for d in
                 ["economy", "people", "governance", "mobility", "environment", "living"]}  # fmt: skip
    assert by_domain == {"economy": 5, "people": 5, "governance": 5, "mobility": 6, "environment": 6, "living": 5}
    assert IndicatorDefinition.objects.get(code="env-01").direction == "lower"


def test_compute_from_observations(agency_a, agency_b):
    for org, values in ((agency_a, [10.0, 20.0]), (agency_b, [40.0])):
        eid = f"urn:ngsi-ld:AirQualityObserved:{org.code}"
        Entity.objects.create(organization=org, entity_id=eid, type="AirQualityObserved")
        start = datetime(2026, 1, 1, 3, tzinfo=UTC)
        ingest_readings(
            [Reading(eid, "PM25", (start + timedelta(hours=i)).isoformat(), v) for i, v in enumerate(values)]
        )
    pm25 = IndicatorDefinition.objects.get(code="env-01")
    assert indicator_compute(indicator=pm25, period_start=P, period_end=P + timedelta(days=1)) == 2
    values = dict(IndicatorValue.objects.values_list("area_id", "value"))
    assert values == {agency_a.pk: 15.0, agency_b.pk: 40.0}


def test_domain_scores_z_and_coverage(agency_a, agency_b, make_member):
    head = make_member(agency_a.parent, "administrator")
    approver = make_member(agency_a.parent, "agency_head")
    env = list(IndicatorDefinition.objects.filter(domain="environment").order_by("code"))
    pm25, green = env[0], next(i for i in env if i.code == "env-04")
    for area, pm, g in ((agency_a, 10.0, 5.0), (agency_b, 30.0, 5.0)):
        for indicator, number in ((pm25, pm), (green, g)):
            value = indicator_value_set(actor=head, indicator=indicator, area=area, period_start=P, value=number)
            indicator_value_review(actor=approver, value=value, approve=True)
    scores = {(s.area_id, s.domain): s for s in domain_scores(period_start=P)}
    a, b = scores[(agency_a.pk, "environment")], scores[(agency_b.pk, "environment")]
    # PM2.5: lower is better, so A (10) is +1 and B (30) is -1; green area equal → 0 for both
    assert a.score == pytest.approx(0.5) and b.score == pytest.approx(-0.5)
    assert a.coverage == pytest.approx(2 / 6) and not a.sufficient
    assert scores[(agency_a.pk, "economy")].score is None


def test_value_entry_is_scoped(agency_a, agency_b, make_member):
    spec_b = make_member(agency_b, "specialist")
    with pytest.raises(PermissionDenied):
        indicator_value_set(actor=spec_b, indicator=IndicatorDefinition.objects.first(), area=agency_a,
                            period_start=P, value=1.0)  # fmt: skip


def test_indicators_page(client, agency_a, make_member):
    client.force_login(make_member(agency_a, "specialist"))
    response = client.get("/datahub/indicators/")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="indicator-row"') == 32
