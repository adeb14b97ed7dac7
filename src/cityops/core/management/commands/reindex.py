"""``cityops reindex [type ...]``: rebuild the global search index (all types, or the ones named)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cityops.core import search


class Command(BaseCommand):
    help = "Rebuild the global search index from the records (e.g. after an import or an upgrade)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("types", nargs="*", help="Types to rebuild, e.g. core.organization (default: all).")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, types: list[str], batch_size: int, **options: Any) -> None:
        known = {provider.object_type for provider in search.providers()}
        unknown = sorted(set(types) - known)
        if unknown:
            raise CommandError(f"Unknown types: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = 0
        for object_type in types or sorted(known):
            written = search.reindex([object_type], batch_size=batch_size)
            total += written
            self.stdout.write(f"{object_type}: {written}")
        self.stdout.write(self.style.SUCCESS(f"Indexed {total} records."))
