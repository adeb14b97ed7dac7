"""Rate limits on the public doors: 429 with Retry-After, nothing saved beyond the limit, per client, resets.

Time is moved by replacing ``cityops.core.ratelimit.now``; nothing sleeps.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from cityops.core import ratelimit
from cityops.core.middleware import client_ip
from cityops.feedback.models import Request
from tests.feedback.conftest import LAT, LONG

pytestmark = pytest.mark.django_db

T0 = 1_800_000_000.0  # the start of a window for every window length used here (a multiple of 600)


@pytest.fixture
def clock(monkeypatch):
    """A clock the counters read; ``clock.at`` is moved by the test."""

    class Clock:
        at = T0 + 10

    c = Clock()
    monkeypatch.setattr(ratelimit, "now", lambda: c.at)
    return c


def limit(settings, scope, count, window=600):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (count, window)}


def report_data(category, **changes):
    data = {"category": category.pk, "description": "Ổ gà lớn trước cổng trường", "lat": LAT, "long": LONG,
            "address": "Đường Lý Thái Tổ", "contact_email": "", "contact_phone": "", "contact_name": ""}  # fmt: skip
    data.update(changes)
    return data


# --- The mechanism ---------------------------------------------------------------------------------------


def test_counter_refuses_beyond_the_limit_and_resets_in_the_next_window(settings, clock):
    limit(settings, "t", 3, window=60)
    for _ in range(3):
        ratelimit.hit("t", "1.2.3.4")
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.hit("t", "1.2.3.4")
    assert caught.value.retry_after == 50  # the window ends at T0 + 60, we are at T0 + 10
    ratelimit.hit("t", "5.6.7.8")  # another client has its own counter
    clock.at = T0 + 60  # the next window
    ratelimit.hit("t", "1.2.3.4")


def test_check_counts_nothing_and_switches_off(settings, clock):
    limit(settings, "t", 1)
    ratelimit.check("t", "a")
    ratelimit.check("t", "a")
    ratelimit.hit("t", "a")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.check("t", "a")
    settings.RATE_LIMIT_ENABLED = False
    ratelimit.check("t", "a")
    ratelimit.hit("t", "a")
    assert ratelimit.configured_limit("unknown-scope") is None


def test_forwarded_for_is_trusted_only_when_configured(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.9", REMOTE_ADDR="10.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"  # no proxy declared: a client-written header is ignored
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "10.0.0.9"  # the entry our proxy appended, not the forgeable first one
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "10.0.0.1"  # fewer entries than proxies: fall back to the socket


def test_cache_url_forms():
    from django.core.exceptions import ImproperlyConfigured

    from cityops.settings import cache_from_url

    assert cache_from_url("db://cache_t")["LOCATION"] == "cache_t"
    assert cache_from_url("db://")["BACKEND"].endswith("DatabaseCache")
    assert cache_from_url("redis://127.0.0.1:6379/1")["BACKEND"].endswith("RedisCache")
    assert cache_from_url("locmem://")["BACKEND"].endswith("LocMemCache")
    with pytest.raises(ImproperlyConfigured):
        cache_from_url("memcached://x")


# --- Citizen reports (web form) --------------------------------------------------------------------------


def test_report_form_is_limited_per_address_and_saves_nothing_beyond(client, settings, clock, simple_category):
    limit(settings, "report", 2)
    url = reverse("feedback:report")
    for _ in range(2):
        assert client.post(url, report_data(simple_category)).status_code == 302
    response = client.post(url, report_data(simple_category, description="Lần thứ ba"))
    assert response.status_code == 429
    assert response["Retry-After"] == "590"
    assert 'data-testid="rate-limited"' in response.content.decode()
    assert Request.objects.count() == 2
    assert not Request.objects.filter(description="Lần thứ ba").exists()
    # another address is not affected
    assert client.post(url, report_data(simple_category), REMOTE_ADDR="10.9.9.9").status_code == 302
    # GET of the form is never limited
    assert client.get(url).status_code == 200
    clock.at = T0 + 600
    assert client.post(url, report_data(simple_category)).status_code == 302
    assert Request.objects.count() == 4


def test_rate_limit_message_is_in_vietnamese_and_english(client, settings, clock, simple_category):
    limit(settings, "report", 0 + 1)
    url = reverse("feedback:report")
    client.post(url, report_data(simple_category))
    vi = client.post(url, report_data(simple_category), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = client.post(url, report_data(simple_category)).content.decode()
    assert "Too many attempts from this connection" in en
    assert "Too many attempts from this connection" not in vi and "Quá nhiều" in vi


# --- Sign-in ---------------------------------------------------------------------------------------------


def test_login_posts_are_limited_per_address(client, settings, clock, province, make_member):
    limit(settings, "login", 3)
    settings.AXES_ENABLED = False  # the per-account lockout is separate; this is the per-address limit
    url = reverse("core:login")
    for n in range(3):
        response = client.post(url, {"username": f"someone{n}", "password": "wrong-password"})
        assert response.status_code == 200
    response = client.post(url, {"username": "another", "password": "wrong-password"})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert client.get(url).status_code == 200  # the page itself still shows
    clock.at = T0 + 600
    make_member(province, "viewer", username="real", password="a-good-passw0rd")
    assert client.post(url, {"username": "real", "password": "a-good-passw0rd"}).status_code == 302


def test_admin_login_shares_the_sign_in_limit(client, settings, clock):
    limit(settings, "login", 1)
    settings.AXES_ENABLED = False
    client.post("/admin/login/", {"username": "x", "password": "y"})
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 429


def test_wrong_api_keys_are_limited_per_address(client, settings, clock, api_key):
    limit(settings, "api_key", 2)
    for _ in range(2):
        assert client.get("/api/v1/me", headers={"X-API-Key": "cok_wrong"}).status_code == 401
    response = client.get("/api/v1/me", headers={"X-API-Key": "cok_wrong"})
    assert response.status_code == 429 and response["Retry-After"] == "590"
    assert response.json()["error"]["code"] == "throttled"
    # while limited, even the right key waits (the guesser cannot tell when a guess is right)
    assert client.get("/api/v1/me", headers={"X-API-Key": api_key}).status_code == 429
    # another address with the right key works
    assert client.get("/api/v1/me", headers={"X-API-Key": api_key}, REMOTE_ADDR="10.1.1.1").status_code == 200
    clock.at = T0 + 600
    assert client.get("/api/v1/me", headers={"X-API-Key": api_key}).status_code == 200


def test_wrong_api_keys_on_ngsi_ld_get_a_429_problem_not_a_500(client, settings, clock, api_key):
    limit(settings, "api_key", 2)
    url = "/ngsi-ld/v1/entities?type=AirQualityObserved"
    for _ in range(2):
        assert client.get(url, headers={"X-API-Key": "cok_wrong"}).status_code == 401
    response = client.get(url, headers={"X-API-Key": "cok_wrong"})
    assert response.status_code == 429 and response["Retry-After"] == "590"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429 and response.json()["title"] == "Too many requests"
    assert client.get(url, headers={"X-API-Key": api_key}).status_code == 429
    assert client.get(url, headers={"X-API-Key": api_key}, REMOTE_ADDR="10.1.1.1").status_code == 200


# --- Open311 ---------------------------------------------------------------------------------------------


def test_open311_post_is_limited_in_the_spec_error_format(client, settings, clock, api_key, simple_category):
    limit(settings, "open311_post", 2)
    data = {"api_key": api_key, "service_code": simple_category.code, "lat": LAT, "long": LONG,
            "description": "Đèn đường hỏng"}  # fmt: skip
    for _ in range(2):
        assert client.post("/open311/v2/requests.json", data).status_code == 200
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 429 and response["Retry-After"] == "590"
    body = json.loads(response.content)
    assert body[0]["code"] == 429 and body[0]["description"]
    xml = client.post("/open311/v2/requests.xml", data)
    assert xml.status_code == 429 and b"<errors>" in xml.content
    assert Request.objects.count() == 2
    assert client.get("/open311/v2/requests.json").status_code == 200  # reading is not limited
    clock.at = T0 + 600
    assert client.post("/open311/v2/requests.json", data).status_code == 200
    assert Request.objects.count() == 3


# --- Tracking codes (guessing) ---------------------------------------------------------------------------


def test_guessing_tracking_codes_is_limited_but_owners_are_not(client, settings, clock, simple_category):
    limit(settings, "tracking", 3)
    client.post(reverse("feedback:report"), report_data(simple_category))
    code = Request.objects.get().tracking_code
    for _ in range(10):  # a citizen reloading their own page is never counted
        assert client.get(reverse("feedback:track", args=[code])).status_code == 200
    for n in range(3):
        assert client.get(reverse("feedback:track", args=[f"PAGUESS{n}"])).status_code == 404
    response = client.get(reverse("feedback:track", args=["PAGUESS9"]))
    assert response.status_code == 429 and response["Retry-After"]
    assert client.get(reverse("feedback:track", args=[code])).status_code == 429  # the guesser is blocked
    assert client.post(reverse("feedback:track_reopen", args=[code]), {"reason": "x"}).status_code == 429
    token = client.get(f"/open311/v2/tokens/{code}.json")
    assert token.status_code == 429 and json.loads(token.content)[0]["code"] == 429
    assert client.get(reverse("feedback:track", args=[code]), REMOTE_ADDR="10.2.2.2").status_code == 200
    clock.at = T0 + 600
    assert client.get(reverse("feedback:track", args=[code])).status_code == 200


def test_open311_token_misses_count(client, settings, clock):
    limit(settings, "tracking", 2)
    for _ in range(2):
        assert client.get("/open311/v2/tokens/PANOPE.json").status_code == 404
    assert client.get("/open311/v2/tokens/PANOPE.xml").status_code == 429
