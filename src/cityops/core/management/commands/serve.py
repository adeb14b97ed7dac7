"""``cityops serve``: the web server, optionally with the background worker in the same process."""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

logger = logging.getLogger("cityops.serve")


def start_worker_thread(*, interval: float = 1.0) -> tuple[Any, threading.Thread]:
    """Run the database task worker in a daemon thread; returns (worker, thread) so callers can stop it.

    Used by ``serve --with-worker`` and ``demo`` so a single process is enough on one machine. Signals are
    left to the web server (only the main thread may install handlers); stopping is by ``worker.running``.
    """
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.management.commands.db_worker import Worker

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        raise CommandError("The in-process worker needs TASKS to use django_tasks_db.DatabaseBackend.")
    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=f"inproc-{get_random_string(24)}",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="cityops-worker", daemon=True)
    thread.start()
    return worker, thread


INTERFACES = ("wsgi", "asgi")


def run_server(
    *,
    host: str,
    port: int,
    workers: int | None,
    with_worker: bool,
    log_level: str = "info",
    interface: str = "wsgi",
    threads: int | None = None,
) -> None:
    """Run granian on CityOps until interrupted.

    WSGI is the default: Django's views are synchronous, and under ASGI every request is handed to a thread
    and back, which costs more than the rest of a typical request here. Granian's Rust HTTP layer keeps the
    server's own share small; ``threads`` bounds the requests (live feeds included) one process runs at once.
    """
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    worker = None
    if with_worker:
        worker, _thread = start_worker_thread()
    try:
        Granian(
            f"cityops.{interface}:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI if interface == "wsgi" else Interfaces.ASGI,
            workers=workers or 1,
            blocking_threads=threads if interface == "wsgi" else None,
            websockets=False,
            log_level=LogLevels(log_level),
            respawn_failed_workers=True,  # a worker that dies (out of memory, a crash) is replaced
        ).serve()
    finally:
        if worker is not None:
            worker.running = False


def _port(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 65535:
        raise ValueError(value)
    return number


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    """Serve CityOps over HTTP with granian."""

    help = "Run the web server (granian, WSGI by default); --with-worker also runs background tasks."
    requires_system_checks = []  # the server imports the app, which runs the checks that matter at startup

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default: %(default)s).")
        parser.add_argument("--port", type=_port, default=8000, help="Port to listen on (default: %(default)s).")
        parser.add_argument("--workers", type=_positive, default=None, help="Number of web processes (default: one).")
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run the background task worker in this process (fine for one machine).",
        )
        parser.add_argument(
            "--interface",
            default="wsgi",
            choices=INTERFACES,
            help="wsgi (default, fastest for CityOps's views) or asgi (live feeds wait without holding a thread).",
        )
        parser.add_argument(
            "--threads",
            type=_positive,
            default=None,
            help="WSGI only: requests one process serves at once, open live feeds included (default: granian's).",
        )
        parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])

    def handle(self, *args: Any, **options: Any) -> None:
        from pathlib import Path

        from django.conf import settings

        if not settings.DEBUG and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
            # Without the manifest every page that names a static file fails, so say so before serving.
            self.stderr.write(
                self.style.WARNING("Static files are not collected: run `cityops collectstatic --noinput` first.")
            )
        run_server(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            with_worker=options["with_worker"],
            log_level=options["log_level"],
            interface=options["interface"],
            threads=options["threads"],
        )
