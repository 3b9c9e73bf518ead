"""Security headers and the Content Security Policy on every kind of answer: pages, the API, files, errors;
and `manage.py check --deploy` clean for the production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tasks import services
from tests.factories import pdf_file

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {
        d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in header.split(";")) if " " in d
    }


def assert_hardened(response) -> None:
    h = response.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["Cross-Origin-Opener-Policy"] == "same-origin"
    assert h["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in h["Permissions-Policy"]


@pytest.fixture
def evidence(world):
    task = world.task("in_progress")
    return services.evidence_add(actor=world.official, task=task, file=pdf_file())


def test_pages_carry_the_headers_and_a_strict_policy(world, client, evidence):
    client.force_login(world.official)
    task_id = evidence.task_id
    for url in ("/accounts/login/", "/my-tasks/", f"/tasks/{task_id}/", "/plans/", "/notifications/"):
        response = (Client() if url == "/accounts/login/" else client).get(url)
        assert response.status_code == 200, url
        assert_hardened(response)
        csp = policy(response)
        for directive, value in STRICT.items():
            assert csp.get(directive) == value, (url, directive, csp)
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


def test_the_pages_have_no_inline_script_or_style_the_policy_would_block(world, client, evidence):
    client.force_login(world.city_leader)
    for url in ("/my-tasks/", f"/tasks/{evidence.task_id}/", f"/plans/{evidence.task.plan_id}/"):
        html = client.get(url).content.decode()
        assert "<script>" not in html and "<style" not in html and " style=" not in html, url
        assert " onclick=" not in html and "javascript:" not in html, url


def test_error_pages_and_the_api_carry_them_too(world, client, api):
    client.force_login(world.official)
    for response in (
        client.get("/tasks/999999/"),
        api.as_(world.official).get("/api/tasks/"),
        api.get("/api/schema/"),
    ):
        assert_hardened(response)
        assert policy(response)["default-src"] == "'self'"


def test_evidence_downloads_are_sandboxed_attachments(world, client, api, evidence):
    client.force_login(world.official)
    for response in (
        client.get(f"/tasks/{evidence.task_id}/evidence/{evidence.pk}/download/"),
        api.as_(world.official).get(f"/api/tasks/{evidence.task_id}/evidence/{evidence.pk}/download/"),
    ):
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_only_the_api_docs_pages_may_run_inline_script(world, client):
    """drf-spectacular's Swagger UI and Redoc pages inline their start-up script: the relaxed policy is
    scoped to those two pages, and they still work."""
    client.force_login(world.official)
    for url in ("/api/docs/", "/api/redoc/"):
        response = client.get(url)
        assert response.status_code == 200
        csp = policy(response)
        assert "'unsafe-inline'" in csp["script-src"]
        assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
        assert b"<script" in response.content


def test_the_session_cookie_is_http_only_and_same_site(world, client):
    response = client.post("/accounts/login/", {"username": "official", "password": "Secret-pass-123"})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


def _check_deploy(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SECRET_KEY", "DEBUG"))}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_for_the_production_settings():
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "prod-" + "k3y-" * 12 + "0123456789abcdef",
        "ALLOWED_HOSTS": "cchc.example.vn",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_COOKIES": "1",
        "SECURE_HSTS_SECONDS": "31536000",
    }
    result = _check_deploy(**production)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    # Without a secret key of its own, production is refused: the built-in default is marked insecure.
    del production["SECRET_KEY"]
    result = _check_deploy(**production)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
