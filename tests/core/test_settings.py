"""Production settings: the deploy check is clean, and unsafe configurations refuse to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LONG_SECRET = "k3Jx9-vQ2#pL8@wZ4!nR7$tY1^bM6&cF0*hD5(gS3)aE8_uI2+oP9=eW4"  # only for these subprocess tests


def run_cityops(args: list[str], env_overrides: dict[str, str | None], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``cityops`` in a fresh interpreter with a production-like environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    for name in ("CITYOPS_TESTING", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"):
        env.pop(name, None)
    env["CITYOPS_VAR_DIR"] = str(tmp_path)
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-m", "cityops.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run_cityops(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {"DEBUG": "0", "SECRET_KEY": LONG_SECRET, "ALLOWED_HOSTS": "example.gov.vn"},
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "overrides",
    [
        {"DEBUG": "0", "SECRET_KEY": None},
        {"DEBUG": "0", "SECRET_KEY": ""},
        {"DEBUG": None, "SECRET_KEY": None},
        {"DEBUG": "0", "SECRET_KEY": "cityops-development-secret-key-do-not-use-in-production"},
    ],
)
def test_refuses_to_start_without_a_real_secret_key(tmp_path, overrides):
    result = run_cityops(["check"], {"ALLOWED_HOSTS": "example.gov.vn", **overrides}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_debug_must_be_a_yes_no_value(tmp_path):
    result = run_cityops(["check"], {"DEBUG": "maybe", "SECRET_KEY": LONG_SECRET}, tmp_path)
    assert result.returncode != 0
    assert "DEBUG must be a yes/no value" in result.stderr


def test_development_starts_without_secret(tmp_path):
    result = run_cityops(["check"], {"DEBUG": "1", "SECRET_KEY": None}, tmp_path)
    assert result.returncode == 0, result.stderr


def test_production_security_settings(settings):
    """What ``--deploy`` relies on is set from the environment, not hard-coded off."""
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF is True


def test_jurisdiction_box_is_read_from_the_environment_and_checked(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from cityops.settings import env_bbox

    default = (8.18, 102.14, 23.4, 117.84)
    monkeypatch.delenv("TEST_BBOX", raising=False)
    assert env_bbox("TEST_BBOX", default) == default
    monkeypatch.setenv("TEST_BBOX", "20.95,105.85,21.65,106.95")
    assert env_bbox("TEST_BBOX", default) == (20.95, 105.85, 21.65, 106.95)
    for bad in ("21,106", "north,west,south,east", "22,105,21,106", "20,200,21,201"):
        monkeypatch.setenv("TEST_BBOX", bad)
        with pytest.raises(ImproperlyConfigured):
            env_bbox("TEST_BBOX", default)
