from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# Core modules that register something when imported: SQLite functions on each new connection, the core's
# search providers (organisations, people, announcements) and the attachment policy.
_REGISTERING_MODULES = ("db", "search_providers", "services.attachments")


def _create_cache_table(using: str = "default", **_kwargs: Any) -> None:
    """``CACHE_URL=db://…`` keeps rate-limit counters in a table; ``migrate`` creates it (idempotent)."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class CoreConfig(AppConfig):
    """Organisations, people, permissions, audit, files, notifications, search and the working calendar."""

    name = "cityops.core"
    label = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        for module in _REGISTERING_MODULES:
            import_module(f"cityops.core.{module}")
        from cityops.core import search

        search.autodiscover()  # every app's permissions.py and search.py
        post_migrate.connect(_create_cache_table, sender=self, dispatch_uid="cityops_cache_table")
