"""Global search finds schedule items without diacritics, and never private items or other agencies' drafts."""

from __future__ import annotations

import pytest

from cityops.core import search
from cityops.schedule import services
from tests.schedule.conftest import at

pytestmark = pytest.mark.django_db


def _titles(user, query):
    return {hit.title for hit in search.search(user, query)}


def test_search_respects_privacy_and_drafts(make_event, office_clerk, secretary, clerk_b):
    services.event_publish(actor=office_clerk, event=make_event(content="Kiểm tra công trình cầu Đông"))
    make_event(content="Nháp kiểm tra đê", start=at(1, 8), end=at(1, 9))
    make_event(actor=secretary, content="Kiểm tra sức khỏe riêng", is_private=True, start=at(2, 8), end=at(2, 9))
    assert _titles(office_clerk, "kiem tra") == {"Kiểm tra công trình cầu Đông", "Nháp kiểm tra đê"}
    assert _titles(secretary, "kiem tra") >= {"Kiểm tra sức khỏe riêng"}
    assert _titles(clerk_b, "kiem tra") == {"Kiểm tra công trình cầu Đông"}
