"""``feedback_deadlines``: remind agencies of requests due soon, escalate overdue ones, drop unused kept files."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.feedback.services import deadlines_sweep, kept_media_cleanup


class Command(BaseCommand):
    help = "Remind agencies of citizen requests due within a working day and escalate overdue ones."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = deadlines_sweep()
        removed = kept_media_cleanup()
        self.stdout.write(f"reminded={counts['reminded']} escalated={counts['escalated']} kept_files_removed={removed}")
