"""The sensor simulator registers entities and sends plausible readings through the ingest path."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cityops.datahub.models import Entity, Observation

pytestmark = pytest.mark.django_db


def test_direct_rounds(province):
    call_command("simulate_sensors", via="direct", per_type=2, rounds=2, interval=0, seed=1)
    assert Entity.objects.filter(organization=province).count() == 10
    assert Observation.objects.count() > 0
    pm25 = Observation.objects.filter(attribute="PM25").values_list("value", flat=True)
    assert all(0 < v < 200 for v in pm25)
    call_command("simulate_sensors", via="direct", per_type=2, rounds=1, interval=0, seed=1)
    assert Entity.objects.count() == 10  # re-running reuses the sensors
