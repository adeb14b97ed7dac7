"""Agency isolation: one agency cannot see, change or find another's documents; search folds diacritics."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cityops.core import search
from cityops.documents import selectors, services

pytestmark = pytest.mark.django_db


def test_agency_b_cannot_see_or_touch_agency_a_documents(make_incoming, make_outgoing, clerk_b, leader_b):
    incoming = make_incoming(subject="Về việc cấp phép xây dựng")
    outgoing = make_outgoing()
    assert not selectors.incoming_list(actor=clerk_b).exists()
    assert not selectors.outgoing_list(actor=leader_b).exists()
    with pytest.raises(Http404):
        selectors.incoming_get(actor=clerk_b, id=incoming.pk)
    with pytest.raises(Http404):
        selectors.outgoing_get(actor=leader_b, id=outgoing.pk)


def test_search_is_diacritic_insensitive_and_scoped(make_incoming, make_outgoing, clerk_a, clerk_b, leader_a):
    incoming = make_incoming(subject="Về việc cấp phép xây dựng", number="77", notation="UBND-XD")
    outgoing = make_outgoing(subject="Kế hoạch đô thị thông minh")
    hits = {hit.object_id for hit in search.search(clerk_a, "cap phep xay dung")}
    assert str(incoming.pk) in hits
    assert {h.object_id for h in search.search(clerk_a, "77/UBND-XD")} == {str(incoming.pk)}
    assert str(outgoing.pk) in {h.object_id for h in search.search(leader_a, "do thi thong minh")}
    assert search.search(clerk_b, "cap phep xay dung") == []
    assert search.search(clerk_b, "do thi thong minh") == []
    assert str(incoming.pk) in {h.object_id for h in search.search(clerk_a, "van phong chinh phu")}


def test_assigned_unit_sees_only_what_it_was_given(
    make_incoming, clerk_a, leader_a, unit_a, specialist_unit_a, specialist_unit_a2
):
    doc = services.incoming_register(actor=clerk_a, document=make_incoming())
    assert not selectors.incoming_list(actor=specialist_unit_a).exists()
    services.incoming_direct(actor=leader_a, document=doc, lead_unit=unit_a)
    assert list(selectors.incoming_list(actor=specialist_unit_a)) == [doc]
    assert not selectors.incoming_list(actor=specialist_unit_a2).exists()
    with pytest.raises(PermissionDenied):
        services.incoming_handle(actor=specialist_unit_a2, document=doc)
