"""``cityops documents_exchange``: retry the edXML messages whose next delivery attempt is due (run it from a timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.documents.exchange import exchange_retry_due


class Command(BaseCommand):
    help = "Send the queued edXML packages and status messages whose next attempt is due (run e.g. every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"messages attempted: {exchange_retry_due()}")
