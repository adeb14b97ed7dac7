"""The ``cityops`` console: help for every command, API keys, the first administrator, and the demo."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.utils import translation

from cityops import cli
from cityops.core.choices import AuditVerbs
from cityops.core.models import ApiKey, AuditEvent, Membership, User
from cityops.core.services.apikeys import apikey_authenticate
from tests.factories import MembershipFactory, UserFactory

PRODUCT = ["demo", "serve", "worker", "migrate", "seed-demo", "createadmin", "apikey", "check"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    """Run ``cityops <args>`` in-process; returns (exit code, stdout+stderr)."""
    code = 0
    try:
        cli.main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# --- Help ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["help"]])
def test_product_help_lists_every_command_on_one_line(args, capsys):
    code, out = run_cli(args, capsys)
    assert code == 0
    lines = out.splitlines()
    for name in PRODUCT:
        matching = [line for line in lines if line.strip().startswith(f"{name} ")]
        assert len(matching) == 1, (name, out)
        assert len(matching[0].split(None, 1)[1]) > 10  # a real description
    assert "help --all" in out


def test_help_all_lists_django_commands(capsys):
    code, out = run_cli(["help", "--all"], capsys)
    assert code == 0
    assert "migrate" in out and "createsuperuser" in out and "apikey" in out


@pytest.mark.parametrize("name", [name for name, _ in cli.PRODUCT_COMMANDS])
def test_every_listed_command_exists_and_has_help(name, capsys):
    code, out = run_cli([name, "--help"], capsys)
    assert code == 0
    assert f"usage: cityops {cli._command_name(name)}" in out


@pytest.mark.parametrize("sub", ["create", "list", "revoke"])
def test_apikey_subcommands_have_help(sub, capsys):
    code, out = run_cli(["apikey", sub, "--help"], capsys)
    assert code == 0
    assert f"cityops apikey {sub}" in out


def test_hyphenated_names_map_to_django_commands():
    assert cli._command_name("seed-demo") == "seed_demo"
    assert cli._command_name("--help") == "--help"
    assert cli._command_name("migrate") == "migrate"


@pytest.mark.skipif("seed_demo" not in get_commands(), reason="seed_demo is written by the demo-data work")
def test_seed_demo_help(capsys):
    code, out = run_cli(["seed-demo", "--help"], capsys)
    assert code == 0
    assert "usage: cityops seed_demo" in out


def test_unknown_command_fails(capsys):
    code, out = run_cli(["no-such-command"], capsys)
    assert code != 0
    assert "Unknown command" in out


def test_worker_defaults_to_all_queues_without_reload():
    from cityops.core.management.commands.worker import Command

    parser = Command().create_parser("cityops", "worker")
    assert parser.get_default("queue_name") == "*"
    assert parser.get_default("reload") is False


# --- serve ---------------------------------------------------------------------------------------------


class FakeGranian:
    """Stands in for granian's server: records how it was built and whether it was run."""

    made: ClassVar[list[FakeGranian]] = []

    def __init__(self, target: str, **kwargs: Any) -> None:
        self.target, self.kwargs, self.served = target, kwargs, False
        FakeGranian.made.append(self)

    def serve(self) -> None:
        self.served = True


@pytest.fixture
def fake_granian(monkeypatch):
    import granian

    FakeGranian.made = []
    monkeypatch.setattr(granian, "Granian", FakeGranian)
    return FakeGranian.made


def test_serve_runs_granian_wsgi_with_options(fake_granian, monkeypatch):
    from granian.constants import Interfaces

    from cityops.core.management.commands import serve

    class FakeWorker:
        running = True

    started: list[FakeWorker] = []

    def fake_start(**kwargs):
        started.append(FakeWorker())
        return started[-1], None

    monkeypatch.setattr(serve, "start_worker_thread", fake_start)
    call_command("serve", "--host", "10.1.2.3", "--port", "9001", "--workers", "2", "--threads", "64", "--with-worker")
    [server] = fake_granian
    assert server.served
    assert server.target == "cityops.wsgi:application"
    assert server.kwargs["interface"] == Interfaces.WSGI
    assert (server.kwargs["address"], server.kwargs["port"], server.kwargs["workers"]) == ("10.1.2.3", 9001, 2)
    assert server.kwargs["blocking_threads"] == 64
    assert server.kwargs["respawn_failed_workers"] is True
    assert len(started) == 1
    assert started[0].running is False  # stopped when the server returns

    fake_granian.clear()
    call_command("serve")
    [server] = fake_granian
    assert (server.kwargs["address"], server.kwargs["port"], server.kwargs["workers"]) == ("127.0.0.1", 8000, 1)
    assert server.kwargs["blocking_threads"] is None  # granian's own default
    assert len(started) == 1  # no worker without --with-worker


