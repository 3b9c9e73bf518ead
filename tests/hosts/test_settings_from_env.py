"""What a host started with only the environment variables of docs/deploy.md runs with (config.settings in a
fresh interpreter), and that a host started with none of them (the demo, `make run`) is unchanged."""

from __future__ import annotations

import pytest

from config.sentinel import parse_sentinel_url
from tests.hosts.conftest import settings_from_env

SHAPE = (
    '{"db": sorted(settings.DATABASES), "routers": getattr(settings, "DATABASE_ROUTERS", []), '
    '"mw": "config.replica.ReplicaMiddleware" in settings.MIDDLEWARE, '
    '"storage": settings.STORAGES["default"]["BACKEND"], "cache": settings.CACHES["default"]["BACKEND"], '
    '"broker": settings.CELERY_BROKER_URL, '
    '"master": settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("master_name")}'
)


def test_with_none_of_the_variables_nothing_changes(tmp_path):
    shape = settings_from_env(SHAPE, REDIS_URL=None, DATABASE_URL=None, VAR_DIR=str(tmp_path))
    assert shape == {
        "db": ["default"],
        "routers": [],
        "mw": False,
        "storage": "django.core.files.storage.FileSystemStorage",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "broker": "filesystem://localhost/",
        "master": None,
    }


def test_a_replica_url_adds_the_alias_the_router_and_the_middleware():
    shape = settings_from_env(
        SHAPE + ' | {"replica": settings.DATABASES["replica"]}',
        DATABASE_URL="postgres://reform:pw@primary.db:5432/reform",
        DATABASE_REPLICA_URL="postgres://reader:pw2@replica.db:5432/reform",
    )
    assert shape["db"] == ["default", "replica"]
    assert shape["routers"] == ["config.replica.ReplicaRouter"] and shape["mw"] is True
    replica = shape["replica"]
    assert (replica["HOST"], replica["USER"], replica["NAME"]) == ("replica.db", "reader", "reform")
    assert replica["TEST"]["MIRROR"] == "default"  # the test suite never creates a second test database
    assert replica["ENGINE"] == "django_prometheus.db.backends.postgresql"  # the primary's driver


def test_a_sentinel_url_gives_the_cache_and_the_broker_the_sentinels():
    shape = settings_from_env(
        SHAPE, REDIS_URL="sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/2?master=reform"
    )
    assert shape["cache"] == "config.sentinel.SentinelRedisCache"
    assert shape["broker"] == "sentinel://:s3cret@10.0.0.1:26379/2;sentinel://:s3cret@10.0.0.2:26380/2"
    assert shape["master"] == "reform"


@pytest.mark.parametrize(
    ("url", "sentinels", "master", "db"),
    [
        ("sentinel://h1:26379/0?master=mymaster", (("h1", 26379),), "mymaster", 0),
        ("redis+sentinel://h1,h2:26380/3?master=m", (("h1", 26379), ("h2", 26380)), "m", 3),
        ("sentinel://h1:1;sentinel://h2:2/4?master_name=m", (("h1", 1), ("h2", 2)), "m", 4),
        ("sentinel://[::1]:26379/0?master=m", (("::1", 26379),), "m", 0),
    ],
)
def test_sentinel_url_forms(url, sentinels, master, db):
    parsed = parse_sentinel_url(url)
    assert (parsed.sentinels, parsed.master, parsed.db) == (sentinels, master, db)


@pytest.mark.parametrize("url", ["sentinel://h1:26379/0", "sentinel:///0?master=m", "redis://h1:6379/0"])
def test_a_sentinel_url_without_hosts_or_master_is_refused_with_a_reason(url):
    with pytest.raises(ValueError, match="REDIS_URL"):
        parse_sentinel_url(url)
