"""Background jobs of monitoring: evaluating after an ingest batch, the periodic evaluation, outbound messages.

Jobs take ids and ISO times, never model instances, and are idempotent: the evaluator skips readings it has
already seen (per series), the periodic run is claimed once a minute, and a message is claimed before sending.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from cityops.operations import evaluation, services

__all__ = ["evaluate_observations", "evaluate_rules", "send_outbound"]


@task()
def evaluate_observations(entity_ids: list[int], start: str, end: str) -> int:
    """Evaluate the rules touched by one ingest batch, then the periodic rules if a minute has passed."""
    count = evaluation.evaluate_observations(
        entity_ids=entity_ids, start=dt.datetime.fromisoformat(start), end=dt.datetime.fromisoformat(end)
    )
    evaluation.evaluate_periodic_if_due()
    return count


@task()
def evaluate_rules() -> bool:
    """The periodic evaluation (no data, report clusters, indicators), at most once a minute whoever asks."""
    return evaluation.evaluate_periodic_if_due()


@task()
def send_outbound(message_ids: list[int]) -> int:
    """Hand SMS/Zalo messages to the configured gateway."""
    return services.outbound_send(message_ids=message_ids)
