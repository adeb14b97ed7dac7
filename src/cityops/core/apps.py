from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Core modules that register something when imported: SQLite functions on each new connection, the core's
# search providers (organisations, people, announcements) and the attachment policy.
_REGISTERING_MODULES = ("db", "search_providers", "services.attachments")


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
