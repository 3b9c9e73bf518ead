"""Sentry starts only when SENTRY_DSN is set, with the Django and Celery integrations and no personal data.
Each case runs the settings in a fresh interpreter (the Sentry client is process-wide); the DSN points at a
loopback port nothing listens on, so nothing leaves the machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import closed_port

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
import sentry_sdk
from django.conf import settings
client = sentry_sdk.get_client()
print(json.dumps({
    "enabled": settings.SENTRY_ENABLED,
    "active": client.is_active(),
    "dsn": client.options.get("dsn") if client.is_active() else None,
    "pii": client.options.get("send_default_pii") if client.is_active() else None,
    "environment": client.options.get("environment") if client.is_active() else None,
    "integrations": sorted(client.integrations) if client.is_active() else [],
}))
"""


def run_settings(**env) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_dsn_no_sentry():
    assert run_settings() == {
        "enabled": False,
        "active": False,
        "dsn": None,
        "pii": None,
        "environment": None,
        "integrations": [],
    }


def test_a_dsn_starts_it_with_django_and_celery_and_without_personal_data():
    dsn = f"http://publickey@127.0.0.1:{closed_port()}/7"
    got = run_settings(SENTRY_DSN=dsn, SENTRY_ENVIRONMENT="staging-yenbai")
    assert got["enabled"] is True and got["active"] is True
    assert got["dsn"] == dsn
    assert got["pii"] is False
    assert got["environment"] == "staging-yenbai"
    assert {"django", "celery"} <= set(got["integrations"])
