"""``cityops seed-demo``: load the demo province and print its accounts."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cityops.core.services.demo import seed_demo


class Command(BaseCommand):
    """Loads the demo data once (later runs change nothing) and prints the demo accounts."""

    help = (
        "Load the demo province (a Bắc Ninh-like province: agencies, all communes and wards, one account per "
        "role, role policies, announcements) if it is missing, then print the demo accounts. Safe to run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also restore the demo accounts (demo password, active, demo role). Nothing is deleted.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_demo(reset=options["reset"])
        if result.created:
            self.stdout.write(self.style.SUCCESS(_("Demo province loaded: %(name)s.") % {"name": result.province}))
        else:
            self.stdout.write(_("The demo province was already loaded; nothing was added."))
        self.stdout.write(_("Demo accounts (demo passwords: never use them in production):"))
        header = (_("Username"), _("Password"), _("Role"), _("Organisation"))
        rows = [header, *result.accounts]
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
        for index, row in enumerate(rows):
            self.stdout.write("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))
