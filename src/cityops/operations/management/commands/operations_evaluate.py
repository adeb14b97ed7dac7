"""``cityops operations-evaluate``: the periodic rule evaluation, for a systemd timer or cron every minute."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.operations.evaluation import evaluate_periodic, evaluate_periodic_if_due


class Command(BaseCommand):
    help = "Evaluate the no-data, report-cluster and indicator rules (run every minute; safe to run often)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Run even if another run happened this minute.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["force"]:
            count = evaluate_periodic()
            self.stdout.write(f"{count} rule(s) evaluated.")
        elif evaluate_periodic_if_due():
            self.stdout.write("Periodic rules evaluated.")
        else:
            self.stdout.write("Already evaluated less than a minute ago.")
