"""Periodic jobs of the data hub: scheduled HTTP pulls and retention pruning.

Run them from a timer (``cityops pull-connectors``, ``cityops prune-datahub``) or enqueue the tasks; each is
safe to run twice at once (pulls are claimed one by one; pruning deletes what is already past its time).
"""

from __future__ import annotations

from django_tasks import task

__all__ = ["prune_retention_task", "pull_due_connectors"]


@task()
def pull_due_connectors() -> int:
    """Run every scheduled HTTP pull whose time has come; returns how many ran."""
    from cityops.datahub.connectors import connectors_run_due

    return connectors_run_due()


@task()
def prune_retention_task() -> dict[str, int]:
    """Apply the retention settings: old raw observations (rollups kept) and old dataset versions."""
    from cityops.datahub.quality import prune_retention

    return prune_retention()
