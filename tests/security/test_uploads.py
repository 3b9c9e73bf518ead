"""Hostile evidence uploads, through the API and the task page: an executable named .pdf, zip bombs inside
a .docx and a .xlsx, an oversized file, an empty file, names with path separators or control characters.
Each is refused with a message that says why (or, for a name, cleaned and stored under a generated name),
and a refused file leaves nothing behind: no evidence row, no file, no history row, no event."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tasks.models import Evidence, Outbox, TaskEvent
from tests.factories import MINIMAL_PDF

from .hostile import EXE, zip_bomb

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def nothing_left(task, settings, events_before: int) -> None:
    assert not Evidence.objects.filter(task=task).exists()
    assert stored_files(settings) == []
    assert TaskEvent.objects.filter(task=task).count() == events_before
    assert not Outbox.objects.filter(payload__action="evidence").exists()


REFUSED = [
    pytest.param(
        lambda: upload("hoa-don.pdf", EXE),
        "application/x-msdownload",
        id="an executable renamed .pdf",
    ),
    pytest.param(
        lambda: upload("bao-cao.docx", zip_bomb("docx", 64), DOCX),
        "zip",
        id="a zip bomb inside a .docx",
    ),
    pytest.param(
        lambda: upload("so-lieu.xlsx", zip_bomb("xlsx", 64), XLSX),
        "zip",
        id="a zip bomb inside a .xlsx",
    ),
    pytest.param(lambda: upload("trong.pdf", b""), "empty", id="an empty file"),
    pytest.param(
        lambda: upload("bao-cao.pdf", MINIMAL_PDF + b"%" * (21 * 1024 * 1024)),
        "limit is 20 MB",
        id="a file over 20 MB",
    ),
    pytest.param(
        lambda: upload("\u202efdp.exe", MINIMAL_PDF),  # shows as "exe.pdf" in a right-to-left trick
        "named .exe",
        id="a right-to-left override hiding .exe",
    ),
    pytest.param(lambda: upload("bao-cao.txt", b"just text\n"), "not accepted", id="plain text"),
]


@pytest.mark.parametrize("make, words", REFUSED)
def test_the_api_refuses_the_file_with_a_clear_message_and_keeps_nothing(world, api, settings, make, words):
    settings.LANGUAGE_CODE = "en"
    task = world.task("in_progress")
    events = TaskEvent.objects.filter(task=task).count()
    response = api.as_(world.official).post(
        f"/api/tasks/{task.pk}/evidence/",
        {"file": make(), "doc_number": "01/BC"},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400, response.content
    messages = response.json()["file"]
    assert any(words in m for m in messages), messages
    nothing_left(task, settings, events)


@pytest.mark.parametrize("make, words", REFUSED[:4])
def test_the_task_page_refuses_it_next_to_the_file_field(world, settings, make, words):
    task = world.task("in_progress")
    events = TaskEvent.objects.filter(task=task).count()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.official)
    client.cookies["django_language"] = "en"
    response = client.post(f"/tasks/{task.pk}/evidence/", {"file": make(), "doc_number": "01/BC"})
    assert response.status_code == 400
    errors = response.context["evidence_form"].errors["file"]
    assert any(words in e for e in errors), errors
    nothing_left(task, settings, events)


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/cron.d/bao-cao.pdf",
        "..\\..\\Windows\\System32\\bao-cao.pdf",
        "/var/www/bao-cao.pdf",
        "bao\x00cao.pdf",
        "bao\x1b[31mcao.pdf",
        "bao\tcao\x7f.pdf",
        "Báo cáo số 05/BC-UBND.pdf",
    ],
)
def test_a_name_with_path_separators_or_control_characters_is_cleaned_and_never_reaches_the_disk(
    world, api, settings, tmp_path, name
):
    task = world.task("in_progress")
    response = api.as_(world.official).post(
        f"/api/tasks/{task.pk}/evidence/", {"file": upload(name, MINIMAL_PDF)}, format="multipart"
    )
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get(task=task)
    assert not re.search(r"[/\\\x00-\x1f\x7f]", evidence.original_name), evidence.original_name
    assert evidence.original_name.endswith(".pdf") and evidence.original_name != ".pdf"
    # Stored under a generated name inside MEDIA_ROOT, nowhere else.
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", evidence.file.name), evidence.file.name
    assert stored_files(settings) == [evidence.file.name]
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and settings.MEDIA_ROOT not in p.parents]
    assert outside == []
    # The download offers the cleaned name, in a header with no line break in it.
    download = api.get(f"/api/tasks/{task.pk}/evidence/{evidence.pk}/download/")
    assert "\n" not in download.headers["Content-Disposition"]
    assert "\r" not in download.headers["Content-Disposition"]


def raw_multipart(file_name: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body written by hand: a hostile client sends any file name it likes."""
    boundary = "----hostile-boundary-7MA4YWxkTrZu0gW"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("name", ["..", "../..", "/", "\x01\x02.", "   ", ""])
def test_a_name_with_nothing_usable_is_refused(world, api, settings, name):
    task = world.task("in_progress")
    events = TaskEvent.objects.filter(task=task).count()
    body, content_type = raw_multipart(name, MINIMAL_PDF)
    response = api.as_(world.official).generic(
        "POST", f"/api/tasks/{task.pk}/evidence/", body, content_type=content_type
    )
    assert response.status_code == 400, response.content
    assert response.json()["file"]  # a message on the field
    nothing_left(task, settings, events)
