"""The quick soak: ``make soak`` for fifteen seconds, with every workload including dashboards on the live feed.

The long run is ``make soak`` (``SOAK_MINUTES``, default 10); this one proves in CI that the mixed workload runs
with zero errors, every sensor value stored once, and the live feed delivering new reports. It runs on the
PostgreSQL pass only (its stack is a private PostgreSQL cluster and broker, the same on both passes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.servers import postgres_bin

pytestmark = [
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL binaries are not installed"),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="runs on the PostgreSQL pass only"
    ),
]

ROOT = Path(__file__).resolve().parents[2]


def test_quick_soak_passes_with_the_live_feed():
    env = {**os.environ, "SOAK_SECONDS": "15", "SOAK_SSE_PATH": "/dashboard/events/"}
    env.pop("DATABASE_URL", None)  # the soak starts its own database
    env.pop("CITYOPS_TESTING", None)
    done = subprocess.run(
        [sys.executable, "-m", "soak.soak"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "SOAK PASSED" in output
    events = int(output.split("live-feed events received by the dashboards:")[1].split()[0])
    assert events > 0
    assert "errors" in output and "citizen: report" in output
