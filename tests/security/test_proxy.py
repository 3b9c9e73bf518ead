"""Proxy trust: X-Forwarded-Proto and X-Forwarded-For are believed only with TRUSTED_PROXY=1 (behind our
nginx, which overwrites them). Without it a client cannot claim HTTPS, nor dodge the sign-in lockout with a
new X-Forwarded-For per try; with it, the lockout counts the address the proxy forwards. docker-compose.yml
publishes the proxy only."""

from __future__ import annotations

import re
import runpy

import pytest
import yaml
from django.conf import settings as django_settings
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
PROXY = "172.18.0.5"  # the reverse proxy's address, as gunicorn sees it


def settings_with(monkeypatch, **env) -> dict:
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.delenv("TRUSTED_PROXY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(django_settings.BASE_DIR / "config" / "settings.py"))


def test_the_forwarded_proto_header_is_trusted_only_behind_the_proxy(monkeypatch):
    assert settings_with(monkeypatch).get("SECURE_PROXY_SSL_HEADER") is None
    assert settings_with(monkeypatch, TRUSTED_PROXY="0").get("SECURE_PROXY_SSL_HEADER") is None
    trusted = settings_with(monkeypatch, TRUSTED_PROXY="1")
    assert trusted["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_direct_client_cannot_claim_https(world, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301  # still plain HTTP: sent to https://
    assert response["Location"].startswith("https://")


def test_behind_the_proxy_its_https_is_believed(world, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXY = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def fail(address: str | None = None, forwarded: str | None = None, password: str = "wrong", **extra):
    if address:
        extra["REMOTE_ADDR"] = address
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post("/accounts/login/", {"username": "official", "password": password}, **extra)


def test_without_the_proxy_a_new_forwarded_for_per_try_does_not_dodge_the_lockout(world):
    for i in range(5):
        fail(forwarded=f"10.1.0.{i}")
    assert fail(forwarded="10.1.0.99", password=PASSWORD).status_code == 429


def test_behind_the_proxy_the_lockout_counts_the_forwarded_address(world, settings):
    settings.TRUSTED_PROXY = True
    for _ in range(5):
        fail(address=PROXY, forwarded="203.0.113.7")
    assert fail(address=PROXY, forwarded="203.0.113.7", password=PASSWORD).status_code == 429
    # Another person behind the same proxy still signs in …
    assert fail(address=PROXY, forwarded="203.0.113.8", password=PASSWORD).status_code == 302
    # … and the attacker gains nothing by prepending addresses: the proxy's (last) entry counts.
    assert fail(address=PROXY, forwarded="198.51.100.1, 203.0.113.7", password=PASSWORD).status_code == 429


def test_behind_the_proxy_a_missing_or_garbled_header_falls_back_to_the_proxy_address(world, settings):
    settings.TRUSTED_PROXY = True
    for _ in range(5):
        fail(address=PROXY, forwarded="not-an-address")
    assert fail(address=PROXY, password=PASSWORD).status_code == 429


def test_compose_publishes_only_the_proxy_and_trusts_it():
    compose = yaml.safe_load((django_settings.BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    web = services["web"]
    assert "ports" not in web  # gunicorn is reachable from the proxy only
    assert web["environment"]["TRUSTED_PROXY"] == "1"
    assert web["environment"]["SECURE_COOKIES"] == "1"
    for name in ("worker", "beat", "migrate"):
        assert "TRUSTED_PROXY" not in services[name]["environment"]
    proxy = next(s for s in services.values() if str(s.get("image", "")).startswith("nginx"))
    assert proxy["ports"] == ["8000:80"]
    mount = next(v for v in proxy["volumes"] if v.endswith(":/etc/nginx/conf.d/default.conf:ro"))
    conf = (django_settings.BASE_DIR / mount.split(":")[0]).read_text()
    # The proxy overwrites the headers the app believes; it never appends to what the client sent.
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", conf)
    assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", conf)
    assert "proxy_add_x_forwarded_for" not in conf
    assert re.search(r"proxy_pass\s+http://\w+", conf)
    limit_mb = int(re.search(r"client_max_body_size\s+(\d+)m;", conf).group(1))
    assert limit_mb * 1024 * 1024 >= django_settings.REQUEST_BODY_MAX_BYTES
