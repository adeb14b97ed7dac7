"""Two bookings of the same room racing in two threads: exactly one wins (PostgreSQL row lock)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from cityops.schedule import services
from cityops.schedule.models import Event
from tests.schedule.conftest import at


@pytest.mark.django_db(transaction=True)
def test_concurrent_room_bookings_only_one_wins(province, chairman, vice_chairman, office_clerk, room):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself; the row lock is exercised on PostgreSQL.")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(leader, content):
        try:
            barrier.wait(timeout=10)
            services.event_create(
                actor=office_clerk, organization=province, leader=leader, start=at(0, 8), end=at(0, 10),
                content=content, room=room,
            )  # fmt: skip
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append("refused" if "room" in exc.message_dict else f"other: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(leader, f"Họp {n}")) for n, leader in
               enumerate([chairman, vice_chairman])]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert Event.objects.filter(room=room).count() == 1
