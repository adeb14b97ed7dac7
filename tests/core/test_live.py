"""The live feed: events are kept in order, scoped by agency, and taken back with the transaction that made them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.models import LiveEvent
from cityops.core.selectors.live import events_after, latest_id
from cityops.core.services.live import prune, publish


def test_events_resume_after_the_last_id_seen(province, make_member):
    leader = make_member(province, Role.LEADER)
    first = publish(kind="feedback.request", organization=province, title="Ngập úng", data={"lat": 21.18})
    second = publish(kind="operations.alert", organization=province, title="AQI cao")
    assert [e.id for e in events_after(user=leader, last_id=0)] == [first.id, second.id]
    assert [e.id for e in events_after(user=leader, last_id=first.id)] == [second.id]
    assert events_after(user=leader, last_id=second.id) == []
    assert [e.id for e in events_after(user=leader, last_id=0, kinds=["operations.alert"])] == [second.id]
    assert latest_id() == second.id
    assert first.data == {"lat": 21.18}


def test_one_agency_does_not_see_another_agencys_events(agency_a, agency_b, make_member):
    staff_a = make_member(agency_a, Role.SPECIALIST)
    citizen = make_member(agency_a, Role.CITIZEN)
    mine = publish(kind="operations.incident", organization=agency_a, title="A")
    publish(kind="operations.incident", organization=agency_b, title="B")
    assert [e.id for e in events_after(user=staff_a, last_id=0)] == [mine.id]
    assert events_after(user=citizen, last_id=0) == []


def test_province_leader_sees_every_agency(province, agency_a, agency_b, make_member):
    leader = make_member(province, Role.LEADER)
    publish(kind="x", organization=agency_a, title="A")
    publish(kind="x", organization=agency_b, title="B")
    assert len(events_after(user=leader, last_id=0)) == 2


@pytest.mark.django_db(transaction=True)
def test_rollback_takes_the_event_back(province):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(kind="feedback.request", organization=province, title="never")
        raise RuntimeError
    assert not LiveEvent.objects.exists()


def test_limits_are_bounded_and_titles_truncated(province, make_member):
    leader = make_member(province, Role.LEADER)
    for i in range(3):
        publish(kind="x", organization=province, title="t" * 400 if i == 0 else str(i))
    assert len(LiveEvent.objects.first().title) == 255
    assert len(events_after(user=leader, last_id=-5, limit=-1)) == 1
    assert len(events_after(user=leader, last_id=0, limit=10_000)) == 3


def test_prune_keeps_recent_events(province):
    old = publish(kind="x", organization=province, title="old")
    new = publish(kind="x", organization=province, title="new")
    LiveEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert prune() == 1
    assert list(LiveEvent.objects.values_list("id", flat=True)) == [new.id]


def test_non_finite_numbers_are_stored_as_null(province):
    event = publish(
        kind="x",
        organization=province,
        title="t",
        data={"lat": float("nan"), "v": [float("inf"), 1.5], "n": {"x": -float("inf")}},
    )
    event.refresh_from_db()
    assert event.data == {"lat": None, "v": [None, 1.5], "n": {"x": None}}
