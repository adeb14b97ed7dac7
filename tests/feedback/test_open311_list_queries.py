"""The Open311 list reads a page in one query and gives the same items as one-by-one reads."""

from __future__ import annotations

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.feedback.test_open311 import BASE, get_json


def test_list_page_is_one_query_whatever_its_length(client, submit):
    for _ in range(6):
        submit()
    get_json(client, "/requests.json")  # warm caches that are not per request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{BASE}/requests.json", {"page_size": 6})
    assert response.status_code == 200
    assert len(json.loads(response.content)) == 6
    assert len([q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]) == 1


def test_list_items_equal_the_single_request_answer(client, submit):
    made = [submit(), submit()]
    listed = {item["service_request_id"]: item for item in get_json(client, "/requests.json")}
    for request in made:
        single = get_json(client, f"/requests/{request.pk}.json")[0]
        assert listed[str(request.pk)] == single
    extended = get_json(client, "/requests.json", extensions="true")
    assert {item["service_request_id"] for item in extended} == {str(r.pk) for r in made}
    assert all(item["notes"] and item["extended_attributes"]["channel"] for item in extended)
