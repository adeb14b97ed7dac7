"""PostgreSQL restarted while citizens post reports and sensors push readings: nothing acknowledged is lost,
nothing is half-saved, and the writes after the restart succeed (persistent connections are health-checked).

A private cluster (Debian's ``initdb``/``pg_ctl``, a temporary directory, a free port) serves a real
``cityops serve`` process; the machine's shared server is never touched. Runs on the PostgreSQL pass of
``make test`` (the SQLite pass skips it: it would exercise the same private cluster twice).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.faults.servers import AppServer, PrivatePostgres, app_env, postgres_bin, run_python

pytestmark = [
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL binaries are not installed"),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="runs on the PostgreSQL pass only"
    ),
]

READINGS = 120

SETUP = r"""
import json
from cityops.core.choices import Role
from cityops.core.models import Membership, Organization, User
from cityops.core.services.apikeys import apikey_create
from cityops.feedback.models import Category
org = Organization.objects.create(name="Tỉnh Thử", code="tinh-thu", kind="province")
admin = User.objects.create_user(username="fault-admin", password="x-very-long-pass")
Membership.objects.create(user=admin, organization=org, role=Role.ADMINISTRATOR)
sensor = User.objects.create_user(username="fault-sensor", is_service_account=True)
Membership.objects.create(user=sensor, organization=org, role=Role.INTEGRATOR)
category = Category.objects.create(code="den", name_vi="Đèn đường", name_en="Street light", kind="problem",
                                   domain="living", default_agency=org, deadline_days=3)
_key, raw = apikey_create(actor=admin, name="sensors", user=sensor, organization=org)
print(json.dumps({"key": raw, "category": category.pk}))
"""

VERIFY = r"""
import json
from cityops.core.models import AuditEvent
from cityops.datahub.models import Observation
from cityops.feedback.models import Request, RequestUpdate
codes = list(Request.objects.values_list("tracking_code", flat=True))
without_history = Request.objects.exclude(pk__in=RequestUpdate.objects.values("request_id")).count()
audited = set(AuditEvent.objects.filter(verb="feedback.request.submitted").values_list("target_id", flat=True))
unaudited = [pk for pk in Request.objects.values_list("pk", flat=True) if str(pk) not in audited]
values = list(Observation.objects.values_list("value", flat=True))
print(json.dumps({"codes": codes, "without_history": without_history, "unaudited": unaudited, "values": values}))
"""


@pytest.fixture(scope="module")
def stack():
    pg = PrivatePostgres()
    var = Path(tempfile.mkdtemp(prefix="cityops-fault-var-"))
    pg.start()
    server = None
    try:
        env = app_env(pg.url, var)
        run_python("from django.core.management import call_command\ncall_command('migrate', verbosity=0)\n", env)
        facts = json.loads(run_python(SETUP, env).strip().splitlines()[-1])
        server = AppServer(env, var / "server.log")
        server.start()
        yield pg, server, env, facts
    finally:
        if server is not None:
            server.stop()
        pg.close()


def citizen_post(port: int, category: int, text: str) -> tuple[int, str]:
    """One report through the public web form (CSRF cookie first, as a browser does)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/feedback/report/")
        first = conn.getresponse()
        first.read()
        cookie = first.getheader("Set-Cookie", "")
        match = re.search(r"csrftoken=([^;]+)", cookie)
        if first.status != 200 or not match:
            return first.status, ""
        token = match.group(1)
        body = urlencode({"category": category, "description": text, "lat": "21.186", "long": "106.076"})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={token}",
                   "X-CSRFToken": token}  # fmt: skip
        conn.request("POST", "/feedback/report/", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        location = answer.getheader("Location", "")
        code = location.rstrip("/").rsplit("/", 1)[-1] if answer.status == 302 else ""
        return answer.status, code
    except (OSError, http.client.HTTPException):
        return 0, ""
    finally:
        conn.close()


def sensor_post(port: int, key: str, index: int) -> int:
    at = f"2026-03-01T00:{index // 60:02d}:{index % 60:02d}Z"
    entity = {
        "id": "urn:ngsi-ld:AirQualityObserved:fault-1",
        "type": "AirQualityObserved",
        "PM10": {"type": "Property", "value": float(index), "observedAt": at},
    }  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/ngsi-ld/v1/entityOperations/upsert", body=json.dumps([entity]),
                     headers={"Content-Type": "application/json", "X-API-Key": key})  # fmt: skip
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


def test_restart_during_citizen_posts_and_ingest_loses_nothing(stack):
    pg, server, env, facts = stack
    acked_codes: list[str] = []
    failures: list[int] = []
    stored_batches: set[int] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def citizens(worker: int) -> None:
        n = 0
        while not stop.is_set():
            status, code = citizen_post(server.port, facts["category"], f"Đèn hỏng số {worker}-{n}")
            n += 1
            with lock:
                (acked_codes.append(code) if status == 302 else failures.append(status))

    def sensors(worker: int) -> None:
        for index in range(worker, READINGS, 2):  # each reading is retried until acknowledged, like a gateway
            for _attempt in range(200):
                if sensor_post(server.port, facts["key"], index) in (201, 204):
                    with lock:
                        stored_batches.add(index)
                    break
                time.sleep(0.1)

    threads = [threading.Thread(target=citizens, args=(w,)) for w in range(3)]
    threads += [threading.Thread(target=sensors, args=(w,)) for w in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    pg.restart("fast")  # every connection dropped, open transactions aborted
    time.sleep(1.5)
    pg.restart("immediate")  # a crash: no shutdown checkpoint, recovery from the WAL
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)

    # After the restarts, every write succeeds (health-checked connections reconnect).
    after = [citizen_post(server.port, facts["category"], f"Sau khi khởi động lại {i}") for i in range(5)]
    assert all(status == 302 for status, _code in after), after
    acked_codes += [code for _status, code in after]

    state = json.loads(run_python(VERIFY, env).strip().splitlines()[-1])
    assert set(acked_codes) <= set(state["codes"]), "an acknowledged report is missing"
    assert state["without_history"] == 0 and state["unaudited"] == [], "a report was half-saved"
    assert len(acked_codes) >= 10, "too little load to mean anything"
    assert all(status in (0, 500, 502, 503) for status in failures), failures  # errors, never a bad answer
    assert stored_batches == set(range(READINGS)), "a reading was never acknowledged"
    assert sorted(state["values"]) == [float(i) for i in range(READINGS)], "a reading was lost or stored twice"
