"""``cityops documents_exchange``: retry the edXML messages whose next delivery attempt is due (run it from a timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cityops.documents.exchange import exchange_release_held, exchange_retry_due


class Command(BaseCommand):
    help = "Send the queued edXML packages and status messages whose next attempt is due (run e.g. every minute)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--release-held",
            action="store_true",
            help="First queue the messages held while no transport was configured.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["release_held"]:
            self.stdout.write(f"held messages queued: {exchange_release_held()}")
        self.stdout.write(f"messages attempted: {exchange_retry_due()}")
