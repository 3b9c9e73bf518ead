"""Redis Sentinel in REDIS_URL (settings, "More than one host"; docs/deploy.md).

    REDIS_URL=sentinel://[:password@]host1:26379[,host2:26379,...]/0?master=mymaster

(`redis+sentinel://` is the same; kombu's own `sentinel://h1:26379;sentinel://h2:26379/0` list and
`master_name=` are accepted too). The Sentinels are asked where the master of `master` is; the password, if
any, is the master's. Celery's broker becomes kombu's `sentinel://` transport with `master_name`; the cache
is Django's RedisCache whose client is redis-py's Sentinel `master_for` (Django has no Sentinel of its own).
After a failover both follow the new master without a restart.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

SCHEMES = ("sentinel", "redis+sentinel")


@dataclasses.dataclass(frozen=True)
class SentinelUrl:
    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    password: str | None = None

    def kombu_url(self) -> str:
        """Kombu's form: one `sentinel://` URL per Sentinel, joined by `;` (its failover list)."""
        auth = f":{self.password}@" if self.password else ""
        return ";".join(f"sentinel://{auth}{host}:{port}/{self.db}" for host, port in self.sentinels)


def is_sentinel_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in SCHEMES


def parse_sentinel_url(url: str) -> SentinelUrl:
    """The Sentinels, master name, database and password in a sentinel URL; ValueError says what is wrong."""
    sentinels: list[tuple[str, int]] = []
    master = password = None
    db = 0
    for part in filter(None, (p.strip() for p in url.split(";"))):
        parts = urlsplit(part)
        if parts.scheme.lower() not in SCHEMES:
            raise ValueError(f"REDIS_URL: {parts.scheme!r} is not a sentinel:// URL")
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, netloc = netloc.rsplit("@", 1)
            password = password or unquote(userinfo.split(":", 1)[-1]) or None
        for hostport in filter(None, netloc.split(",")):
            host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "26379")
            sentinels.append((host.strip("[]"), int(port or 26379)))
        if parts.path.strip("/"):
            db = int(parts.path.strip("/"))
        query = parse_qs(parts.query)
        master = master or (query.get("master") or query.get("master_name") or [None])[0]
    if not sentinels:
        raise ValueError("REDIS_URL: a sentinel:// URL names at least one Sentinel host:port")
    if not master:
        raise ValueError("REDIS_URL: a sentinel:// URL names its master, e.g. ?master=mymaster")
    return SentinelUrl(sentinels=tuple(sentinels), master=master, db=db, password=password)


class _SentinelClient(RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        from redis.sentinel import Sentinel

        self._config = parse_sentinel_url(servers[0])
        timeouts = {k: v for k, v in options.items() if k in ("socket_timeout", "socket_connect_timeout")}
        self._sentinel = Sentinel(list(self._config.sentinels), **timeouts)
        self._master = None

    def get_client(self, key=None, *, write=False):
        # Reads too go to the master: a replica may not yet hold what this process just cached.
        if self._master is None:
            self._master = self._sentinel.master_for(
                self._config.master, db=self._config.db, password=self._config.password
            )
        return self._master


class SentinelRedisCache(RedisCache):
    """Django's RedisCache through Redis Sentinel: LOCATION is the sentinel URL."""

    def __init__(self, server, params):
        super().__init__([server] if isinstance(server, str) else server, params)
        self._class = _SentinelClient
