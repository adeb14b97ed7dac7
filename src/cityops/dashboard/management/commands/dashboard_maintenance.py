"""``cityops dashboard-maintenance``: the dashboard's daily housekeeping, for a scheduler (cron, systemd timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.core.services.live import prune
from cityops.dashboard.services import sensor_latest_refresh


class Command(BaseCommand):
    """Drops live-feed events older than a week and brings the sensors' latest values up to date."""

    help = "Prune live-feed events older than 7 days and refresh the sensors' latest values (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        pruned = prune()
        refreshed = sensor_latest_refresh(force=True)
        self.stdout.write(f"{pruned} old live event(s) pruned, {refreshed} sensor value(s) refreshed.")
