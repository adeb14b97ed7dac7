"""The demo: incident types with procedures, rules on the demo sensors that fire, an open incident; idempotent."""

from __future__ import annotations

import pytest

from cityops.core.services.demo import seed_demo
from cityops.operations.models import Alert, Incident, IncidentType, MonitoringRule

pytestmark = pytest.mark.django_db


def test_demo_seed(client):
    seed_demo()
    assert set(IncidentType.objects.values_list("code", flat=True)) == {
        "ngap-ung", "o-nhiem-khong-khi", "chay", "su-co-giao-thong"
    }  # fmt: skip
    assert all(t.steps.count() >= 5 for t in IncidentType.objects.all())
    kinds = set(MonitoringRule.objects.values_list("kind", flat=True))
    assert kinds == {"threshold", "rate", "no_data", "report_cluster"}
    assert Alert.objects.filter(rule__attribute__in=["PM25", "airQualityIndex"]).exists()
    incident = Incident.objects.get()
    assert (
        incident.assigned_agency.code == "bn-so-xay-dung" and incident.steps.filter(done_at__isnull=False).count() == 2
    )
    counts = (MonitoringRule.objects.count(), Alert.objects.count(), Incident.objects.count())
    seed_demo()
    assert (MonitoringRule.objects.count(), Alert.objects.count(), Incident.objects.count()) == counts
    from cityops.core.models import User

    client.force_login(User.objects.get(username="vanhanh.ioc"))
    assert client.get("/operations/").status_code == 200
    assert client.get(incident.get_absolute_url()).status_code == 200
