"""``cityops rollup``: fill hourly and daily rollups up to now (safe to run again; resumes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.datahub.choices import RollupPeriod
from cityops.datahub.rollups import rollup_fill


class Command(BaseCommand):
    help = "Fill hourly and daily observation rollups; resumes where the last run stopped."

    def handle(self, *args: Any, **options: Any) -> None:
        for period in (RollupPeriod.HOUR, RollupPeriod.DAY):
            self.stdout.write(f"{period}: {rollup_fill(period)} rollup rows written")
