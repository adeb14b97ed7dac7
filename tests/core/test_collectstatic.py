"""The production static-files step (``cityops collectstatic`` with hashed names) succeeds.

Manifest storage rewrites every reference between static files (CSS ``url()``, JS source maps) and fails on
one that points at a missing file, which would stop a production deployment (and ``make bench``).
"""

from __future__ import annotations

from django.core.management import call_command
from django.test import override_settings


def test_collectstatic_with_manifest_storage_resolves_every_reference(tmp_path) -> None:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=str(tmp_path), STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").is_file()
    assert list(tmp_path.glob("vendor/leaflet/leaflet.*.js"))
