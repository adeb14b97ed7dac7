"""``cityops dashboard-boundaries``: load real outlines of communes and wards from a GeoJSON file."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cityops.dashboard import services


class Command(BaseCommand):
    """Imports a GeoJSON FeatureCollection of Polygon/MultiPolygon outlines into the dashboard's map."""

    help = (
        "Load commune and ward outlines for the dashboard map from a GeoJSON FeatureCollection (WGS84). Each "
        "feature is matched to a unit by a property (default 'code': the national administrative-unit code, "
        "or the unit's CityOps code, or its exact name). Refused features are listed; the rest are stored."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="GeoJSON file to import.")
        parser.add_argument("--match", default="code", help="Feature property naming the unit (default: code).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > services.MAX_IMPORT_BYTES:
            raise CommandError("The file is larger than 50 MB; simplify the outlines first.")
        try:
            result = services.boundaries_import(actor=None, content=path.read_bytes(), match_property=options["match"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for index, reason in result.rejected:
            self.stderr.write(f"feature {index}: {reason}")
        self.stdout.write(f"{len(result.stored)} outline(s) stored, {len(result.rejected)} refused.")
        if result.rejected and not result.stored:
            raise CommandError("Nothing was imported.")
