"""The open-incidents map layer and the alerts widget registered with the dashboard."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from cityops.dashboard import registry
from cityops.operations import services

pytestmark = pytest.mark.django_db


def test_registered():
    import cityops.operations.dashboard  # noqa: F401

    assert registry.layer("operations-incidents") is not None
    assert registry.widget("operations-alerts") is not None


def test_layer_shows_only_what_the_reader_may_see(operator, ioc, head_b, head_a, agency_a, flooding_type):
    import cityops.operations.dashboard  # noqa: F401

    services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, title="<b>Ngập</b>",
                             latitude=21.1, longitude=106.0, assigned_agency=agency_a)  # fmt: skip
    services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, title="Không vị trí")
    layer = registry.layer("operations-incidents")
    features = layer.features(operator, {})
    assert len(features) == 1
    feature = features[0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [106.0, 21.1]}
    assert feature["properties"]["severity"] == "critical" and feature["properties"]["status"] == "assigned"
    assert layer.features(head_a, {}) == features  # the assigned agency sees it
    assert layer.features(head_b, {}) == []
    assert layer.features(operator, {"bbox": [107, 22, 108, 23]}) == []
    assert len(layer.features(operator, {"bbox": ["x", 1, 2]})) == 1


def test_widget(operator, citizen, rule_a):
    import cityops.operations.dashboard  # noqa: F401

    widget = registry.widget("operations-alerts")
    request = RequestFactory().get("/")
    request.user = citizen
    assert widget.context(request) is None
    request.user = operator
    context = widget.context(request)
    assert context["counts"] == {"info": 0, "warning": 0, "critical": 0}
    # Rendered the way the dashboard renders every widget: its context is ``ctx``.
    html = render_to_string("dashboard/_widget.html", {"widget": widget, "ctx": context})
    assert 'data-testid="widget-operations-alerts"' in html and 'data-testid="operations-alerts-summary"' in html
    assert "0 open incidents" in html or "0 sự cố đang mở" in html