def test_serve_can_run_the_asgi_application(fake_granian):
    from granian.constants import Interfaces

    call_command("serve", "--interface", "asgi")
    [server] = fake_granian
    assert server.target == "cityops.asgi:application"
    assert server.kwargs["interface"] == Interfaces.ASGI
    assert server.kwargs["blocking_threads"] is None  # granian allows threads only for WSGI


@pytest.mark.parametrize(
    "args",
    [["--port", "0"], ["--port", "70000"], ["--port", "abc"], ["--workers", "0"], ["--threads", "0"],
     ["--interface", "rsgi"]],
)  # fmt: skip
def test_serve_rejects_bad_options(args, capsys):
    code, out = run_cli(["serve", *args], capsys)
    assert code != 0
    assert "invalid" in out


def test_in_process_worker_needs_database_backend():
    from cityops.core.management.commands.serve import start_worker_thread

    with pytest.raises(CommandError):
        start_worker_thread()  # the test settings use the immediate backend


# --- apikey --------------------------------------------------------------------------------------------


@pytest.fixture
def root_admin(db, province):
    return User.objects.create_superuser("root", "root@example.gov.vn", "Very-long-pass-123")


@pytest.fixture
def integrator(agency_a, make_member):
    return make_member(agency_a, "integrator", username="tram-quan-trac")


def test_apikey_create_list_revoke(root_admin, integrator, agency_a):
    out = io.StringIO()
    call_command(
        "apikey", "create", "--name", "Trạm quan trắc", "--user", integrator.username,
        "--organization", agency_a.code, "--expires-days", "30", stdout=out,
    )  # fmt: skip
    lines = out.getvalue().splitlines()
    secret = next(line.strip() for line in lines if line.strip().startswith("cok_"))
    key = apikey_authenticate(secret)
    assert key is not None and key.user == integrator and key.expires_at is not None
    assert key.created_by == root_admin

    out = io.StringIO()
    call_command("apikey", "list", stdout=out)
    listing = out.getvalue()
    assert key.prefix in listing and "Trạm quan trắc" in listing and "active" in listing
    assert secret not in listing

    out = io.StringIO()
    call_command("apikey", "revoke", key.prefix, stdout=out)
    assert "revoked" in out.getvalue()
    assert apikey_authenticate(secret) is None
    assert AuditEvent.objects.filter(verb=AuditVerbs.APIKEY_REVOKED, actor=root_admin).count() == 1

    out = io.StringIO()
    call_command("apikey", "list", "--active", stdout=out)
    assert "No API keys." in out.getvalue()


