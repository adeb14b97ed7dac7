"""``DB_POOL_SIZE`` turns on the PostgreSQL connection pool, and only for PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "d = settings.DATABASES['default']; print(json.dumps([d.get('OPTIONS', {}).get('pool'), d['CONN_MAX_AGE']]))"
)


def _settings(**env: str) -> list:
    environ = {k: v for k, v in os.environ.items() if k not in {"DB_POOL_SIZE", "DATABASE_URL", "DB_CONN_MAX_AGE"}}
    environ.update(env, DJANGO_SETTINGS_MODULE="cityops.settings", CITYOPS_TESTING="1")
    output = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("size", ["4", "8"])
def test_pool_on_postgres_with_its_size_and_no_persistent_connections(size: str) -> None:
    pool, max_age = _settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x", DB_POOL_SIZE=size, DB_CONN_MAX_AGE="60")
    assert pool["max_size"] == int(size) and pool["min_size"] == 1
    assert max_age == 0


def test_pool_off_by_default_and_never_on_sqlite() -> None:
    pool, max_age = _settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x", DB_CONN_MAX_AGE="60")
    assert pool is None and max_age == 60
    pool, _max_age = _settings(DATABASE_URL="sqlite:////tmp/cityops-pool-probe.sqlite3", DB_POOL_SIZE="4")
    assert pool is None
