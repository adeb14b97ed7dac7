"""Queue background work so that it stands or falls with the transaction that asked for it.

With the database queue (``django_tasks_db``, production) a queued task is a row of the same database, so it
is written in the caller's transaction: committed together with what it follows up, or not at all, and
without a commit of its own. Other backends (the immediate one of tests) would run the task at once, before
the caller's data is committed, so there the queueing waits for the commit.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

__all__ = ["enqueue_with_transaction", "queue_in_database"]


def queue_in_database() -> bool:
    """Whether queued tasks are rows of this database."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def enqueue_with_transaction(enqueue: Callable[[], None]) -> None:
    """Run ``enqueue`` inside the current transaction when the queue is in the database, else after commit."""
    if queue_in_database():
        enqueue()
    else:
        transaction.on_commit(enqueue)
