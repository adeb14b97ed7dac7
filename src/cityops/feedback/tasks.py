"""Background jobs of the feedback center: the deadline sweep (reminders and escalation).

Run it every few minutes (``cityops feedback_deadlines`` from a timer, or enqueue ``deadlines_sweep_task``);
it is idempotent, so running it twice does nothing more.
"""

from __future__ import annotations

from django_tasks import task

from cityops.feedback.services import deadlines_sweep


@task()
def deadlines_sweep_task() -> dict[str, int]:
    return deadlines_sweep()
