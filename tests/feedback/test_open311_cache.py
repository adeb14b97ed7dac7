"""The public Open311 answers kept for a few seconds in each web process (``core.microcache``)."""

from __future__ import annotations

import json

import pytest

from cityops.core import microcache
from cityops.feedback.models import Request

pytestmark = pytest.mark.django_db

LIST = "/open311/v2/requests.json"


@pytest.fixture
def clock(monkeypatch, settings):
    """Turn the cache on for 30 s and give the test the clock it reads."""
    settings.PUBLIC_CACHE_SECONDS = 30
    microcache.clear()
    now = [1000.0]
    monkeypatch.setattr(microcache.time, "monotonic", lambda: now[0])
    yield now
    microcache.clear()


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["service_request_id"] for item in json.loads(response.content)]


def test_a_list_is_kept_for_its_seconds_then_built_again(client, submit, clock):
    first = submit()
    answer = client.get(LIST)
    assert ids(answer) == [str(first.pk)]
    assert answer["Cache-Control"] == "public, max-age=30"
    second = submit()
    kept = client.get(LIST)
    assert ids(kept) == [str(first.pk)]  # the kept answer, built before the second report
    assert kept["Cache-Control"] == "public, max-age=30"
    clock[0] += 29.5
    assert client.get(LIST)["Cache-Control"] == "public, max-age=1"
    clock[0] += 1
    assert ids(client.get(LIST)) == [str(second.pk), str(first.pk)]


def test_the_key_is_the_whole_url_and_the_language(client, submit, clock):
    first = submit()
    assert ids(client.get(LIST)) == [str(first.pk)]
    second = submit()
    assert ids(client.get(LIST, {"page_size": "10"})) == [str(second.pk), str(first.pk)]
    assert ids(client.get(LIST, {"service_request_id": str(second.pk)})) == [str(second.pk)]
    english = json.loads(client.get(LIST, headers={"accept-language": "en"}).content)
    vietnamese = json.loads(client.get(LIST, headers={"accept-language": "vi"}).content)
    assert english[0]["service_name"] == "Broken street light"
    assert vietnamese[0]["service_name"] == "Đèn đường hỏng"


def test_the_answer_is_the_same_for_everyone_so_sharing_it_leaks_nothing(client, submit, desk_user, settings):
    """The kept answer ignores who asked: this pins that the views read nobody, with the cache off."""
    settings.PUBLIC_CACHE_SECONDS = 0
    submit()
    anonymous = client.get(LIST).content
    client.force_login(desk_user)
    assert client.get(LIST).content == anonymous
    assert client.get("/open311/v2/services.json").content == client.get("/open311/v2/services.json").content


def test_errors_posts_and_heads_are_never_kept(client, submit, api_key, simple_category, clock):
    bad = client.get(LIST, {"status": "<script>"})
    assert bad.status_code == 400 and "Cache-Control" not in bad
    assert microcache._entries == {}
    assert client.head(LIST).status_code == 200
    assert microcache._entries == {}
    body = {"api_key": api_key, "service_code": simple_category.code, "lat": "21.18", "long": "106.07",
            "description": "Đèn đường hỏng trước số 12"}  # fmt: skip
    first = client.post(LIST, body)
    second = client.post(LIST, body)
    assert first.status_code == second.status_code == 200
    assert first.content != second.content  # two reports, two answers
    assert Request.objects.count() == 2
    assert microcache._entries == {}


def test_off_means_every_answer_is_fresh(client, submit, settings):
    settings.PUBLIC_CACHE_SECONDS = 0
    microcache.clear()
    first = submit()
    assert ids(client.get(LIST)) == [str(first.pk)]
    second = submit()
    answer = client.get(LIST)
    assert ids(answer) == [str(second.pk), str(first.pk)]
    assert "Cache-Control" not in answer
    assert microcache._entries == {}


def test_memory_is_bounded(client, submit, clock, monkeypatch):
    submit()
    monkeypatch.setattr(microcache, "MAX_ENTRIES", 3)
    for size in range(1, 6):
        assert client.get(LIST, {"page_size": str(size)}).status_code == 200
    assert len(microcache._entries) == 3
    assert [key[0] for key in microcache._entries] == [f"{LIST}?page_size={n}" for n in (3, 4, 5)]
    monkeypatch.setattr(microcache, "MAX_BODY_BYTES", 10)
    microcache.clear()
    assert client.get(LIST, {"page_size": "7"}).status_code == 200
    assert microcache._entries == {}  # too large to keep


def test_while_one_request_rebuilds_an_expired_list_the_others_get_the_previous_one(client, submit, clock):
    first = submit()
    assert ids(client.get(LIST)) == [str(first.pk)]
    second = submit()
    clock[0] += 31  # expired
    key = next(iter(microcache._entries))
    microcache._building.add(key)  # as if another thread were building it now
    stale = client.get(LIST)
    assert ids(stale) == [str(first.pk)] and stale["Cache-Control"] == "public, max-age=0"
    microcache._building.discard(key)
    fresh = client.get(LIST)
    assert ids(fresh) == [str(second.pk), str(first.pk)] and fresh["Cache-Control"] == "public, max-age=30"
    assert microcache._building == set()  # the builder always lets go, error or not


def test_a_failing_build_lets_go_of_its_key(client, clock, monkeypatch):
    from cityops.feedback import open311

    def boom(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(open311, "_request_list", boom)
    client.raise_request_exception = False
    assert client.get(LIST).status_code == 500
    assert microcache._building == set() and microcache._entries == {}
