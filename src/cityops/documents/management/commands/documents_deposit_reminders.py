"""``cityops documents_deposit_reminders``: remind clerks of case files due in the archive within 30 days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.documents.services import case_file_deposit_reminders


class Command(BaseCommand):
    help = "Notify clerks and leaders of closed case files due in the archive within 30 days (once per file; daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"case files reminded: {case_file_deposit_reminders()}")
