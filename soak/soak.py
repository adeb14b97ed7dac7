"""``make soak``: a bounded mixed workload against a real CityOps server, asserting zero errors and flat memory.

Started from the project root (``python -m soak.soak``). It brings up its own stack in temporary
directories: a private PostgreSQL cluster (Debian's binaries; SQLite when they are missing), a private
Mosquitto broker, ``cityops serve`` and ``cityops ingest-mqtt``. Then, for ``SOAK_MINUTES`` (default 10):

* citizens post reports through the public web form (CSRF cookie first, like a browser);
* a desk operator signs in, lists the queue and verifies new reports;
* sensors stream readings over MQTT at QoS 1 into the data hub;
* dashboards hold the live feed open when ``SOAK_SSE_PATH`` names it (e.g. ``/dashboard/events``).

At the end every published reading must be stored exactly once, no request may have failed (5xx, refused
connection, an unexpected status) and the server's resident memory may not grow by more than
``SOAK_RSS_GROWTH_MB`` (default 64) between the end of the warm-up (first fifth) and the end. A summary table
is printed; the exit status is 0 only when every check passed.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.servers import (  # noqa: E402
    AppServer,
    PrivateMosquitto,
    PrivatePostgres,
    app_env,
    postgres_bin,
    run_python,
)

ENTITY_COUNT = 20
PASSWORD = "soak-Desk-password-2026"  # noqa: S105  (a throw-away account in a throw-away database)

SETUP = r"""
import json
from cityops.core.choices import Role
from cityops.core.models import Membership, RolePolicy, User
from cityops.core.services.organizations import organization_create
from cityops.datahub.models import Entity
from cityops.feedback.models import Category
RolePolicy.objects.update(require_two_factor=False)
province = organization_create(actor=None, name="Tỉnh Soak", code="tinh-soak", kind="province")
desk = User.objects.create_user(username="soak-desk", password=%(password)r, full_name="Điều hành viên")
Membership.objects.create(user=desk, organization=province, role=Role.IOC_OPERATOR)
category = Category.objects.create(code="soak", name_vi="Đèn đường hỏng", name_en="Broken street light",
                                   kind="problem", domain="living", default_agency=province, deadline_days=3)
for n in range(%(entities)d):
    Entity.objects.create(organization=province, entity_id=f"urn:ngsi-ld:AirQualityObserved:soak-{n}",
                          type="AirQualityObserved")
print(json.dumps({"category": category.pk}))
"""

COUNT_OBSERVATIONS = r"""
from cityops.datahub.models import Observation
print(Observation.objects.filter(entity__entity_id__startswith="urn:ngsi-ld:AirQualityObserved:soak-").count())
"""


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ok: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    examples: list[str] = field(default_factory=list)

    def record(self, kind: str, good: bool, seconds: float, detail: str = "") -> None:
        with self.lock:
            (self.ok if good else self.errors)[kind] += 1
            self.samples[kind].append(seconds)
            if not good and sum(e.startswith(kind) for e in self.examples) < 2:
                self.examples.append(f"{kind}: {detail}")


class Browser:
    """A cookie-keeping HTTP client with Django's CSRF handling."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, object] | None = None) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept-Language": "vi"}
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _sep, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location", "") or "", text
        finally:
            conn.close()


def timed(tally: Tally, kind: str, call, good_statuses: set[int]) -> tuple[int, str, str] | None:
    began = time.perf_counter()
    try:
        status, location, text = call()
    except (OSError, http.client.HTTPException) as exc:
        tally.record(kind, False, time.perf_counter() - began, repr(exc))
        return None
    good = status in good_statuses
    main = text.find("<main")
    tally.record(kind, good, time.perf_counter() - began, f"HTTP {status} {text[max(main, 0) : max(main, 0) + 300]!r}")
    return status, location, text


def citizen(port: int, category: int, tally: Tally, stop: threading.Event, pause: float) -> None:
    n = 0
    while not stop.is_set():
        browser = Browser(port)
        if timed(tally, "citizen: form", lambda b=browser: b.request("GET", "/feedback/report/"), {200}) is None:
            continue
        form = {"category": category, "description": f"Đèn đường hỏng trước nhà số {n}", "lat": "21.186",
                "long": "106.076", "address": "Đường Lý Thái Tổ"}  # fmt: skip
        post = lambda b=browser, f=form: b.request("POST", "/feedback/report/", f)  # noqa: E731
        answer = timed(tally, "citizen: report", post, {302})
        if answer is not None and answer[0] == 302:
            timed(tally, "citizen: track", lambda b=browser, loc=answer[1]: b.request("GET", loc), {200})
        n += 1
        stop.wait(pause)


