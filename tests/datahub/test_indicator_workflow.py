"""Manual indicator values need the unit head's approval; dataset-field and module sources; history charts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cityops.core.models import AuditEvent
from cityops.datahub import indicator_sources, services
from cityops.datahub.indicators import (
    domain_scores,
    history_svg,
    indicator_compute,
    indicator_value_review,
    indicator_value_set,
)
from cityops.datahub.models import IndicatorDefinition, IndicatorValue, Sector

pytestmark = pytest.mark.django_db
P = date(2026, 1, 1)


@pytest.fixture
def manual():
    return IndicatorDefinition.objects.create(code="test-manual", name_vi="Chỉ số", name_en="Manual", domain="people",
                                              unit="%", source="manual")  # fmt: skip


@pytest.fixture
def spec_a(agency_a, make_member):
    return make_member(agency_a, "specialist", username="i-spec-a")


@pytest.fixture
def head_a(agency_a, make_member):
    return make_member(agency_a, "agency_head", username="i-head-a")


def test_entered_value_counts_only_after_approval(manual, spec_a, head_a, agency_a):
    value = indicator_value_set(actor=spec_a, indicator=manual, area=agency_a, period_start=P, value=42.0)
    assert value.status == "entered" and value.entered_by == spec_a
    assert not [s for s in domain_scores(period_start=P) if s.area_id == agency_a.pk and s.score is not None]
    approved = indicator_value_review(actor=head_a, value=value, approve=True)
    assert approved.status == "approved" and approved.reviewed_by == head_a
    assert any(s.area_id == agency_a.pk and s.domain == "people" and s.indicators == 1
               for s in domain_scores(period_start=P))  # fmt: skip
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"datahub.indicator.value_set", "datahub.indicator.value_approved"} <= verbs
    with pytest.raises(ValidationError):  # decided already
        indicator_value_review(actor=head_a, value=approved, approve=False, note="x")
    again = indicator_value_set(actor=spec_a, indicator=manual, area=agency_a, period_start=P, value=43.0)
    assert again.pk == value.pk and again.status == "entered"  # a new figure goes back for approval


def test_return_needs_a_note_and_no_self_approval(manual, head_a, agency_a):
    value = indicator_value_set(actor=head_a, indicator=manual, area=agency_a, period_start=P, value=1.0)
    with pytest.raises(ValidationError):
        indicator_value_review(actor=head_a, value=value, approve=True)
    with pytest.raises(ValidationError):
        indicator_value_review(actor=head_a, value=value, approve=False, note="  ")
    returned = indicator_value_review(actor=head_a, value=value, approve=False, note="Sai đơn vị")
    assert returned.status == "returned" and returned.review_note == "Sai đơn vị"


def test_other_units_cannot_enter_or_approve(manual, spec_a, agency_a, agency_b, make_member):
    value = indicator_value_set(actor=spec_a, indicator=manual, area=agency_a, period_start=P, value=1.0)
    head_b = make_member(agency_b, "agency_head", username="i-head-b")
    with pytest.raises(PermissionDenied):
        indicator_value_review(actor=head_b, value=value, approve=True)
    with pytest.raises(PermissionDenied):
        indicator_value_review(actor=spec_a, value=value, approve=True)  # a specialist does not approve
    with pytest.raises(PermissionDenied):
        indicator_value_set(actor=head_b, indicator=manual, area=agency_a, period_start=P, value=2.0)
    for bad in (float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValidationError):
            indicator_value_set(actor=spec_a, indicator=manual, area=agency_a, period_start=P, value=bad)


def test_entry_and_approval_pages(client, manual, spec_a, head_a, agency_a, agency_b, make_member):
    client.force_login(spec_a)
    url = f"/datahub/indicators/{manual.code}/"
    assert client.post(url, {"area": agency_a.pk, "period_start": "2026-01-01", "value": "abc"}).status_code == 200
    assert client.post(url, {"area": agency_b.pk, "period_start": "2026-01-01", "value": "5"}).status_code == 200
    assert not IndicatorValue.objects.exists()
    assert client.post(url, {"area": agency_a.pk, "period_start": "2026-01-01", "value": "5"}).status_code == 302
    value = IndicatorValue.objects.get()
    assert client.post(f"/datahub/indicator-values/{value.pk}/review/", {"approve": "1"}).status_code == 404

    client.force_login(make_member(agency_b, "agency_head", username="i-head-b2"))
    assert 'data-testid="indicator-pending"' not in client.get(url).content.decode()
    assert client.post(f"/datahub/indicator-values/{value.pk}/review/", {"approve": "1"}).status_code == 404

    client.force_login(head_a)
    assert 'data-testid="indicator-pending"' in client.get(url).content.decode()
    assert client.post(f"/datahub/indicator-values/{value.pk}/review/", {"approve": "1"}).status_code == 302
    value.refresh_from_db()
    assert value.status == "approved"
    page = client.get(url).content.decode()
    assert "<svg" in page and "<circle" in page
    assert client.get("/datahub/indicators/no-such-code/").status_code == 404


def test_history_svg_escapes_and_draws():
    svg = history_svg([(P, 1.0), (P + timedelta(days=31), 3.0)], unit='<script>"x"</script>', target=2.0)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and svg.count("<circle") == 2
    assert 'stroke-dasharray="4 4"' in svg and "style=" not in svg
    assert history_svg([]) == ""
    assert "<circle" in history_svg([(P, 5.0)])  # one point, no division by zero


def test_dataset_field_source(agency_a, head_a):
    sector = Sector.objects.create(code="h", name="Y tế", domain="living")
    schema = [{"name": "day", "type": "date"}, {"name": "beds", "type": "number"}]
    dataset = services.dataset_create(actor=head_a, organization=agency_a, sector=sector, title="Giường bệnh",
                                      domain="living", visibility="private", schema=schema)  # fmt: skip
    services.dataset_records_replace(actor=head_a, dataset=dataset, rows=[
        (2, {"day": "2026-01-05", "beds": 10}), (3, {"day": "2026-01-20", "beds": 20}),
        (4, {"day": "2026-02-01", "beds": 99}), (5, {"day": "2026-01-06", "beds": None}),
    ])  # fmt: skip
    indicator = IndicatorDefinition.objects.create(
        code="test-beds", name_vi="Giường", name_en="Beds", domain="living", unit="beds", source="dataset",
        formula={"kind": "dataset_field", "dataset": dataset.pk, "field": "beds", "aggregate": "mean",
                 "date_field": "day"},
    )  # fmt: skip
    assert indicator_compute(indicator=indicator, period_start=P, period_end=date(2026, 2, 1)) == 1
    value = IndicatorValue.objects.get(indicator=indicator)
    assert (value.area_id, value.value, value.status) == (agency_a.pk, 15.0, "approved")
    indicator.formula = {"kind": "dataset_field", "dataset": "1; DROP TABLE x", "field": "beds"}
    assert indicator_compute(indicator=indicator, period_start=P, period_end=date(2026, 2, 1)) == 0


def test_module_sources_come_from_the_registry(agency_a, monkeypatch):
    keys = {s.key for s in indicator_sources.sources()}
    assert {"feedback.on_time_rate", "directives.on_time_rate"} <= keys
    calls = []

    def fake(start, end):
        calls.append((start, end))
        return {agency_a.pk: 87.5}

    source = indicator_sources.IndicatorSource("test.fake", "Fake", fake)
    monkeypatch.setitem(indicator_sources._registry, "test.fake", source)
    with pytest.raises(ValueError):
        indicator_sources.register(indicator_sources.IndicatorSource("test.fake", "Other", fake))
    indicator = IndicatorDefinition.objects.create(code="test-mod", name_vi="M", name_en="M", domain="governance",
                                                   unit="%", source="module",
                                                   formula={"kind": "module", "source": "test.fake"})  # fmt: skip
    assert indicator_compute(indicator=indicator, period_start=P, period_end=date(2026, 2, 1)) == 1
    assert calls == [(P, date(2026, 2, 1))]
    assert IndicatorValue.objects.get(indicator=indicator).value == 87.5
    indicator.formula = {"kind": "module", "source": "nobody.offers.this"}
    with pytest.raises(ValidationError):
        indicator_compute(indicator=indicator, period_start=P, period_end=date(2026, 2, 1))


def test_real_module_sources_run_on_empty_data(agency_a):
    for key in ("feedback.on_time_rate", "directives.on_time_rate"):
        source = indicator_sources.get(key)
        assert source is not None
        assert source.compute(P, date(2026, 2, 1)) == {}
