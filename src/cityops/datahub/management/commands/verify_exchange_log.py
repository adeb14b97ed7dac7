"""``cityops verify-exchange-log``: recompute the exchange log's hash chain and report any break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cityops.datahub.services import verify_exchange_log


class Command(BaseCommand):
    help = "Verify that no exchange log entry was altered or removed (hash chain check)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_exchange_log()
        for entry_id, what in report.problems:
            self.stderr.write(
                f"entry {entry_id}: {'link to the previous entry' if what == 'link' else 'content'} broken"
            )
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s) in {report.checked} entries.")
        self.stdout.write(f"OK: {report.checked} entries, chain intact.")
