"""``make bench``: load the benchmark data sets, run every figure against PostgreSQL, print one table.

Run from the repository root: ``.venv/bin/python -m bench.run`` (``make bench`` does it, after
``scripts/ensure-bench-tools.sh``). Settings come from the environment:

- ``BENCH_SCALE``: ``full`` (default: 200,000 reports, 10 M observations, 200,000 documents) or ``small``
  (a tenth or less, for a quick run);
- ``BENCH_SEED`` (default 20260101): the data sets are a function of the seed;
- ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/cityops_bench``): a database the
  bench owns; it is dropped and reloaded whenever the seed or sizes differ from what it holds;
- ``BENCH_SECONDS``: length of each timed load (default 20, ``small``: 6);
- ``BENCH_WORKERS``: web processes (default 2, one per core of the reference machine);
- ``BENCH_ONLY``: comma-separated figure keys to run (``ingest_http,mqtt,open311_get,open311_post,search,
  dashboard,rollup,memory``), the others are left out of the table;
- ``BENCH_PROFILE=1``: sample the web workers with py-spy during each timed load (var/bench/profiles/);
- ``BENCH_ROLLUP_PERIOD``: ``day`` (default) or ``hour`` for the rollup figure.

The web server is the product's own ``cityops serve`` (uvicorn); the load comes from ``wrk`` (a second
process, over loopback) and, for MQTT, from a publisher in this process through the machine's broker.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bench.datasets import SCALES, SEARCH_QUERIES, Sizes
from bench.report import Row, render_table

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "lua"
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cityops_bench"

# The dashboard's data calls, in one place: (label, path, auth, baseline SQL or "").
# ``auth`` is "session" (a signed-in leader's browser) or "key" (the leader's API key). A path that answers
# 404 is reported as "not built yet", so the dashboard page can be listed before it lands.
DASHBOARD_CALLS: list[tuple[str, str, str, str]] = [
    ("dashboard page", "/dashboard/", "session", ""),
    # The overview's own data calls: the map layers it loads after the page.
    (
        "map layer: citizen reports",
        "/dashboard/layers/reports.geojson",
        "session",
        "SELECT id, lat, long, status FROM feedback_request WHERE lat IS NOT NULL ORDER BY created_at DESC LIMIT 500",
    ),
    ("map layer: sensors by latest value", "/dashboard/layers/sensors.geojson", "session", ""),
    ("map layer: communes by indicator", "/dashboard/layers/areas.geojson", "session", ""),
    ("map layer: open incidents", "/dashboard/layers/operations-incidents.geojson", "session", ""),
    (
        "feedback statistics page",
        "/feedback/staff/stats/",
        "session",
        "SELECT status, count(*) FROM feedback_request GROUP BY status",
    ),
    (
        "indicators and domain scores page",
        "/datahub/indicators/",
        "session",
        "SELECT indicator_id, area_id, value FROM datahub_indicatorvalue "
        "WHERE period_start = (SELECT max(period_start) FROM datahub_indicatorvalue)",
    ),
    (
        "latest sensor values (NGSI-LD entities, 100)",
        "/ngsi-ld/v1/entities?type=AirQualityObserved&limit=100",
        "key",
        "SELECT entity_id, attributes FROM datahub_entity WHERE type = 'AirQualityObserved' "
        "ORDER BY entity_id LIMIT 100",
    ),
    (
        "one sensor's last day (NGSI-LD temporal, lastN=96)",
        "/ngsi-ld/v1/temporal/entities/{entity}?lastN=96",
        "key",
        "SELECT a.attribute, o.observed_at, o.value FROM (SELECT DISTINCT attribute FROM datahub_observation "
        "WHERE entity_id = {entity_pk}) AS a CROSS JOIN LATERAL (SELECT observed_at, value FROM datahub_observation "
        "WHERE entity_id = {entity_pk} AND attribute = a.attribute ORDER BY observed_at DESC LIMIT 96) AS o",
    ),
    (
        "overdue citizen requests (API, first page)",
        "/api/v1/feedback/requests?status=overdue",
        "key",
        "SELECT id FROM feedback_request WHERE status NOT IN ('published','rejected','duplicate') "
        "AND deadline < now() ORDER BY deadline, id LIMIT 20",
    ),
]
FIGURES = ("ingest_http", "mqtt", "open311_get", "open311_post", "search", "dashboard", "rollup", "memory")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Context:
    """What every figure needs: the database, the running servers and the credentials."""

    url: str
    sizes: Sizes
    seconds: float
    workers: int
    env: dict[str, str]
    app_port: int = 0
    bare_port: int = 0
    integrator_key: str = ""
    leader_key: str = ""
    session_cookie: str = ""
    sample_entity: tuple[str, int] = ("", 0)
    anchor: Any = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)


# --- Processes ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, path: str = "/", timeout: float = 60.0) -> None:
    """Wait until something answers HTTP on the port (any status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
                if sock.recv(12).startswith(b"HTTP/"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")


def start(ctx: Context, name: str, argv: list[str], logfile: Path) -> subprocess.Popen[bytes]:
    handle = logfile.open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        argv, cwd=ROOT, env=ctx.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    ctx.processes[name] = process
    return process


def stop(ctx: Context, name: str) -> None:
    process = ctx.processes.pop(name, None)
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


# --- wrk ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# With BENCH_PROFILE=1, every timed wrk run against the product is sampled by py-spy (all web workers),
# and the collapsed stacks land in var/bench/profiles/<label>.txt (``python -m bench.profile`` summarises).
PROFILE: dict[str, Any] = {"dir": None, "pid": 0, "app_port": 0, "label": ""}


def _profiler(port: int, seconds: float) -> subprocess.Popen[bytes] | None:
    if PROFILE["dir"] is None or port != PROFILE["app_port"] or seconds < 3 or not PROFILE["label"]:
        return None
    spy = shutil.which("py-spy") or str(VENV_BIN / "py-spy")
    out = Path(PROFILE["dir"]) / f"{PROFILE['label']}.txt"
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [spy, "record", "--pid", str(PROFILE["pid"]), "--subprocesses", "--format", "raw", "--rate", "200",
         "--duration", str(max(1, round(seconds) - 1)), "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for this text


def wrk(
    port: int,
    path: str,
    *,
    seconds: float,
    connections: int,
    script: str = "",
    replacements: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    threads: int = 2,
) -> WrkResult:
    """Run wrk against 127.0.0.1:port and parse the JSON line our ``done`` hook prints."""
    body = (LUA / script).read_text() if script else ""
    for key, value in (replacements or {}).items():
        body = body.replace(key, value)
    body += "\n" + (LUA / "report.lua").read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(body)
        lua = handle.name
    argv = [
        "wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "30s", "-s", lua,
    ]  # fmt: skip
    for key, value in (headers or {}).items():
        argv += ["-H", f"{key}: {value}"]
    argv.append(f"http://127.0.0.1:{port}{path}")
    spy = _profiler(port, seconds)
    try:
        output = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout  # noqa: S603
    finally:
        os.unlink(lua)
        if spy is not None:
            spy.wait(60)
    match = re.search(r"BENCH_RESULT (\{.*\})", output)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    data = json.loads(match.group(1))
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )


def error_note(result: WrkResult) -> str:
    return f"{result.errors} errors/non-2xx" if result.errors else ""


# --- Set-up -------------------------------------------------------------------------------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def credentials(ctx: Context) -> None:
    """API keys for the integrator (writes) and the leader (reads), a leader's session, a sample sensor."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from cityops.core.choices import Role
    from cityops.core.models import Membership, User
    from cityops.core.services.apikeys import apikey_create
    from cityops.datahub.models import Entity

    def member(role: str) -> tuple[User, Any]:
        membership = Membership.objects.select_related("user", "organization").filter(role=role).order_by("id")[0]
        return membership.user, membership.organization

    from django.db import IntegrityError, transaction
    from django.db.models import ProtectedError

    from cityops.core.models import ApiKey

    try:
        with transaction.atomic():  # the keys of earlier runs
            ApiKey.objects.filter(name__in=["bench integrator", "bench leader"]).delete()
    except (IntegrityError, ProtectedError):
        pass
    admin, _org = member(Role.ADMINISTRATOR)
    integrator, integrator_org = member(Role.INTEGRATOR)
    leader, leader_org = member(Role.LEADER)
    _key, ctx.integrator_key = apikey_create(
        actor=admin, name="bench integrator", user=integrator, organization=integrator_org
    )
    _key, ctx.leader_key = apikey_create(actor=admin, name="bench leader", user=leader, organization=leader_org)
    session = SessionStore()
    session[SESSION_KEY] = str(leader.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = leader.get_session_auth_hash()
    session.set_expiry(24 * 3600)
    session.create()
    ctx.session_cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    sample = Entity.objects.filter(entity_id__contains=":bench-").order_by("entity_id").first()
    if sample is not None:
        ctx.sample_entity = (sample.entity_id, sample.pk)


def start_servers(ctx: Context, logs: Path) -> None:
    ctx.app_port, ctx.bare_port = free_port(), free_port()
    start(
        ctx, "web",
        [str(VENV_BIN / "cityops"), "serve", "--host", "127.0.0.1", "--port", str(ctx.app_port),
         "--workers", str(ctx.workers), "--log-level", "warning"],
        logs / "web.log",
    )  # fmt: skip
    start(
        ctx, "bare",
        [str(VENV_BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(ctx.bare_port),
         "--workers", str(ctx.workers), "--log-level", "warning", "--no-ws", "bench.bare_app:application"],
        logs / "bare.log",
    )  # fmt: skip
    wait_http(ctx.app_port, "/open311/v2/discovery.json")
    wait_http(ctx.bare_port, "/items.json")
    if os.environ.get("BENCH_PROFILE") == "1":
        PROFILE.update(dir=logs / "profiles", pid=ctx.processes["web"].pid, app_port=ctx.app_port)
        (logs / "profiles").mkdir(exist_ok=True)


# --- Figures ------------------------------------------------------------------------------------------------


def copy_rate(rows: list[tuple[int, str, Any, float]]) -> float:
    """values/s of a raw COPY of ``rows`` into the real observation table (same indexes and size); rolled back."""
    from django.db import connection, transaction

    from cityops.datahub.models import Observation

    table = Observation._meta.db_table
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            began = time.perf_counter()
            with cursor.cursor.copy(f"COPY {table} (entity_id, attribute, observed_at, value) FROM STDIN") as copy:  # noqa: S608
                for row in rows:
                    copy.write_row(row)
            elapsed = time.perf_counter() - began
            raise _Rollback
    except _Rollback:
        pass
    return len(rows) / elapsed


class _Rollback(Exception):
    pass


def _bench_entities(prefix: str, count: int, kind: str = "AirQualityObserved") -> list[Any]:
    from cityops.core.models import Organization
    from cityops.datahub.models import Entity

    organization = Organization.objects.order_by("path").first()
    return Entity.objects.bulk_create(
        [Entity(organization=organization, entity_id=f"{prefix}{i}", type=kind) for i in range(count)]
    )


def _drop_entities(like: str) -> None:
    """Remove bench entities and their observations; requests still in flight when wrk stopped may add more."""
    from django.db import IntegrityError, connection, transaction

    for attempt in range(10):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM datahub_observation WHERE entity_id IN "
                    "(SELECT id FROM datahub_entity WHERE entity_id LIKE %s)",
                    [like],
                )
                cursor.execute("DELETE FROM datahub_entity WHERE entity_id LIKE %s", [like])
            return
        except IntegrityError:
            time.sleep(1 + attempt)


def _stored(like: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM datahub_observation o JOIN datahub_entity e ON e.id = o.entity_id "
            "WHERE e.entity_id LIKE %s",
            [like],
        )
        return int(cursor.fetchone()[0])


def _progress(connector_name: str) -> int:
    """Values the ingest process reports stored (its connector's running total): one row read, so polling
    it does not load the database the figure measures; the exact count is taken once at the end."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(total_rows), 0) FROM datahub_connector WHERE kind = 'mqtt' AND name = %s",
            [connector_name],
        )
        return int(cursor.fetchone()[0])


def _baseline_rows(count: int, entity_pks: list[int], start: Any) -> list[tuple[int, str, Any, float]]:
    attributes = ("PM25", "PM10", "NO2", "O3", "CO")
    rows = []
    for i in range(count):
        step, rest = divmod(i, len(entity_pks) * 5)
        entity, attribute = divmod(rest, 5)
        rows.append((entity_pks[entity], attributes[attribute], start + timedelta(seconds=step), float(i % 200)))
    return rows


def figure_ingest_http(ctx: Context) -> None:
    """NGSI-LD batch upsert (200 entities × 5 attributes = 1,000 values a request) vs raw COPY of as many rows."""
    like = "urn:ngsi-ld:AirQualityObserved:benchhttp-%"
    _drop_entities(like)
    per_request = 200
    headers = {"X-API-Key": ctx.integrator_key, "Content-Type": "application/ld+json"}
    base = int((ctx.anchor - timedelta(days=400)).timestamp())
    replacements = {"BENCH_ENTITIES": str(per_request), "BENCH_BASE_EPOCH": str(base)}
    # A short first run creates the entities (201), so the timed run measures steady-state upserts (204).
    wrk(ctx.app_port, "/", seconds=2, connections=8, script="ngsild_upsert.lua", replacements=replacements,
        headers=headers)  # fmt: skip
    replacements["BENCH_BASE_EPOCH"] = str(base + 5_000_000)
    before = _stored(like)
    result = wrk(ctx.app_port, "/", seconds=ctx.seconds, connections=8, script="ngsild_upsert.lua",
                 replacements=replacements, headers=headers)  # fmt: skip
    stored = _stored(like) - before
    values = result.requests * per_request * 5
    rate = values / result.seconds
    from cityops.datahub.models import Entity

    pks = list(
        Entity.objects.filter(entity_id__startswith="urn:ngsi-ld:AirQualityObserved:benchhttp-").values_list(
            "pk", flat=True
        )[:per_request]
    )
    baseline = copy_rate(_baseline_rows(min(values, 2_000_000), pks, ctx.anchor - timedelta(days=800)))
    note = f"{result.requests:,} requests of 1,000 values, p99 {result.p99_ms:.0f} ms; stored {stored:,}"
    if result.errors:
        note += f"; {error_note(result)}"
    ctx.rows.append(Row("Ingest, HTTP batch (NGSI-LD upsert)", "≥ 50,000 values/s; ≥ 30 % of COPY", rate,
                        "values/s", baseline, "raw COPY", note))  # fmt: skip
    _drop_entities(like)


def figure_mqtt(ctx: Context, logs: Path) -> None:
    """``cityops ingest-mqtt`` fed by a QoS 1 publisher through the broker; values/s until all are stored."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    tag = f"bench{secrets.token_hex(4)}"
    like = f"urn:ngsi-ld:WeatherObserved:{tag}-%"
    entities = _bench_entities(f"urn:ngsi-ld:WeatherObserved:{tag}-", 200, "WeatherObserved")
    attributes = ("temperature", "relativeHumidity", "atmosphericPressure", "precipitation", "windSpeed")
    start(
        ctx, "mqtt",
        [str(VENV_BIN / "cityops"), "ingest-mqtt", "--client-id", f"cityops-{tag}", "--topic-prefix", tag],
        logs / "ingest-mqtt.log",
    )  # fmt: skip
    time.sleep(3)  # connect and subscribe
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{tag}-pub", protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    # Publish for about BENCH_SECONDS at most, keeping no more than `ahead` values unstored, so a slow
    # consumer is measured rather than the broker's queue limit.
    ahead = 40_000
    base = ctx.anchor - timedelta(days=300)
    # The messages are built before the clock starts (up to 10,000 a second, 50,000 values/s), so the
    # publisher's own JSON work does not compete with the consumer for the machine's cores.
    messages: list[tuple[str, bytes]] = []
    for n in range(int(ctx.seconds * 10_000)):
        entity = entities[n % len(entities)]
        step = n // len(entities)
        payload: dict[str, Any] = {"observedAt": (base + timedelta(seconds=step)).isoformat()}
        for a, name in enumerate(attributes):
            payload[name] = round((n * 7 + a) % 90 + 0.5, 2)
        messages.append((f"{tag}/{entity.entity_id}/attrs", json.dumps(payload).encode()))
    published = stored = 0
    began = time.perf_counter()
    last_check = 0.0
    infos = []
    for topic, body in messages:
        if time.perf_counter() - began >= ctx.seconds:
            break
        infos.append(client.publish(topic, body, qos=1))
        published += 5
        if published - stored > ahead and time.perf_counter() - last_check > 0.2:
            # Keep no more than `ahead` values unstored, so the consumer is measured, not the broker's queue.
            while time.perf_counter() - began < ctx.seconds:
                stored = _progress(f"{tag}/#")
                last_check = time.perf_counter()
                if published - stored <= ahead // 2:
                    break
                time.sleep(0.1)
    for info in infos[-1000:]:
        info.wait_for_publish(30)
    deadline = time.perf_counter() + max(30.0, ctx.seconds * 3)
    while time.perf_counter() < deadline:
        if _progress(f"{tag}/#") >= published:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - began
    stored = _stored(like)  # the exact count, once: what the figure reports
    client.loop_stop()
    client.disconnect()
    stop(ctx, "mqtt")
    rate = stored / elapsed
    baseline = copy_rate(
        _baseline_rows(min(published, 2_000_000), [e.pk for e in entities], base - timedelta(days=200))
    )
    lost = published - stored
    ctx.rows.append(Row("Ingest, MQTT QoS 1 (cityops ingest-mqtt)", "≥ 20,000 values/s", rate, "values/s",
                        baseline, "raw COPY", f"{published:,} values in 5-value messages; "
                        + (f"{lost:,} not stored within the drain time" if lost else "all stored")))  # fmt: skip
    _drop_entities(like)
    _drop_connector(f"{tag}/#")
    _clear_mqtt_session(f"cityops-{tag}")


def _drop_connector(name: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM datahub_connector WHERE kind = 'mqtt' AND name = %s", [name])


def _clear_mqtt_session(client_id: str) -> None:
    """End the persistent session the ingest process left on the shared broker (clean start, no expiry)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    try:
        client.connect("127.0.0.1", 1883, clean_start=True)
        client.loop_start()
        time.sleep(0.5)
        client.disconnect()
        client.loop_stop()
    except OSError:
        pass


def figure_open311(ctx: Context) -> None:
    """GET requests.json (50 items) and POST requests.json, each beside the bare endpoint."""
    get_path = "/open311/v2/requests.json?page_size=50"
    wrk(ctx.app_port, get_path, seconds=2, connections=16)
    result = wrk(ctx.app_port, get_path, seconds=ctx.seconds, connections=16)
    bare = wrk(ctx.bare_port, "/items.json", seconds=ctx.seconds, connections=16)
    ctx.rows.append(Row("Open311 GET requests.json (50 items)", "≥ 1,000 req/s; p99 < 100 ms", result.rate, "req/s",
                        bare.rate, "bare endpoint", f"p99 {result.p99_ms:.0f} ms (bare {bare.p99_ms:.0f} ms) "
                        + error_note(result)))  # fmt: skip
    # The same list with the public cache out of play: every request carries a parameter of its own.
    fresh = wrk(ctx.app_port, "/", seconds=ctx.seconds, connections=16, script="fresh.lua",
                replacements={"BENCH_PATH": lua_string(get_path)})  # fmt: skip
    ctx.rows.append(Row("Open311 GET, every answer built (no cache)", "— (shows the cache's share)", fresh.rate,
                        "req/s", bare.rate, "bare endpoint",
                        f"p99 {fresh.p99_ms:.0f} ms " + error_note(fresh)))  # fmt: skip
    from cityops.feedback.models import Category

    code = Category.objects.filter(is_active=True).order_by("sort_order", "code").values_list("code", flat=True)[0]
    body = urlencode(
        {
            "api_key": ctx.integrator_key,
            "service_code": code,
            "lat": "21.1839",
            "long": "106.0713",
            "description": "[bench] Mặt đường bị sụt lún, có ổ gà sâu khoảng 20 cm, xe máy đi qua rất nguy hiểm.",
            "first_name": "Bench",
        }
    )
    replacements = {"BENCH_BODY": lua_string(body)}
    PROFILE["label"] = "open311_post"
    result = wrk(ctx.app_port, "/open311/v2/requests.json", seconds=ctx.seconds, connections=16,
                 script="open311_post.lua", replacements=replacements)  # fmt: skip
    bare = wrk(ctx.bare_port, "/items.json", seconds=ctx.seconds, connections=16, script="open311_post.lua",
               replacements=replacements)  # fmt: skip
    ctx.rows.append(Row("Open311 POST requests.json", "≥ 300 req/s; p99 < 100 ms", result.rate, "req/s", bare.rate,
                        "bare endpoint", f"p99 {result.p99_ms:.0f} ms (bare {bare.p99_ms:.0f} ms) "
                        + error_note(result)))  # fmt: skip
    _drop_posted_requests()


def _drop_posted_requests() -> None:
    """Remove what the POST figure created (not the append-only audit events), so runs stay comparable."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_posted AS SELECT id FROM feedback_request WHERE description LIKE '[bench]%%'"
        )
        cursor.execute(
            "DELETE FROM core_searchentry WHERE object_type = 'feedback.request' "
            "AND object_id IN (SELECT id::text FROM bench_posted)"
        )
        cursor.execute("DELETE FROM feedback_requestupdate WHERE request_id IN (SELECT id FROM bench_posted)")
        cursor.execute("DELETE FROM feedback_request WHERE id IN (SELECT id FROM bench_posted)")
        cursor.execute("DROP TABLE bench_posted")


def _sql_p95(sql_list: list[tuple[str, list[Any]]], rounds: int) -> float:
    """p95 in ms of running each query ``rounds`` times over one connection (the direct SQL baseline)."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _ in range(rounds):
            for sql, params in sql_list:
                began = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                timings.append((time.perf_counter() - began) * 1000)
    return percentile(timings, 95)


def _call_sql_p95(paths: list[str], headers: dict[str, str], rounds: int) -> float:
    """p95 in ms of the statements one API call runs against the data (its count and page, not sign-in),
    captured from the product itself in this process and run again directly over one connection."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", headers=headers)
    calls = []
    for path in paths:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200, path
        calls.append([q["sql"] for q in captured.captured_queries if "documents_" in q["sql"]])
    timings = []
    with connection.cursor() as cursor:
        for _ in range(rounds):
            for statements in calls:
                began = time.perf_counter()
                for statement in statements:
                    cursor.execute(statement)
                    cursor.fetchall()
                timings.append((time.perf_counter() - began) * 1000)
    return percentile(timings, 95)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def figure_search(ctx: Context) -> None:
    """Document search through the documents API, diacritic-insensitive, as the province's leader."""
    paths = [f"/api/v1/documents/incoming?{urlencode({'q': q})}" for q in SEARCH_QUERIES]
    lua_paths = "{" + ", ".join(lua_string(p) for p in paths) + "}"
    headers = {"X-API-Key": ctx.leader_key}
    wrk(ctx.app_port, "/", seconds=2, connections=2, script="paths.lua", replacements={"BENCH_PATHS": lua_paths},
        headers=headers)  # fmt: skip
    result = wrk(ctx.app_port, "/", seconds=ctx.seconds, connections=2, script="paths.lua",
                 replacements={"BENCH_PATHS": lua_paths}, headers=headers)  # fmt: skip
    baseline = _call_sql_p95(paths, headers, rounds=5)
    ctx.rows.append(Row(f"Document search p95 ({ctx.sizes.documents:,} documents, no accents needed)", "p95 < 50 ms",
                        result.p95_ms, "ms", baseline, "direct SQL", f"{result.rate:,.0f} req/s at 2 connections; "
                        f"{len(SEARCH_QUERIES)} queries " + error_note(result)))  # fmt: skip


def figure_dashboard(ctx: Context) -> None:
    """Each dashboard data call at two connections: p95 beside its direct SQL."""
    entity_id, entity_pk = ctx.sample_entity
    for number, (label, path, auth, sql) in enumerate(DASHBOARD_CALLS):
        PROFILE["label"] = f"dashboard-{number}"
        path = path.replace("{entity}", quote(entity_id, safe=":"))
        headers = {"Cookie": ctx.session_cookie} if auth == "session" else {"X-API-Key": ctx.leader_key}
        status = probe(ctx.app_port, path, headers)
        if status == 404:
            ctx.rows.append(Row(f"Dashboard: {label}", "p95 < 300 ms", None, "ms", note=f"{path}: not built yet"))
            continue
        wrk(ctx.app_port, path, seconds=2, connections=2, headers=headers)
        result = wrk(ctx.app_port, path, seconds=ctx.seconds / 2, connections=2, headers=headers)
        baseline = _sql_p95([(sql.replace("{entity_pk}", str(entity_pk)), [])], 20) if sql else None
        note = (
            f"{path}"
            + (f"; HTTP {status}" if status != 200 else "")
            + (f"; {error_note(result)}" if result.errors else "")
        )
        ctx.rows.append(Row(f"Dashboard: {label}", "p95 < 300 ms", result.p95_ms, "ms", baseline,
                            "direct SQL" if sql else "", note))  # fmt: skip


def probe(port: int, path: str, headers: dict[str, str]) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def figure_rollup(ctx: Context) -> None:
    """``rollup_fill`` (what ``cityops rollup`` runs) over every observation, from an empty fill state.

    The period is ``BENCH_ROLLUP_PERIOD`` (``day`` by default: it reads every observation and writes one row
    per sensor attribute and day; ``hour`` writes four times fewer rows than it reads). The baseline is the
    same aggregation as one direct SQL statement that writes nothing.
    """
    from django.db import connection

    from cityops.datahub.models import FillState, Observation, Rollup
    from cityops.datahub.rollups import rollup_fill

    period = os.environ.get("BENCH_ROLLUP_PERIOD", "day")
    Rollup.objects.filter(period=period).delete()
    FillState.objects.filter(kind=period).delete()
    total = Observation.objects.count()
    began = time.perf_counter()
    written = rollup_fill(period)
    elapsed = time.perf_counter() - began
    unit = "hour" if period == "hour" else "day"
    with connection.cursor() as cursor:
        began = time.perf_counter()
        cursor.execute(
            "SELECT count(*) FROM (SELECT entity_id, attribute, date_trunc(%s, observed_at AT TIME ZONE %s), "
            "count(*), min(value), max(value), avg(value) FROM datahub_observation GROUP BY 1, 2, 3) AS buckets",
            [unit, "Asia/Ho_Chi_Minh"],
        )
        cursor.fetchone()
        baseline = time.perf_counter() - began
    label = "daily" if period == "day" else "hourly"
    ctx.rows.append(
        Row(
            f"Rollup, {label}, {total:,} observations (cityops rollup)",
            "— (issue 4 asks the time)",
            elapsed,
            "s",
            baseline,
            "direct SQL, no writes",
            f"{total / elapsed:,.0f} observations/s; {written:,} rollup rows written",
        )
    )


def figure_memory(ctx: Context, logs: Path) -> None:
    """RSS of each web worker after the load, and of a task worker after it has run for a while."""
    import psutil

    web = ctx.processes.get("web")
    rss = []
    if web is not None:
        for child in psutil.Process(web.pid).children(recursive=True):
            try:
                rss.append(child.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:
                pass
    ctx.rows.append(Row("Memory, web process (RSS after the load, largest)", "< 300 MB", max(rss) if rss else None,
                        "MB", note=f"{len(rss)} processes: " + ", ".join(f"{r:.0f}" for r in rss)))  # fmt: skip
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().count()
    worker = start(ctx, "worker", [str(VENV_BIN / "cityops"), "worker"], logs / "worker.log")
    # Let it work through what the load queued (the e-mails of the desk notifications), at most a minute.
    deadline = time.monotonic() + 60
    time.sleep(5)
    while time.monotonic() < deadline and DBTaskResult.objects.ready().count():
        time.sleep(1)
    left = DBTaskResult.objects.ready().count()
    try:
        worker_rss = psutil.Process(worker.pid).memory_info().rss / 2**20
    except psutil.NoSuchProcess:
        worker_rss = None
    stop(ctx, "worker")
    ctx.rows.append(
        Row(
            "Memory, task worker (RSS)",
            "< 300 MB",
            worker_rss,
            "MB",
            note=f"after running {queued - left:,} of the {queued:,} tasks the load queued",
        )
    )


# --- Main ---------------------------------------------------------------------------------------------------


@contextmanager
def running(ctx: Context) -> Iterator[None]:
    try:
        yield
    finally:
        for name in list(ctx.processes):
            stop(ctx, name)


def main() -> int:
    scale = os.environ.get("BENCH_SCALE", "full")
    if scale not in SCALES:
        log(f"BENCH_SCALE must be one of {', '.join(SCALES)}")
        return 2
    sizes = SCALES[scale]
    seed = int(os.environ.get("BENCH_SEED", "20260101"))
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    seconds = float(os.environ.get("BENCH_SECONDS", "20" if scale == "full" else "6"))
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    only = {k.strip() for k in os.environ.get("BENCH_ONLY", "").split(",") if k.strip()} or set(FIGURES)
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"CITYOPS_TESTING", "DEBUG"}},
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "cityops.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(logs / "static"),
        "MEDIA_ROOT": str(logs / "media"),
        "FEEDBACK_RATE_LIMIT_PER_KEY": "1000000000",
        # The per-address limit stays on (its cache round trip is part of the cost) but out of reach of the load.
        "RATE_LIMIT_OPEN311_POST": "1000000000/60",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        # As docs/operations.md recommends for PostgreSQL: a small connection pool in each web process.
        "DB_POOL_SIZE": os.environ.get("DB_POOL_SIZE", "4"),
        # ... and Redis for the shared rate-limit counters (scripts/ensure-bench-tools.sh starts it).
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/7"),
    }
    ctx = Context(url=url, sizes=sizes, seconds=seconds, workers=workers, env=env)
    began = time.perf_counter()
    django_setup(env)
    from django.core.management import call_command

    from bench.load import ensure_dataset

    dataset = ensure_dataset(url, seed, sizes, log)
    ctx.anchor = dataset.anchor
    if not (logs / "static" / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    credentials(ctx)
    figures: list[tuple[str, Callable[[], None]]] = [
        ("ingest_http", lambda: figure_ingest_http(ctx)),
        ("mqtt", lambda: figure_mqtt(ctx, logs)),
        ("open311_get", lambda: figure_open311(ctx)),
        ("search", lambda: figure_search(ctx)),
        ("dashboard", lambda: figure_dashboard(ctx)),
        ("rollup", lambda: figure_rollup(ctx)),
        ("memory", lambda: figure_memory(ctx, logs)),
    ]
    with running(ctx):
        start_servers(ctx, logs)
        for key, run in figures:
            if key not in only and not (key == "open311_get" and "open311_post" in only):
                continue
            log(f"running {key}…")
            PROFILE["label"] = key
            started = time.perf_counter()
            try:
                run()
            except Exception as exc:  # noqa: BLE001 - one broken figure must not hide the others
                log(f"  {key} failed: {exc!r}")
                ctx.rows.append(Row(key, "", None, "", note=f"failed: {exc}"[:200]))
            log(f"  {key} took {time.perf_counter() - started:.0f} s")
    print()
    print(
        f"CityOps benchmark — scale {scale} (seed {seed}: {sizes.reports:,} reports, {sizes.observations:,} "
        f"observations, {sizes.documents:,} documents), {workers} web workers, {os.cpu_count()} cores, "
        f"{seconds:.0f} s per load"
    )
    print(render_table(ctx.rows))
    print(
        f"\nData set {'loaded' if dataset.loaded_now else 'reused'} ({dataset.load_seconds:.0f} s to load); "
        f"whole run {time.perf_counter() - began:.0f} s. Logs: {logs}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
