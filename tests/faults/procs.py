"""Real processes for the fault tests: Redis servers of their own, Celery workers and beats, and an SMTP
server that records what it accepted and can hold a message until the test says what to do with it.

Every process listens on, or talks to, the loopback address only, and each is stopped by the fixture that
started it (tests/faults/conftest.py), whatever the test's outcome. Waits poll with a deadline."""

from __future__ import annotations

import contextlib
import email
import os
import signal
import socket
import socketserver
import subprocess
import threading
from collections import Counter
from pathlib import Path

from django.db import connection

from tests.polling import wait_for

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def worker_database_url() -> str:
    """The pytest test database (test_…), as a URL the worker processes' settings read."""
    d = connection.settings_dict
    auth = d["USER"] or "postgres"
    if d.get("PASSWORD"):
        auth += f":{d['PASSWORD']}"
    return f"postgres://{auth}@{d['HOST'] or LOOPBACK}:{d['PORT'] or 5432}/{d['NAME']}"


# --- Redis -----------------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own, on a port of its own, with nothing saved to disk: restarting it
    loses every message, as a crash of an unpersisted broker does."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                LOOPBACK,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=15, what=f"redis-server on port {self.port} answers")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


# --- Celery ----------------------------------------------------------------------------------------------


class CeleryProcess:
    """`celery -A tests.faults.worker_app worker|beat …` in its own process group, logging to a file."""

    def __init__(self, kind: str, *, env: dict, log_dir: Path, name: str, args: tuple = ()):
        self.kind, self.name = kind, name
        self.log = log_dir / f"{name}.log"
        self.env = env
        self.args = args
        self.proc: subprocess.Popen | None = None

    def start(self) -> CeleryProcess:
        cmd = [str(VENV_BIN / "celery"), "-A", "tests.faults.worker_app", self.kind, "--loglevel", "INFO"]
        if self.kind == "worker":
            cmd += ["--pool", "solo", "--hostname", f"{self.name}@faults", "--without-mingle"]
            cmd += ["--without-gossip", "--queues", self.env["CELERY_QUEUE"]]
        cmd += list(self.args)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 40.0) -> CeleryProcess:
        marker = "ready." if self.kind == "worker" else "beat: Starting"

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited early:\n{self.output()[-3000:]}")
            return marker in self.output()

        wait_for(ready, timeout=timeout, every=0.1, what=f"{self.name} is ready")
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown handler runs, nothing is acknowledged."""
        if self.alive:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


# --- SMTP ------------------------------------------------------------------------------------------------


class SmtpSink:
    """A small SMTP server on the loopback address. It records each message it accepts (its Message-ID);
    `hold_at=n` makes it hold the n-th message (counting from 1) after its data arrived and before it answers
    250, until `release()` accepts it or `discard()` drops it, as a server does when the client vanishes."""

    def __init__(self, hold_at: int | None = None):
        self.accepted: list[str] = []
        self.received = 0
        self.hold_at = hold_at
        self.holding = threading.Event()
        self._decided = threading.Event()
        self._accept_held = False
        self._lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 60

            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                self.reply("220 faults.local ESMTP")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line.decode(errors="replace").strip().split(" ")[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 faults.local")
                    elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        data = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data.append(chunk)
                        if not sink._arrived(b"".join(data)):
                            return  # dropped: the client never hears 250
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server((LOOPBACK, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _arrived(self, raw: bytes) -> bool:
        message_id = email.message_from_bytes(raw).get("Message-ID", "").strip()
        with self._lock:
            self.received += 1
            hold = self.received == self.hold_at
        if hold:
            self.holding.set()
            self._decided.wait(120)
            if not self._accept_held:
                return False
        with self._lock:
            self.accepted.append(message_id)
        return True

    def release(self) -> None:
        self._accept_held = True
        self._decided.set()

    def discard(self) -> None:
        self._accept_held = False
        self._decided.set()

    def counts(self) -> Counter:
        with self._lock:
            return Counter(self.accepted)

    def start(self) -> SmtpSink:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._decided.set()
        self.server.shutdown()
        self.server.server_close()
