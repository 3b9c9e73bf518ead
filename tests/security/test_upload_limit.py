"""A request body bigger than REQUEST_BODY_MAX_BYTES (the biggest accepted file plus a margin for the other
fields) is refused with 413 and a readable message before any of it is read: nothing is stored, not even a
temporary file, and it is never a 500. A file a little over its own limit still gets the message naming the
limit (tests/security/test_uploads.py)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tasks.models import Evidence
from tests.factories import MINIMAL_PDF

pytestmark = pytest.mark.django_db

BOUNDARY = "----limit-boundary-0123456789"
MB = 1024 * 1024


class CountingInput(io.RawIOBase):
    """A WSGI input that serves `size` bytes of a multipart upload and counts what the server read."""

    def __init__(self, head: bytes, size: int):
        self.head, self.size, self.read_bytes = head, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        if n <= 0:
            return 0
        start = self.read_bytes
        chunk = (self.head[start : start + n] + b"%" * n)[:n]
        buffer[:n] = chunk
        self.read_bytes += n
        return n

    def read(self, size: int = -1) -> bytes:  # Django's LimitedStream calls read(n)
        size = self.size - self.read_bytes if size is None or size < 0 else size
        buffer = bytearray(size)
        n = self.readinto(buffer)
        return bytes(buffer[:n])


def multipart_head() -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="doc_number"\r\n\r\n01/BC\r\n'
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="bao-cao.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + MINIMAL_PDF


def post_raw(client: Client, path: str, *, declared: int, body: CountingInput, **extra):
    return client.generic(
        "POST",
        path,
        b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(declared),
        **{"wsgi.input": body},
        **extra,
    )


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_huge_declared_length_on_the_api_answers_413_without_reading_the_body(world, api, settings):
    task = world.task("in_progress")
    body = CountingInput(multipart_head(), 10)
    response = post_raw(
        api.as_(world.official),
        f"/api/tasks/{task.pk}/evidence/",
        declared=10 * 1024 * MB,
        body=body,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "20 MB" in detail, detail
    assert body.read_bytes == 0
    assert not Evidence.objects.filter(task=task).exists()
    assert stored_files(settings) == []


def test_a_huge_declared_length_on_the_task_page_answers_413_with_a_page(world, settings):
    task = world.task("in_progress")
    client = Client()
    client.force_login(world.official)
    body = CountingInput(multipart_head(), 10)
    response = post_raw(client, f"/tasks/{task.pk}/evidence/", declared=10 * 1024 * MB, body=body)
    assert response.status_code == 413
    page = response.content.decode()
    assert "413" in page and "20 MB" in page
    assert "<html" in page.lower()  # the site's layout, not a bare error
    assert body.read_bytes == 0
    assert not Evidence.objects.filter(task=task).exists()


def test_a_streamed_body_over_the_limit_stores_nothing(world, api, settings):
    settings.REQUEST_BODY_MAX_BYTES = 2 * MB
    task = world.task("in_progress")
    size = 2 * MB + 1
    body = CountingInput(multipart_head(), size)
    response = post_raw(api.as_(world.official), f"/api/tasks/{task.pk}/evidence/", declared=size, body=body)
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert not Evidence.objects.filter(task=task).exists()
    assert stored_files(settings) == []


def test_a_body_within_the_limit_is_handled_as_before(world, api, settings):
    task = world.task("in_progress")
    response = api.as_(world.official).post(
        f"/api/tasks/{task.pk}/evidence/",
        {"file": SimpleUploadedFile("bao-cao.pdf", MINIMAL_PDF, "application/pdf"), "doc_number": "01/BC"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert len(stored_files(settings)) == 1


def test_the_default_limit_leaves_room_over_the_biggest_file(settings):
    assert settings.REQUEST_BODY_MAX_BYTES > settings.EVIDENCE_MAX_BYTES
    assert settings.REQUEST_BODY_MAX_BYTES > settings.TASK_IMPORT_MAX_BYTES


def test_a_malformed_length_is_a_clear_answer_not_a_500(world, api):
    task = world.task("in_progress")
    body = CountingInput(b"", 0)
    response = post_raw(api.as_(world.official), f"/api/tasks/{task.pk}/evidence/", declared=0, body=body)
    assert 400 <= response.status_code < 500
    response = api.as_(world.official).generic(
        "POST", f"/api/tasks/{task.pk}/evidence/", b"", CONTENT_LENGTH="lots"
    )
    assert 400 <= response.status_code < 500
