"""``cityops pull-connectors``: run the scheduled HTTP pulls that are due (from a timer, every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.datahub.connectors import connectors_run_due


class Command(BaseCommand):
    help = "Run the data hub's scheduled HTTP pulls that are due."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{connectors_run_due()} connector(s) ran.")
