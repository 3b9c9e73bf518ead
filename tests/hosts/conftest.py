"""Real servers on loopback for the "more than one host" tests: an S3 endpoint (moto's server mode, a real
HTTP S3 API), and Redis with a Sentinel watching it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_from_env(expr: str, **env) -> object:
    """The value of `expr` (over `settings`) as config.settings computes it from this environment alone, in
    a fresh interpreter: what a host started with these variables would run with (None: the variable
    unset)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({expr}, default=str))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_REPLICA"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={
            k: v
            for k, v in {**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env}.items()
            if v is not None
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a free loopback port: its endpoint URL. State lives as long as the session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
