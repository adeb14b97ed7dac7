"""Security headers: CSP without inline script, frame denial, no sniffing, referrer policy; HSTS in production.

The production check runs the app in a fresh interpreter with production settings (DEBUG off, a real secret),
the way tests/core/test_settings.py does, and reads the headers of real responses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_settings import LONG_SECRET

pytestmark = pytest.mark.django_db

PAGES = ["/login/", "/feedback/", "/feedback/report/", "/api/v1/openapi.json", "/open311/v2/discovery.json"]


def directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("url", PAGES)
def test_every_answer_carries_the_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[directive] and "'unsafe-eval'" not in csp[directive]
        assert "*" not in csp[directive] and "http:" not in csp[directive] and "https:" not in csp[directive]


def test_errors_and_refusals_carry_the_headers_too(client):
    for response in (client.get("/no-such-page/"), client.get("/feedback/staff/")):
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


PRODUCTION_PROBE = r"""
import json, os, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
c = Client()  # a page without templates: production static files need collectstatic
https = c.get("/open311/v2/discovery.json", secure=True, HTTP_HOST="example.gov.vn")
plain = c.get("/open311/v2/discovery.json", secure=False, HTTP_HOST="example.gov.vn")
from django.conf import settings
from django.core.cache import cache
cache.set("probe", 1)  # the cache table exists: migrate created it
print(json.dumps({
    "status": https.status_code, "headers": dict(https.headers),
    "plain_status": plain.status_code, "plain_location": plain.get("Location", ""),
    "session_secure": settings.SESSION_COOKIE_SECURE, "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "cache": settings.CACHES["default"]["BACKEND"], "cache_works": cache.get("probe") == 1,
}))
"""


def test_production_sends_hsts_and_redirects_to_https(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    for name in ("CITYOPS_TESTING", "DEBUG", "CACHE_URL"):
        env.pop(name, None)
    env.update(
        SECRET_KEY=LONG_SECRET, ALLOWED_HOSTS="example.gov.vn", DJANGO_SETTINGS_MODULE="cityops.settings",
        CITYOPS_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["status"] == 200
    headers = probe["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert probe["plain_status"] == 301 and probe["plain_location"].startswith("https://")
    assert probe["session_secure"] is True and probe["csrf_secure"] is True
    # production shares rate-limit counters between processes through the database cache by default
    assert probe["cache"].endswith("DatabaseCache") and probe["cache_works"]
