"""``cityops worker``: the background task worker (django-tasks' database backend).

A worker that dies in the middle of a task (killed, out of memory, the machine lost) leaves the task marked
running. Each worker therefore starts by putting such tasks back in the queue: at once when the worker that
held one ran on this machine and its process is gone, otherwise when it has been running for longer than
``TASKS_STALE_AFTER_SECONDS``. Tasks therefore run at least once; each task makes its effect idempotent
(one transaction, or a claim recorded with the effect), so the effect happens exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

logger = logging.getLogger("cityops.worker")


def worker_id() -> str:
    """``host:pid:random``: lets a later worker on the same host tell whether this one is still alive."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{get_random_string(8)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(worker_ids: list[str], started_at: dt.datetime | None, stale_before: dt.datetime) -> bool:
    """True when the task's last worker is known dead (same host, no such process) or the run is stale."""
    last = worker_ids[-1] if worker_ids else ""
    host, _sep, rest = last.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname()[:32] and pid.isdigit() and int(pid) != os.getpid():
        return not _pid_alive(int(pid))
    return started_at is None or started_at < stale_before


def requeue_abandoned_tasks() -> int:
    """Put tasks left running by a dead worker back in the queue; returns how many."""
    from django.db import transaction
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    stale_before = timezone.now() - dt.timedelta(seconds=int(settings.TASKS_STALE_AFTER_SECONDS))
    requeued = 0
    with transaction.atomic():
        for result in DBTaskResult.objects.select_for_update().filter(status=TaskResultStatus.RUNNING):
            if _abandoned(list(result.worker_ids or []), result.started_at, stale_before):
                result.status = TaskResultStatus.READY
                result.started_at = None
                result.save(update_fields=["status", "started_at"])
                requeued += 1
                logger.warning("Task %s (%s) was abandoned by its worker; queued again", result.pk, result.task_path)
    return requeued


class Command(DbWorkerCommand):
    """Runs queued background tasks; start one or more next to the web server in production.

    The same options as django-tasks-db's ``db_worker``, with product defaults: every queue, no code
    reloading unless asked for (``--reload``), a worker id that names the host and process, and recovery of
    tasks abandoned by a dead worker before the first task is taken.
    """

    help = "Run the background task worker: processes queued jobs until stopped (Ctrl+C stops it cleanly)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", reload=False, worker_id=worker_id())
        for action in parser._actions:
            if action.dest == "reload":
                action.help = "Reload the worker when the code changes (development only; default: off)."

    def handle(self, *args: Any, **options: Any) -> None:
        requeue_abandoned_tasks()
        super().handle(*args, **options)
