"""Fixtures of the fault tests: each test gets a Celery queue of its own, and starts the processes it needs
(workers, beats, Redis servers, an SMTP server); every one of them is stopped when the test ends."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
from django.db import connections
from kombu import pools as kombu_pools

from config.celery import app
from tests.conftest import session_clock_env

from .procs import CeleryProcess, RedisServer, SmtpSink, worker_database_url


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_calendar():
    from org.calendar import calendar_changed

    calendar_changed()
    yield
    calendar_changed()


@pytest.fixture
def queue(settings):
    """A queue name of the test's own: its workers take only the messages this test sends."""
    name = f"faults-{uuid.uuid4().hex[:10]}"
    old = app.conf.task_default_queue
    app.conf.task_default_queue = name
    _forget_routing()
    yield name
    app.conf.task_default_queue = old
    _forget_routing()
    with contextlib.suppress(Exception), app.connection_for_write() as conn:
        conn.default_channel.queue_delete(name)


def _forget_routing() -> None:
    """Celery caches the queue table, the default queue and the router on first use: built while a fault
    test's queue was the default, they would send a later test's jobs (and point its in-process worker) to
    that queue. Dropped, they are built again from the current configuration."""
    for cached in ("queues", "default_queue", "router"):
        app.amqp.__dict__.pop(cached, None)
    app.amqp._rtable = None


@contextlib.contextmanager
def broker_at(url: str):
    """Point this process's Celery app (what the web process publishes with) at another broker."""
    old = app.conf.broker_url

    def reset(to: str) -> None:
        # Celery keeps connection and producer pools per broker URL, some in kombu's global registry.
        with contextlib.suppress(Exception):
            app.pool.force_close_all()
        kombu_pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_url = to

    reset(url)
    try:
        yield
    finally:
        reset(old)


@pytest.fixture
def procs(tmp_path, queue):
    """Start Celery workers and beats for this test: `procs.worker(name, **env)`, `procs.beat(name, ...)`.
    The database is the test database; the broker is this process's unless `broker=` says otherwise."""

    started: list = []

    class Procs:
        signal_dir = tmp_path

        def env(self, *, broker: str | None = None, **extra) -> dict:
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("PYTEST", "COV_")) and k != "DJANGO_SETTINGS_MODULE"
            }
            env.update(
                DJANGO_SETTINGS_MODULE="config.settings",
                DATABASE_URL=worker_database_url(),
                REDIS_URL=broker or app.conf.broker_url,
                CELERY_QUEUE=queue,
                FAULT_SIGNAL_DIR=str(tmp_path),
                MEDIA_ROOT=str(tmp_path / "media"),
                CONN_MAX_AGE="0",
                LOG_LEVEL="INFO",
                PYTHONUNBUFFERED="1",
            )
            # The process runs on this session's clock (TEST_NOW moves it) unless the test chose a moment.
            env.pop("FAULT_CLOCK_OFFSET", None)
            env.update(session_clock_env())
            env.update({k: str(v) for k, v in extra.items()})
            return env

        def worker(self, name: str, *, broker: str | None = None, wait: bool = True, **extra):
            proc = CeleryProcess("worker", env=self.env(broker=broker, **extra), log_dir=tmp_path, name=name)
            started.append(proc.start())
            return proc.wait_ready() if wait else proc

        def beat(self, name: str, *, broker: str | None = None, **extra):
            args = ("--schedule", str(tmp_path / f"{name}-schedule"), "--max-interval", "1")
            proc = CeleryProcess(
                "beat", env=self.env(broker=broker, **extra), log_dir=tmp_path, name=name, args=args
            )
            started.append(proc.start())
            return proc.wait_ready()

    yield Procs()
    for proc in reversed(started):
        proc.stop()
    # The workers' connections to the test database are gone; ours are closed before it is dropped.
    connections.close_all()


@pytest.fixture
def own_redis():
    """Redis servers of the test's own (never the shared one): `own_redis()` makes one, not yet started."""
    servers: list[RedisServer] = []

    def make() -> RedisServer:
        server = RedisServer()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp(settings):
    """An SMTP server on the loopback address; `smtp(hold_at=n)` holds the n-th message."""
    sinks: list[SmtpSink] = []

    def make(hold_at: int | None = None) -> SmtpSink:
        sink = SmtpSink(hold_at=hold_at).start()
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.stop()
