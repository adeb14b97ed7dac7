"""``cityops directives_reminders``: queue deadline reminders and escalations (run it from a scheduler)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.directives.tasks import send_due_reminders, send_weekly_digests


class Command(BaseCommand):
    help = "Queue reminders for tasks due soon and escalations for overdue tasks (idempotent; run e.g. hourly)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--digest", action="store_true", help="Also queue the weekly digest (sent once per person and ISO week)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        soon, late = send_due_reminders()
        self.stdout.write(f"reminders queued: {soon}; escalations queued: {late}")
        if options["digest"]:
            self.stdout.write(f"digests queued: {send_weekly_digests()}")
