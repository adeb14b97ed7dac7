"""Scheduled HTTP pulls against a local HTTP server: formats, limits, SSRF guard, secrets, runs and status pages."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cityops.datahub import connectors
from cityops.datahub.connectors import FetchError, connector_create, connector_run, connectors_run_due, seal, unseal
from cityops.datahub.models import Connector, ConnectorRun, Entity, Observation, Sector
from cityops.datahub.services import dataset_create

pytestmark = pytest.mark.django_db
SCHEMA = [
    {"name": "station", "label": "Trạm", "type": "string", "required": True},
    {"name": "pm10", "label": "PM10", "type": "number"},
]


class Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen_headers: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).seen_headers.append(dict(self.headers))
        if self.path == "/hang":
            threading.Event().wait(5)  # longer than the configured read timeout
            return
        if self.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            self.wfile.write(b"station,pm10\n")
            try:
                for _ in range(2000):
                    self.wfile.write(b"A" * 1024 + b",1\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    Handler.routes = {}
    Handler.seen_headers = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def allow_local(settings):
    """The test server is on loopback, which production refuses; an administrator may allow it."""
    settings.DATAHUB_PULL_ALLOW_PRIVATE = True
    settings.DATAHUB_PULL_TIMEOUT = 2
    settings.DATAHUB_PULL_MAX_BYTES = 64 * 1024


@pytest.fixture
def head_a(agency_a, make_member):
    return make_member(agency_a, "agency_head", username="c-head-a")


@pytest.fixture
def dataset(head_a, agency_a):
    sector = Sector.objects.create(code="env", name="Môi trường", domain="environment")
    return dataset_create(actor=head_a, organization=agency_a, sector=sector, title="Trạm", domain="environment",
                          visibility="private", schema=SCHEMA)  # fmt: skip


def pull(head_a, agency_a, dataset, url, fmt="csv", **extra):
    return connector_create(actor=head_a, organization=agency_a, name=extra.pop("name", "Nguồn"), url=url,
                            format=fmt, dataset=dataset if fmt != "ngsild" else None, **extra)  # fmt: skip


def test_secret_is_sealed_and_tamper_evident(settings):
    token = seal("Bearer abc-123-xyz")
    assert "abc-123" not in token and unseal(token) == "Bearer abc-123-xyz"
    assert seal("same") != seal("same")  # a fresh nonce each time
    broken = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(ValueError):
        unseal(broken)
    settings.SECRET_KEY = "another-key-entirely-0123456789-abcdefghijklmnop"
    with pytest.raises(ValueError):
        unseal(token)


def test_csv_pull_makes_a_version_and_skips_unchanged_bodies(server, allow_local, head_a, agency_a, dataset):
    Handler.routes["/tram.csv"] = (200, {"Content-Type": "text/csv"}, b"station,pm10\nA,1\nB,x\n")
    connector = pull(head_a, agency_a, dataset, f"{server}/tram.csv", auth_header="X-Api-Key",
                     auth_value="secret-value-1234")  # fmt: skip
    assert connector.auth_secret and "secret-value" not in connector.auth_secret and connector.auth_hint == "1234"
    run = connector_run(connector)
    assert run.ok and run.rows_in == 2 and run.rows_stored == 1 and run.rows_rejected == 1
    assert run.rejections[0]["line"] == 3 and "not a number" in run.rejections[0]["reason"]
    assert Handler.seen_headers[-1]["X-Api-Key"] == "secret-value-1234"
    dataset.refresh_from_db()
    assert dataset.current_version.number == 1 and dataset.current_version.source.endswith("/tram.csv")
    again = connector_run(connector)
    assert again.ok and again.rows_stored == 0 and again.version is None
    dataset.refresh_from_db()
    assert dataset.current_version.number == 1
    connector.refresh_from_db()
    assert connector.last_success_at is not None and connector.last_error == "" and connector.total_rows == 1


def test_json_pull(server, allow_local, head_a, agency_a, dataset):
    body = json.dumps({"items": [{"station": "Từ Sơn", "pm10": 41.5}, {"station": None, "pm10": 2}]})
    Handler.routes["/data.json"] = (200, {"Content-Type": "application/json"}, body.encode())
    run = connector_run(pull(head_a, agency_a, dataset, f"{server}/data.json", fmt="json"))
    assert run.ok and run.rows_stored == 1 and run.rows_rejected == 1
    dataset.refresh_from_db()
    assert dataset.current_version.rows == 1


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"a": 1}', b"[1, 2]", json.dumps([{"unknown": 1}]).encode(), b"\xff\xfe"],
)
def test_malformed_json_fails_the_run_and_stores_nothing(server, allow_local, head_a, agency_a, dataset, body):
    Handler.routes["/bad.json"] = (200, {"Content-Type": "application/json"}, body)
    connector = pull(head_a, agency_a, dataset, f"{server}/bad.json", fmt="json")
    run = connector_run(connector)
    assert not run.ok and run.error
    dataset.refresh_from_db()
    assert dataset.current_version is None
    connector.refresh_from_db()
    assert connector.last_error == run.error and connector.last_success_at is None
    assert connector.next_run_at > timezone.now()  # a failure still moves the schedule on


def test_ngsild_pull_goes_through_the_ingest_path(server, allow_local, head_a, agency_a, agency_b, dataset):
    now = datetime.now(UTC).replace(microsecond=0)
    Entity.objects.create(organization=agency_b, entity_id="urn:ngsi-ld:AirQualityObserved:theirs",
                          type="AirQualityObserved")  # fmt: skip
    entities = [
        {"id": "urn:ngsi-ld:AirQualityObserved:pull-1", "type": "AirQualityObserved",
         "PM10": {"type": "Property", "value": 41.5, "observedAt": now.isoformat()},
         "NO2": {"type": "Property", "value": "high", "observedAt": now.isoformat()}},
        {"id": "urn:ngsi-ld:AirQualityObserved:theirs", "type": "AirQualityObserved",
         "PM10": {"type": "Property", "value": 1, "observedAt": now.isoformat()}},
    ]  # fmt: skip
    Handler.routes["/ngsi"] = (200, {"Content-Type": "application/ld+json"}, json.dumps(entities).encode())
    run = connector_run(pull(head_a, agency_a, dataset, f"{server}/ngsi", fmt="ngsild"))
    assert run.ok and run.rows_stored == 1 and run.rows_rejected == 2
    assert Entity.objects.get(entity_id="urn:ngsi-ld:AirQualityObserved:pull-1").organization == agency_a
    assert not Observation.objects.filter(entity__organization=agency_b).exists()  # never moved or written


def test_oversized_responses_are_cut_off(server, allow_local, head_a, agency_a, dataset):
    Handler.routes["/big.csv"] = (200, {}, b"station,pm10\n" + b"A,1\n" * 20000)  # declared too large
    declared = connector_run(pull(head_a, agency_a, dataset, f"{server}/big.csv"))
    assert not declared.ok and "larger than" in declared.error
    streamed = connector_run(pull(head_a, agency_a, dataset, f"{server}/endless", name="Vô tận"))
    assert not streamed.ok and "larger than" in streamed.error and streamed.bytes_read == 0
    dataset.refresh_from_db()
    assert dataset.current_version is None


def test_http_errors_and_timeouts_are_logged(server, allow_local, settings, head_a, agency_a, dataset):
    settings.DATAHUB_PULL_TIMEOUT = 1
    missing = connector_run(pull(head_a, agency_a, dataset, f"{server}/nothing"))
    assert not missing.ok and "HTTP 404" in missing.error
    hang = connector_run(pull(head_a, agency_a, dataset, f"{server}/hang", name="Treo"))
    assert not hang.ok and "did not answer" in hang.error
    assert ConnectorRun.objects.filter(ok=False).count() == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x", "http://localhost/x", "http://10.1.2.3/x", "http://192.168.0.1/x",
        "http://169.254.169.254/latest/meta-data/", "http://[::1]/x", "http://0.0.0.0/x",
        "http://[::ffff:127.0.0.1]/x", "http://100.64.0.1/x",
    ],
)  # fmt: skip
def test_private_targets_are_refused_by_default(url):
    with pytest.raises(FetchError, match="private, loopback or link-local"):
        connectors.fetch(url)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x/", "ftp://example.org/", "http://user:pw@example.org/"]
)
def test_other_schemes_and_credentials_in_urls_are_refused(url, head_a, agency_a, dataset):
    with pytest.raises(FetchError):
        connectors.fetch(url)
    with pytest.raises(ValidationError):
        pull(head_a, agency_a, dataset, url)


def test_redirect_to_a_private_address_is_refused(server, monkeypatch, head_a, agency_a, dataset):
    # Treat the test server's loopback v4 address as if it were public, so the first hop passes the guard.
    monkeypatch.setattr(connectors, "_public", lambda address: address == "127.0.0.1")
    Handler.routes["/go"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    Handler.routes["/go6"] = (302, {"Location": "http://[::1]:1/"}, b"")
    Handler.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    for path in ("/go", "/go6"):
        run = connector_run(pull(head_a, agency_a, dataset, f"{server}{path}", name=path))
        assert not run.ok and "private, loopback or link-local" in run.error
    loop = connector_run(pull(head_a, agency_a, dataset, f"{server}/loop", name="loop"))
    assert not loop.ok and "Too many redirects" in loop.error


def test_creation_checks_input_and_tenancy(head_a, agency_a, agency_b, dataset, make_member):
    cases = [
        {"url": "not a url"},
        {"url": "https://example.org/a", "interval_minutes": 1},
        {"url": "https://example.org/a", "auth_header": "X Bad: header", "auth_value": "v"},
        {"url": "https://example.org/a", "auth_header": "X-Key", "auth_value": "a\r\nInjected: 1"},
        {"url": "https://example.org/a", "fmt": "xml"},
    ]
    for case in cases:
        with pytest.raises(ValidationError):
            pull(head_a, agency_a, dataset, case.pop("url"), **case)
    head_b = make_member(agency_b, "agency_head", username="c-head-b")
    with pytest.raises(PermissionDenied):
        pull(head_b, agency_a, dataset, "https://example.org/a")
    with pytest.raises(ValidationError):  # a dataset of another agency
        connector_create(actor=head_b, organization=agency_b, name="x", url="https://example.org/a", format="csv",
                         dataset=dataset)  # fmt: skip
    assert not Connector.objects.exists()


def test_due_runs_are_claimed_once(server, allow_local, head_a, agency_a, dataset):
    Handler.routes["/t.csv"] = (200, {}, b"station,pm10\nA,1\n")
    due = pull(head_a, agency_a, dataset, f"{server}/t.csv")
    later = pull(head_a, agency_a, dataset, f"{server}/t.csv", name="Sau")
    Connector.objects.filter(pk=later.pk).update(next_run_at=timezone.now() + timedelta(hours=1))
    off = pull(head_a, agency_a, dataset, f"{server}/t.csv", name="Tắt")
    Connector.objects.filter(pk=off.pk).update(enabled=False)
    assert connectors_run_due() == 1
    assert connectors_run_due() == 0  # the next run is an interval away
    assert list(ConnectorRun.objects.values_list("connector_id", flat=True)) == [due.pk]

    from cityops.datahub.tasks import pull_due_connectors

    Connector.objects.filter(pk=due.pk).update(next_run_at=timezone.now() - timedelta(minutes=1))
    result = pull_due_connectors.enqueue()
    assert result.return_value == 1


def test_status_pages_and_api_are_scoped(server, allow_local, client, head_a, agency_a, agency_b, dataset,
                                         make_member):  # fmt: skip
    Handler.routes["/t.csv"] = (200, {}, b"station,pm10\nA,1\n")
    connector = pull(head_a, agency_a, dataset, f"{server}/t.csv", name="<b>Nguồn</b>", auth_header="Authorization",
                     auth_value="Bearer top-secret-token")  # fmt: skip
    connector_run(connector)
    client.force_login(head_a)
    listing = client.get("/datahub/connectors/").content.decode()
    assert "&lt;b&gt;Nguồn&lt;/b&gt;" in listing and "<b>Nguồn" not in listing
    detail = client.get(f"/datahub/connectors/{connector.pk}/").content.decode()
    assert "top-secret" not in detail and "••••oken" in detail and 'data-testid="connector-runs"' in detail
    api = client.get("/api/v1/datahub/connectors").json()
    assert api["items"][0]["last_rows_stored"] == 1 and "top-secret" not in json.dumps(api)
    assert client.post(f"/datahub/connectors/{connector.pk}/action/", {"action": "disable"}).status_code == 302
    connector.refresh_from_db()
    assert not connector.enabled

    client.force_login(make_member(agency_b, "agency_head", username="c-head-b2"))
    assert client.get(f"/datahub/connectors/{connector.pk}/").status_code == 404
    assert client.post(f"/datahub/connectors/{connector.pk}/action/", {"action": "run"}).status_code == 404
    assert "Nguồn" not in client.get("/datahub/connectors/").content.decode()
    assert client.get("/api/v1/datahub/connectors").json()["items"] == []


def test_connector_form_creates_a_pull(client, head_a, dataset, agency_a):
    client.force_login(head_a)
    response = client.post("/datahub/connectors/new/", {
        "organization": agency_a.pk, "name": "Sở TN&MT", "url": "https://example.org/data.csv", "format": "csv",
        "dataset": dataset.pk, "interval_minutes": 30, "auth_header": "", "auth_value": "",
    })  # fmt: skip
    assert response.status_code == 302
    assert Connector.objects.get().interval_minutes == 30
    bad = client.post("/datahub/connectors/new/", {
        "organization": agency_a.pk, "name": "x", "url": "javascript:alert(1)", "format": "csv",
        "dataset": dataset.pk, "interval_minutes": 30,
    })  # fmt: skip
    assert bad.status_code == 200 and Connector.objects.count() == 1


def test_ngsild_push_shows_on_the_status_page(client, agency_a, key_a, integrator_a):
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    body = [{"id": "urn:ngsi-ld:AirQualityObserved:push-1", "type": "AirQualityObserved",
             "PM10": {"type": "Property", "value": 12.0, "observedAt": now},
             "PM25": {"type": "Property", "value": "x", "observedAt": now}}]  # fmt: skip
    response = client.post("/ngsi-ld/v1/entityOperations/upsert", data=json.dumps(body),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key_a}")  # fmt: skip
    assert response.status_code == 207
    status = Connector.objects.get(kind="ngsild", organization=agency_a)
    assert (status.last_rows_stored, status.last_rows_rejected) == (1, 1) and status.last_observed_at is not None
    client.force_login(integrator_a)
    assert "NGSI-LD" in client.get("/datahub/connectors/").content.decode()


def test_citizens_get_no_connector_pages(client, make_member, agency_a):
    client.force_login(make_member(agency_a, "citizen", username="c-citizen"))
    assert client.get("/datahub/connectors/").status_code == 403
    assert client.get("/datahub/connectors/new/").status_code == 403
