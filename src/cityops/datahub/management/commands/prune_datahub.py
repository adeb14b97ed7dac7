"""``cityops prune-datahub``: apply the retention settings (raw observations, old dataset versions)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.datahub.quality import prune_retention


class Command(BaseCommand):
    help = "Delete raw observations and dataset versions past their retention; rollups are kept."

    def handle(self, *args: Any, **options: Any) -> None:
        done = prune_retention()
        self.stdout.write(f"{done['observations']} observation(s) and {done['versions']} version(s) pruned.")
