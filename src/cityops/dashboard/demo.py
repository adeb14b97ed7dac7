"""Demo data of the dashboard: default boards per role, the province's indicator targets, indicator values
per commune for a few months, generated outlines for the communes and wards, and the sensors' latest values.

DEMO DATA, NOT OFFICIAL: the outlines are Voronoi cells inside a rough outline of the province, not real
boundaries (see docs/operations.md for importing real ones), and the indicator values are invented around
plausible levels. Idempotent: nothing is added when the targets already exist.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from django.utils import timezone

from cityops.core.choices import OrganizationKind, Role
from cityops.core.models import Organization
from cityops.dashboard import services
from cityops.dashboard.models import IndicatorTarget
from cityops.datahub.indicators import indicator_value_set
from cityops.datahub.models import IndicatorDefinition

if TYPE_CHECKING:
    from cityops.core.services.demo import DemoSeedResult

__all__ = ["PROVINCE_OUTLINE", "ROLE_BOARDS", "seed_demo"]

# A rough outline of the merged Bắc Ninh (longitude, latitude), inside the demo's jurisdiction box.
PROVINCE_OUTLINE: list[tuple[float, float]] = [
    (105.90, 21.08), (105.96, 21.22), (106.06, 21.33), (106.16, 21.50), (106.34, 21.61), (106.60, 21.58),
    (106.86, 21.45), (106.92, 21.28), (106.74, 21.14), (106.50, 21.03), (106.26, 20.97), (106.04, 20.98),
]  # fmt: skip

ROLE_BOARDS: dict[str, list[str]] = {
    Role.LEADER: ["domains", "map", "headlines", "feed", "feedback_queue"],
    Role.IOC_OPERATOR: ["map", "domains", "feed", "feedback_queue", "headlines"],
    Role.AGENCY_HEAD: ["feedback_queue", "feed", "headlines", "map"],
    Role.SPECIALIST: ["feedback_queue", "feed", "map"],
}

# code: (target, level around which communes vary, spread, headline order or 0, per commune)
INDICATORS: dict[str, tuple[float, float, float, int, bool]] = {
    "eco-01": (2.5, 2.9, 0.6, 2, True),
    "eco-03": (900, 760, 180, 0, False),
    "eco-05": (1.5, 1.9, 0.5, 0, True),
    "eco-02": (5.0, 6.1, 0.0, 0, False),
    "peo-01": (90, 84, 6, 3, True),
    "peo-02": (85, 78, 0, 0, False),
    "peo-03": (99.5, 99.1, 0.4, 0, False),
    "peo-04": (99, 98.2, 0, 0, False),
    "gov-01": (60, 41, 0, 0, False),
    "gov-02": (1200, 1045, 0, 4, False),
    "gov-04": (90, 82, 0, 0, False),
    "gov-05": (95, 88, 0, 0, False),
    "mob-02": (70, 58, 9, 0, True),
    "mob-03": (6.0, 7.4, 1.5, 5, True),
    "mob-04": (30, 27.5, 0, 0, False),
    "mob-05": (40, 52, 0, 0, False),
    "env-01": (25, 31.5, 6, 1, True),
    "env-02": (85, 77, 0, 0, False),
    "env-03": (90, 86, 0, 0, False),
    "env-05": (30, 22, 5, 0, True),
    "liv-02": (300, 268, 0, 0, False),
    "liv-03": (120, 104, 22, 0, True),
    "liv-04": (15, 18, 0, 0, False),
    "liv-05": (15, 17.5, 3, 6, True),
}
MONTHS = 6


def _month_starts(today: dt.date, count: int) -> list[dt.date]:
    months = []
    year, month = today.year, today.month
    for _step in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def seed_demo(result: DemoSeedResult) -> None:
    administrator = result.users_by_role[Role.ADMINISTRATOR]
    units = list(
        Organization.objects.filter(
            parent=result.province,
            kind__in=[OrganizationKind.COMMUNE, OrganizationKind.WARD, OrganizationKind.SPECIAL_ZONE],
        )
    )
    services.boundaries_generate(units=units, outline=PROVINCE_OUTLINE)
    services.sensor_latest_refresh(force=True)
    if IndicatorTarget.objects.exists():
        return
    for role, widgets in ROLE_BOARDS.items():
        services.role_board_save(actor=administrator, role=role, widgets=widgets)
    definitions = {d.code: d for d in IndicatorDefinition.objects.filter(code__in=list(INDICATORS))}
    rng = random.Random(2025)  # noqa: S311 -- reproducible demo layout, not security
    months = _month_starts(timezone.localdate(), MONTHS)
    for code, (target, level, spread, headline, per_commune) in INDICATORS.items():
        definition = definitions.get(code)
        if definition is None:
            continue
        services.indicator_target_set(
            actor=administrator, indicator=definition, target=target, headline=headline > 0, sort_order=headline
        )
        improving = -1 if definition.direction == IndicatorDefinition.Direction.LOWER else 1
        for step, month in enumerate(months):
            # A slow improvement towards the target with some month-to-month noise.
            month_level = level - improving * (MONTHS - 1 - step) * abs(target - level) * 0.04
            month_level *= 1 + rng.uniform(-0.015, 0.015)
            if per_commune and step == len(months) - 1:
                for unit in units:
                    value = max(0.0, rng.gauss(month_level, spread))
                    if "%" in definition.unit:
                        value = min(value, 100.0)
                    indicator_value_set(actor=administrator, indicator=definition, area=unit, period_start=month,
                                        value=round(value, 2))  # fmt: skip
            else:
                indicator_value_set(actor=administrator, indicator=definition, area=result.province,
                                    period_start=month, value=round(month_level, 2))  # fmt: skip
