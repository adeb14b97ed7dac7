"""The HTTP throughput baseline: a bare Django WSGI app, served by the same server (granian) and workers.

One view answers a fixed JSON list of 50 Open311-shaped items, with no middleware, database, sessions or
templates: what the framework and server alone cost per request. It exists only for ``make bench``
(``granian --interface wsgi bench.bare_app:application``) and is never part of the product.
"""

from __future__ import annotations

import json

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-bare-endpoint-not-a-secret",  # noqa: S106 - serves fixed data, no sessions
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_TZ=True,
    )

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

ITEM = {
    "service_request_id": "123456",
    "status": "open",
    "status_notes": None,
    "service_name": "Hư hỏng đường, vỉa hè",
    "service_code": "road-damage",
    "description": "Mặt đường bị sụt lún, có ổ gà sâu, xe máy đi qua rất nguy hiểm vào buổi tối.",
    "agency_responsible": "Sở Xây dựng",
    "service_notice": None,
    "requested_datetime": "2026-01-01T08:00:00+07:00",
    "updated_datetime": "2026-01-01T09:00:00+07:00",
    "expected_datetime": "2026-01-06T17:30:00+07:00",
    "address": "Phường Kinh Bắc",
    "address_id": None,
    "zipcode": None,
    "lat": 21.18,
    "long": 106.07,
    "media_url": None,
}
BODY = json.dumps([ITEM] * 50, ensure_ascii=False).encode()


def items(request: HttpRequest) -> HttpResponse:
    """GET: the fixed list. POST: a short fixed answer (the body is read, as a real endpoint would)."""
    if request.method == "POST":
        _ = request.POST
        return HttpResponse(b'[{"service_request_id": "1"}]', content_type="application/json")
    return HttpResponse(BODY, content_type="application/json; charset=utf-8")


urlpatterns = [path("items.json", items)]
application = get_wsgi_application()
