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


class Sentinel:
    """A redis-sentinel (`redis-server --sentinel`, Debian's redis-server package) on a free loopback port,
    watching `master` (a RedisServer) under the name `mymaster`."""

    def __init__(self, tmp_path: Path, master):
        self.port = free_port()
        self.master = master
        self.conf = tmp_path / f"sentinel-{self.port}.conf"
        self.conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {tmp_path}\n"
            f"sentinel monitor mymaster 127.0.0.1 {master.port} 1\n"
            "sentinel down-after-milliseconds mymaster 2000\nsentinel failover-timeout mymaster 10000\n"
            f"logfile {tmp_path}/sentinel-{self.port}.log\n"
        )
        self.proc = subprocess.Popen(
            ["redis-server", str(self.conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def url(self, db: int = 0) -> str:
        return f"sentinel://127.0.0.1:{self.port}/{db}?master=mymaster"

    def master_address(self):
        import redis

        try:
            return redis.Redis(port=self.port, socket_timeout=1).sentinel_get_master_addr_by_name("mymaster")
        except redis.RedisError:
            return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def sentinel(tmp_path):
    """A Redis of the test's own and a Sentinel that knows it as `mymaster`; both stopped afterwards."""
    from tests.faults.procs import RedisServer
    from tests.polling import wait_for

    master = RedisServer().start()
    watcher = Sentinel(tmp_path, master)
    try:
        wait_for(watcher.master_address, timeout=15, what="the Sentinel names the master")
        yield watcher
    finally:
        watcher.stop()
        master.stop()
