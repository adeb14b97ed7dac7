"""``cityops worker``: the background task worker (django-tasks' database backend)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    """Runs queued background tasks; start one or more next to the web server in production.

    The same options as django-tasks-db's ``db_worker``, with product defaults: every queue, and no code
    reloading unless asked for (``--reload``).
    """

    help = "Run the background task worker: processes queued jobs until stopped (Ctrl+C stops it cleanly)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", reload=False)
        for action in parser._actions:
            if action.dest == "reload":
                action.help = "Reload the worker when the code changes (development only; default: off)."

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