def test_apikey_revoke_accepts_whole_key(root_admin, integrator, agency_a):
    out = io.StringIO()
    call_command("apikey", "create", "--name", "k", "--user", integrator.username, "--organization", agency_a.code,
                 stdout=out)  # fmt: skip
    secret = out.getvalue().strip().splitlines()[-1]
    call_command("apikey", "revoke", secret, stdout=io.StringIO())
    assert ApiKey.objects.get().revoked_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--name", "k", "--user", "nobody", "--organization", "so-xay-dung"], "No account"),
        (["create", "--name", "k", "--user", "tram-quan-trac", "--organization", "nowhere"], "No active organisation"),
        (["create", "--name", " ", "--user", "tram-quan-trac", "--organization", "so-xay-dung"], "name"),
        (["revoke", "zzzzzzzzzzzz"], "No API key"),
        (["revoke", "<script>alert(1)</script>"], "No API key"),
    ],
)
def test_apikey_bad_input(root_admin, integrator, agency_a, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("apikey", *args, stdout=io.StringIO())
    assert not ApiKey.objects.filter(revoked_at__isnull=True).exists()


@pytest.mark.parametrize("days", ["0", "-1", "abc", "100000"])
def test_apikey_bad_expiry(root_admin, integrator, agency_a, days, capsys):
    code, out = run_cli(
        ["apikey", "create", "--name", "k", "--user", integrator.username, "--organization", agency_a.code,
         "--expires-days", days], capsys,
    )  # fmt: skip
    assert code != 0
    assert not ApiKey.objects.exists()


def test_apikey_needs_an_administrator(integrator, agency_a):
    with pytest.raises(CommandError, match="createadmin"):
        call_command("apikey", "list", stdout=io.StringIO())


def test_apikey_as_non_admin_is_refused(root_admin, integrator, agency_a, make_member):
    clerk = make_member(agency_a, "clerk", username="clerk")
    with pytest.raises(CommandError):
        call_command("apikey", "--as", clerk.username, "create", "--name", "k", "--user", integrator.username,
                     "--organization", agency_a.code, stdout=io.StringIO())  # fmt: skip
    assert not ApiKey.objects.exists()


# --- createadmin ---------------------------------------------------------------------------------------


def test_createadmin_non_interactive(province, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Một-mật-khẩu-dài-2025\n"))
    out = io.StringIO()
    call_command("createadmin", "--username", "quantri", "--email", "qt@example.gov.vn", "--password-stdin", stdout=out)
    user = User.objects.get(username="quantri")
    assert user.is_superuser and user.is_staff
    assert user.check_password("Một-mật-khẩu-dài-2025")
    assert Membership.objects.filter(user=user, organization=province, role="administrator").exists()
    assert "quantri" in out.getvalue()
    # The password never reaches the audit trail.
    for event in AuditEvent.objects.all():
        assert "Một-mật-khẩu" not in str(event.data)


@pytest.mark.parametrize("password", ["short", "1234567890123", "password123", "quantri-admin", ""])
def test_createadmin_rejects_weak_passwords(province, monkeypatch, password):
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    with pytest.raises(CommandError):
        call_command("createadmin", "--username", "quantri-admin", "--email", "", "--password-stdin",
                     stdout=io.StringIO())  # fmt: skip
    assert not User.objects.filter(username="quantri-admin").exists()


def test_createadmin_refuses_taken_username_and_missing_organisation(province, monkeypatch):
    UserFactory(username="taken")
    monkeypatch.setattr(sys, "stdin", io.StringIO("Một-mật-khẩu-dài-2025\n"))
    with pytest.raises(CommandError, match="taken"):
        call_command("createadmin", "--username", "taken", "--password-stdin", stdout=io.StringIO())
    monkeypatch.setattr(sys, "stdin", io.StringIO("Một-mật-khẩu-dài-2025\n"))
    with pytest.raises(CommandError, match="code"):
        call_command("createadmin", "--username", "x", "--organization", "nowhere", "--password-stdin",
                     stdout=io.StringIO())  # fmt: skip


def test_createadmin_without_username_when_not_interactive(db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="username"):
        call_command("createadmin", "--no-input", stdout=io.StringIO())


def test_createadmin_with_no_organisation_yet(db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Một-mật-khẩu-dài-2025\n"))
    out = io.StringIO()
    call_command("createadmin", "--username", "first", "--password-stdin", stdout=out)
    assert User.objects.get(username="first").is_superuser
    assert "seed-demo" in out.getvalue()


def test_createadmin_interactive(province, monkeypatch):
    from cityops.core.management.commands import createadmin

    answers = iter(["hoi-dap", "hd@example.gov.vn"])
    passwords = iter(["Một-mật-khẩu-dài-2025", "Một-mật-khẩu-dài-2025"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr(createadmin.getpass, "getpass", lambda prompt="": next(passwords))
    monkeypatch.setattr(sys, "stdin", type("TTY", (io.StringIO,), {"isatty": lambda self: True})())
    call_command("createadmin", stdout=io.StringIO())
    user = User.objects.get(username="hoi-dap")
    assert user.email == "hd@example.gov.vn" and user.is_superuser


# --- demo ----------------------------------------------------------------------------------------------


@dataclass
class FakeSeedResult:
    accounts: list[tuple[str, str, str, str]]
    integrator_user: Any
    province: Any
    calls: list[bool] = field(default_factory=list)


@pytest.fixture
def fake_seed(monkeypatch, province):
    """A stand-in for ``cityops.core.services.demo.seed_demo``: idempotent, one account per role."""
    from cityops.core.management.commands import demo

    calls: list[bool] = []

    def seed(*, reset: bool = False) -> FakeSeedResult:
        calls.append(reset)
        admin, created = User.objects.get_or_create(username="demo-admin", defaults={"is_superuser": True})
        if created:
            admin.set_password("Demo-admin-123")
            admin.save()
        integrator = User.objects.filter(username="demo-integrator").first()
        if integrator is None:
            integrator = UserFactory(username="demo-integrator", is_service_account=True)
            MembershipFactory(user=integrator, organization=province, role="integrator")
        accounts = [
            ("demo-admin", "Demo-admin-123", "Administrator", province.name),
            ("demo-integrator", "Secret-pass-123", "Integrator (API client)", province.name),
        ]
        return FakeSeedResult(accounts=accounts, integrator_user=integrator, province=province, calls=calls)

    monkeypatch.setattr(demo, "seed_demo_data", seed)
    return calls


def test_demo_no_serve_is_idempotent_and_rotates_the_key(fake_seed, fake_granian):
    first = io.StringIO()
    call_command("demo", "--no-serve", stdout=first)
    text = first.getvalue()
    assert "http://127.0.0.1:8000" in text
    assert "http://127.0.0.1:8000/api/v1/docs" in text
    assert "demo-admin" in text and "Demo-admin-123" in text and "Administrator" in text
    first_key = next(word for word in text.split() if word.startswith("cok_"))
    assert apikey_authenticate(first_key).user.username == "demo-integrator"

    second = io.StringIO()
    call_command("demo", "--no-serve", stdout=second)
    second_key = next(word for word in second.getvalue().split() if word.startswith("cok_"))
    assert second_key != first_key
    assert apikey_authenticate(first_key) is None
    assert apikey_authenticate(second_key) is not None
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 1
    assert User.objects.filter(username="demo-integrator").count() == 1
    assert fake_seed == [False, False]
    assert fake_granian == []  # --no-serve serves nothing


def test_demo_passes_reset_and_serves_with_worker(fake_seed, monkeypatch):
    from cityops.core.management.commands import serve

    served: dict[str, Any] = {}
    monkeypatch.setattr(serve, "run_server", lambda **kwargs: served.update(kwargs))
    call_command("demo", "--reset", "--port", "8123", stdout=io.StringIO())
    assert fake_seed == [True]
    assert served == {"host": "127.0.0.1", "port": 8123, "workers": None, "with_worker": True}


def test_cli_sets_debug_and_file_email_for_demo_only(monkeypatch):
    seen: list[list[str]] = []
    for name in ("DEBUG", "EMAIL_BACKEND", "FEEDBACK_JURISDICTION_BBOX"):  # set first: monkeypatch restores them
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    monkeypatch.setattr("django.core.management.execute_from_command_line", lambda argv: seen.append(argv))
    cli.main(["check"])
    import os

    assert "DEBUG" not in os.environ and "EMAIL_BACKEND" not in os.environ
    cli.main(["demo", "--no-serve"])
    assert os.environ["DEBUG"] == "1"
    assert os.environ["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert os.environ["FEEDBACK_JURISDICTION_BBOX"] == "20.95,105.85,21.65,106.95"
    assert seen == [["cityops", "check"], ["cityops", "demo", "--no-serve"]]


def test_serve_warns_when_static_files_are_not_collected(fake_granian, settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    err = io.StringIO()
    call_command("serve", stderr=err)
    assert "collectstatic" in err.getvalue()
    (tmp_path / "staticfiles.json").write_text("{}")
    err = io.StringIO()
    call_command("serve", stderr=err)
    assert err.getvalue() == ""