def staff(port: int, tally: Tally, stop: threading.Event, pause: float) -> None:
    browser = Browser(port)
    browser.request("GET", "/login/")
    status, _loc, text = browser.request("POST", "/login/", {"username": "soak-desk", "password": PASSWORD})
    if status != 302:
        tally.record("staff: sign in", False, 0.0, f"HTTP {status} {text[:200]!r}")
        return
    while not stop.is_set():
        queue = timed(tally, "staff: queue", lambda: browser.request("GET", "/feedback/staff/?status=submitted"), {200})
        ids = sorted({int(pk) for pk in re.findall(r"/feedback/staff/(\d+)/", queue[2])}) if queue else []
        for pk in ids[:3]:
            timed(tally, "staff: request", lambda pk=pk: browser.request("GET", f"/feedback/staff/{pk}/"), {200})
            timed(
                tally, "staff: verify",
                lambda pk=pk: browser.request("POST", f"/feedback/staff/{pk}/act/", {"action": "verify", "text": ""}),
                {302},
            )  # fmt: skip
        stop.wait(pause)


def sensors(broker: PrivateMosquitto, tally: Tally, stop: threading.Event, rate: float) -> int:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"soak-sensors-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    published = 0
    try:
        while not stop.is_set():
            began = time.perf_counter()
            infos = []
            for n in range(ENTITY_COUNT):
                at = (t0 + timedelta(seconds=published // ENTITY_COUNT)).isoformat()
                payload = json.dumps({"observedAt": at, "PM10": float(published % 500), "NO2": 12.5})
                infos.append(client.publish(f"cityops/urn:ngsi-ld:AirQualityObserved:soak-{n}/attrs", payload, qos=1))
                published += 1
            for info in infos:
                info.wait_for_publish(timeout=30)
            good = all(info.is_published() for info in infos)
            tally.record("sensors: publish", good, time.perf_counter() - began, "PUBACK missing")
            stop.wait(max(0.0, 1.0 / rate - (time.perf_counter() - began)))
    finally:
        client.disconnect()
        client.loop_stop()
    return published * 2  # two attributes per message


def dashboard(port: int, path: str, tally: Tally, stop: threading.Event, seen: list[int]) -> None:
    """An operator's dashboard holding the live feed open; ``seen`` counts the events it received."""
    browser = Browser(port)
    browser.request("GET", "/login/")
    status, _loc, text = browser.request("POST", "/login/", {"username": "soak-desk", "password": PASSWORD})
    if status != 302:
        tally.record("dashboard: sign in", False, 0.0, f"HTTP {status} {text[:200]!r}")
        return
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    last_id = ""
    while not stop.is_set():
        began = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            headers = {"Accept": "text/event-stream", "Cookie": cookie}
            if last_id:
                headers["Last-Event-ID"] = last_id
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            good = response.status == 200
            deadline = time.monotonic() + 20
            while good and not stop.is_set() and time.monotonic() < deadline:
                line = response.fp.readline()
                if not line:
                    break
                if line.startswith(b"id:"):
                    last_id = line[3:].strip().decode()
                    seen[0] += 1
            tally.record("dashboard: live feed", good, time.perf_counter() - began, f"HTTP {response.status}")
            if not good:
                stop.wait(1.0)
        except (OSError, http.client.HTTPException) as exc:
            if not stop.is_set():
                tally.record("dashboard: live feed", False, time.perf_counter() - began, repr(exc))
                stop.wait(1.0)
        finally:
            conn.close()


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (granian workers), in MB."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS") or float(os.environ.get("SOAK_MINUTES", "10")) * 60)
    growth_bound = float(os.environ.get("SOAK_RSS_GROWTH_MB", "64"))
    citizens_n = int(os.environ.get("SOAK_CITIZENS", "4"))
    sse_path = os.environ.get("SOAK_SSE_PATH", "")
    work = Path(tempfile.mkdtemp(prefix="cityops-soak-"))
    pg = PrivatePostgres() if postgres_bin() and not os.environ.get("SOAK_SQLITE") else None
    broker = PrivateMosquitto(work / "mqtt")
    server = ingestor = None
    tally = Tally()
    stop = threading.Event()
    feed_seen = [0]
    try:
        if pg is not None:
            pg.start()
        database = pg.url if pg is not None else f"sqlite:///{work / 'soak.sqlite3'}"
        broker.start()
        env = app_env(
            database, work, MQTT_URL=broker.url, CACHE_URL="db://cityops_cache", RATE_LIMIT_ENABLED="1",
            RATE_LIMIT_REPORT="1000000/60", RATE_LIMIT_LOGIN="1000000/60",
        )  # fmt: skip
        print(f"soak: {seconds:.0f} s on {'PostgreSQL' if pg else 'SQLite'}, work dir {work}", flush=True)
        run_python("from django.core.management import call_command\ncall_command('migrate', verbosity=0)\n", env)
        facts = json.loads(
            run_python(SETUP % {"password": PASSWORD, "entities": ENTITY_COUNT}, env).strip().splitlines()[-1]
        )
        server = AppServer(env, work / "server.log")
        server.start()
        import subprocess

        ingest_log = work / "ingest.log"
        with open(ingest_log, "ab") as log:
            ingestor = subprocess.Popen(
                [sys.executable, "-m", "cityops.cli", "ingest-mqtt"], env={**env, "LOG_LEVEL": "INFO"},
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 120  # sensors start once the consumer's session is subscribed
        while "MQTT connected" not in ingest_log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)

        threads = [threading.Thread(target=citizen, args=(server.port, facts["category"], tally, stop, 0.5))
                   for _ in range(citizens_n)]  # fmt: skip
        threads.append(threading.Thread(target=staff, args=(server.port, tally, stop, 1.0)))
        if sse_path:
            threads += [
                threading.Thread(target=dashboard, args=(server.port, sse_path, tally, stop, feed_seen))
                for _ in range(2)
            ]
        published: list[int] = []
        sensor_thread = threading.Thread(target=lambda: published.append(sensors(broker, tally, stop, 2.0)))
        threads.append(sensor_thread)
        for thread in threads:
            thread.start()

        began = time.monotonic()
        rss: list[tuple[float, float]] = []
        while time.monotonic() - began < seconds:
            assert server.process is not None
            rss.append((time.monotonic() - began, rss_mb(server.process.pid)))
            time.sleep(min(5.0, max(0.5, seconds / 60)))
        stop.set()
        for thread in threads:
            thread.join(timeout=120)

        expected = published[0] if published else 0
        stored = -1
        for _ in range(20):  # the consumer drains what is left
            stored = int(run_python(COUNT_OBSERVATIONS, env).strip().splitlines()[-1])
            if stored >= expected:
                break
            time.sleep(1)
    finally:
        stop.set()
        if ingestor is not None:
            ingestor.terminate()
            ingestor.wait(timeout=30)
        if server is not None:
            server.stop()
        broker.close()
        if pg is not None:
            pg.close()

    warm = [mb for at, mb in rss if at >= seconds / 5] or [mb for _at, mb in rss]
    growth = warm[-1] - warm[0] if warm else 0.0
    print()
    print(f"{'workload':<24}{'ok':>8}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}")
    for kind in sorted(set(tally.ok) | set(tally.errors)):
        times = sorted(tally.samples[kind])
        p50 = statistics.median(times) * 1000 if times else 0
        p95 = times[int(len(times) * 0.95) - 1] * 1000 if len(times) >= 20 else max(times, default=0) * 1000
        print(f"{kind:<24}{tally.ok[kind]:>8}{tally.errors[kind]:>8}{p50:>10.0f}{p95:>10.0f}")
    print(f"\nsensor values published {expected}, stored {stored}")
    if sse_path:
        print(f"live-feed events received by the dashboards: {feed_seen[0]}")
    print(f"server RSS after warm-up {warm[0] if warm else 0:.0f} MB, at the end {warm[-1] if warm else 0:.0f} MB "
          f"(growth {growth:+.1f} MB, bound {growth_bound:.0f} MB)")  # fmt: skip
    failures = []
    if sum(tally.errors.values()):
        failures.append(f"{sum(tally.errors.values())} failed operations:\n    " + "\n    ".join(tally.examples))
    if sum(tally.ok.values()) == 0:
        failures.append("no work was done")
    if stored != expected:
        failures.append(f"sensor values: published {expected}, stored {stored}")
    if sse_path and tally.ok.get("citizen: report", 0) and not feed_seen[0]:
        failures.append("the dashboards' live feed delivered no event while citizens reported")
    if growth > growth_bound:
        failures.append(f"memory grew by {growth:.1f} MB")
    print("\nSOAK " + ("PASSED" if not failures else "FAILED:\n  " + "\n  ".join(failures)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
