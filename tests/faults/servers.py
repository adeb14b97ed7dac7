"""Private servers for fault tests: a PostgreSQL cluster, a Mosquitto broker and the CityOps web server.

Each lives in a temporary directory on a free port and is stopped at the end; the machine's shared servers
are never touched. Used by the fault tests and by ``soak/soak.py``.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL binaries (``/usr/lib/postgresql/<n>/bin``), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """``initdb`` + ``pg_ctl`` in a fresh temporary directory; trust authentication on 127.0.0.1 only.

    PostgreSQL refuses to run as root: then the cluster belongs to the ``postgres`` system user (the
    directory is created for it under the system temporary directory, which that user can reach).
    """

    def __init__(self) -> None:
        import pwd
        import tempfile

        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL binaries not found under /usr/lib/postgresql")
        self.bin = bindir
        root = Path(tempfile.mkdtemp(prefix="cityops-fault-pg-"))
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(root, owner.pw_uid, owner.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.root = root
        self.data = root / "pgdata"
        self.socket_dir = root / "pgsock"
        self.log = root / "postgres.log"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/cityops_fault"

    def _run(self, *args: str) -> None:
        command = [*self.prefix, str(self.bin / args[0]), *args[1:]]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if not self.data.exists():
            subprocess.run([*self.prefix, "mkdir", "-p", str(self.socket_dir)], check=True, timeout=30)
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
            with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:  # root may write it
                conf.write(
                    f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{self.socket_dir}'\nfsync = off\nfull_page_writes = off\n"
                    "max_connections = 60\nshared_buffers = 32MB\n"
                )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        if not getattr(self, "_created", False):
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "cityops_fault")
            self._created = True

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        """Stop (dropping every connection, aborting open transactions) and start again on the same port."""
        self.stop(mode)
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def close(self) -> None:
        try:
            self.stop("immediate")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateMosquitto:
    """A broker with persistence in ``root``: sessions and queued QoS 1 messages survive a restart."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.root = root
        self.port = port or free_port()
        self.conf = root / "mosquitto.conf"
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # mosquitto started as root runs as the "mosquitto" user: it must write here
            import pwd

            try:
                owner = pwd.getpwnam("mosquitto")
                os.chown(root, owner.pw_uid, owner.pw_gid)
            except KeyError:
                pass
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {root}/\nautosave_interval 1\nmax_queued_messages 0\nlog_dest none\n",
            encoding="utf-8",
        )

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-c", str(self.conf)], stdout=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        """SIGTERM: the broker writes its persistence file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def app_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """A development-mode environment for a real server process (limits raised for load)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "CITYOPS_TESTING"))}
    env.update(
        DEBUG="1", DATABASE_URL=database_url, CITYOPS_VAR_DIR=str(var_dir), CACHE_URL="locmem://",
        RATE_LIMIT_ENABLED="0", FEEDBACK_RATE_LIMIT_PER_ADDRESS="1000000", FEEDBACK_RATE_LIMIT_PER_KEY="1000000",
        TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="cityops.settings",
    )  # fmt: skip
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str], timeout: float = 300) -> str:
    """Run ``code`` with Django set up in a fresh interpreter; returns its standard output."""
    prelude = "import django\ndjango.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-4000:])
    return result.stdout


class AppServer:
    """``cityops serve`` (granian) in a subprocess."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 1) -> None:
        self.env = env
        self.port = free_port()
        self.log = log
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [sys.executable, "-m", "cityops.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/open311/v2/discovery.json", timeout=5).read()  # noqa: S310
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise TimeoutError("the server did not answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
