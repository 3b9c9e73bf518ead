"""Redis Sentinel in REDIS_URL (issue 17 part 4): against a real redis-sentinel on loopback watching a
redis-server of the test's own, the app's cache and a Celery round trip (a task sent, consumed by a worker
thread) both work through the sentinel URL alone, with the settings config.settings derives from it."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.core.cache import caches

from tests.hosts.conftest import settings_from_env


def test_the_cache_works_through_the_sentinel(sentinel, settings):
    url = sentinel.url(db=3)
    settings.CACHES = settings_from_env("settings.CACHES", REDIS_URL=url)
    assert settings.CACHES["default"]["BACKEND"] == "config.sentinel.SentinelRedisCache"
    cache = caches["default"]
    key = f"hosts-{uuid.uuid4().hex}"
    cache.set(key, {"đơn vị": "Phường Đồng Tâm"}, 60)
    assert cache.get(key) == {"đơn vị": "Phường Đồng Tâm"}
    cache.set(f"{key}-n", 0, 60)
    assert cache.incr(f"{key}-n") == 1

    # It is in the master the Sentinel named, in the database of the URL.
    direct = redis.Redis(port=sentinel.master.port, db=3)
    assert any(key in k.decode() for k in direct.keys("*"))
    assert not redis.Redis(port=sentinel.master.port, db=0).keys("*")


@pytest.mark.worker
def test_a_celery_task_goes_through_the_sentinel_to_a_worker(sentinel):
    conf = settings_from_env(
        '{"url": settings.CELERY_BROKER_URL, "options": settings.CELERY_BROKER_TRANSPORT_OPTIONS}',
        REDIS_URL=sentinel.url(),
    )
    assert conf["url"].startswith("sentinel://") and conf["options"]["master_name"] == "mymaster"

    app = Celery("hosts-sentinel", broker=conf["url"], set_as_current=False)
    queue = f"hosts-sentinel-{uuid.uuid4().hex[:8]}"
    app.conf.update(
        broker_transport_options=conf["options"],
        task_default_queue=queue,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )
    done = threading.Event()
    seen = []

    @app.task(name="hosts.record")
    def record(value):
        seen.append(value)
        done.set()

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"):
        record.delay("qua sentinel")
        assert done.wait(20), "the worker did not receive the task through the Sentinel"
    assert seen == ["qua sentinel"]
    # The message went through the master the Sentinel named (kombu keeps its bindings there).
    assert redis.Redis(port=sentinel.master.port, db=0).keys("_kombu.binding.*")


def test_when_the_master_dies_the_cache_follows_the_promoted_replica(sentinel, settings, tmp_path):
    """The test's Redis has a replica; the master is stopped; the Sentinel promotes the replica. The app's
    cache, with the same settings and without a restart, then reads and writes on the new master."""
    import subprocess

    from tests.hosts.conftest import free_port
    from tests.polling import wait_for

    port = free_port()
    replica = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
            "--replicaof",
            "127.0.0.1",
            str(sentinel.master.port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        settings.CACHES = settings_from_env("settings.CACHES", REDIS_URL=sentinel.url(db=1))
        cache = caches["default"]
        cache.set("before", "trước", 600)
        watcher = redis.Redis(port=sentinel.port)

        def replica_known():
            """the Sentinel lists the replica, its link to the master up"""
            found = watcher.sentinel_slaves("mymaster")
            return [r for r in found if r["port"] == port and r.get("master-link-status") == "ok"]

        wait_for(replica_known, timeout=30)
        wait_for(lambda: redis.Redis(port=port, db=1).get(":1:before"), timeout=15, what="replication")

        sentinel.master.stop()
        wait_for(
            lambda: (sentinel.master_address() or (None, None))[1] == port,
            timeout=40,
            what="the Sentinel promotes the replica",
        )

        def written():
            """a cache write accepted after the failover"""
            try:
                cache.set("after", "sau", 600)
            except redis.ConnectionError:
                return False  # a connection to the dead master, dropped; the next asks the Sentinel again
            return True

        wait_for(written, timeout=20)
        assert cache.get("before") == "trước" and cache.get("after") == "sau"
        assert redis.Redis(port=port, db=1).get(":1:after") is not None  # on the promoted replica
    finally:
        replica.terminate()
        replica.wait(10)
