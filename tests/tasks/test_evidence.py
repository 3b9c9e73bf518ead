"""Evidence files (SPEC §2): the type comes from the bytes, never the name; refused uploads leave nothing
behind; stored names are generated; files are frozen once the task is approved and are downloaded only
through the permission-checked view; the task's metric value follows its latest evidence carrying one."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tasks import services
from tasks.models import Evidence, Task, TaskEvent
from tests.factories import pdf_file
from tests.tasks import samples

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def post(client, task, file, **fields):
    data = {"file": file, "doc_number": "12/BC-UBND", "doc_date": "2026-11-20", **fields}
    return client.post(f"/api/tasks/{task.pk}/evidence/", data, format="multipart")


LIES = [
    ("elf-as-pdf", "bao-cao.pdf", samples.elf, "application/pdf"),
    ("exe-as-pdf", "bao-cao.pdf", samples.pe, "application/pdf"),
    ("exe-as-docx", "bao-cao.docx", samples.pe, "application/vnd.ms-word"),
    ("png-as-pdf", "anh.pdf", samples.png, "application/pdf"),
    ("pdf-as-png", "anh.png", samples.pdf, "image/png"),
    ("html-as-docx", "trang.docx", samples.html, "application/vnd.openxmlformats"),
    ("html-as-pdf", "trang.pdf", samples.html, "application/pdf"),
    ("zip-as-docx", "goi.docx", samples.plain_zip, "application/vnd.openxmlformats"),
    ("docx-as-xlsx", "bang.xlsx", samples.docx, "application/vnd.ms-excel"),
    ("xlsx-as-pdf", "bang.pdf", samples.xlsx, "application/pdf"),
    ("doc-as-pdf", "van-ban.pdf", samples.doc, "application/pdf"),
    ("text-as-pdf", "ghi-chu.pdf", lambda: b"just some text, no magic at all\n", "application/pdf"),
    ("plain-zip-as-zip", "goi.zip", samples.plain_zip, "application/zip"),
]


@pytest.mark.parametrize(("name", "content", "claimed"), [c[1:] for c in LIES], ids=[c[0] for c in LIES])
def test_an_upload_that_lies_about_its_type_is_refused_and_nothing_is_stored(
    world, api, settings, name, content, claimed
):
    task = world.task("in_progress")
    events = task.events.count()
    r = post(api.as_(world.official), task, samples.upload(name, content(), claimed))
    assert r.status_code == 400, r.content
    assert list(r.json()) == ["file"] and r.json()["file"]
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []
    assert task.events.count() == events


def test_a_file_over_the_size_limit_is_refused(world, api, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    task = world.task("in_progress")
    big = samples.pdf() + b"%" + b"x" * 1100
    r = post(api.as_(world.official), task, samples.upload("lon.pdf", big))
    assert r.status_code == 400 and list(r.json()) == ["file"]
    assert "MB" in r.json()["file"][0]
    assert not Evidence.objects.exists() and stored_files(settings) == []
    # Just under the limit is accepted.
    settings.EVIDENCE_MAX_BYTES = len(big)
    assert post(api.as_(world.official), task, samples.upload("lon.pdf", big)).status_code == 201


def test_an_empty_file_is_refused(world, api, settings):
    task = world.task("in_progress")
    r = post(api.as_(world.official), task, samples.upload("rong.pdf", b""))
    assert r.status_code == 400 and list(r.json()) == ["file"]
    assert not Evidence.objects.exists() and stored_files(settings) == []


def test_a_missing_file_is_a_field_error(world, api, settings):
    task = world.task("in_progress")
    r = api.as_(world.official).post(
        f"/api/tasks/{task.pk}/evidence/", {"doc_number": "1"}, format="multipart"
    )
    assert r.status_code == 400 and "file" in r.json()
    assert not Evidence.objects.exists()


OOXML = "application/vnd.openxmlformats-officedocument"
ACCEPTED = [
    ("pdf", "bao-cao.pdf", samples.pdf, "application/pdf"),
    ("docx", "Báo cáo.docx", samples.docx, f"{OOXML}.wordprocessingml.document"),
    ("xlsx", "so-lieu.XLSX", samples.xlsx, f"{OOXML}.spreadsheetml.sheet"),
    ("doc", "cong-van.doc", samples.doc, "application/msword"),
    ("png", "anh-chup.png", samples.png, "image/png"),
]


@pytest.mark.parametrize(
    ("name", "content", "detected"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_a_real_document_is_accepted_hashed_and_stored_under_a_generated_name(
    world, api, settings, name, content, detected
):
    task = world.task("in_progress")
    data = content()
    # The browser's claim is ignored either way.
    r = post(api.as_(world.official), task, samples.upload(name, data, "application/octet-stream"))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["content_type"] == detected
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["original_name"] == name
    assert body["uploaded_by"] == "Official"
    ev = Evidence.objects.get(pk=body["id"])
    assert ev.sha256 == hashlib.sha256(data).hexdigest()
    files = stored_files(settings)
    assert len(files) == 1 and files[0].read_bytes() == data
    stem = files[0].name.rsplit(".", 1)[0]
    assert len(stem) == 32 and int(stem, 16) >= 0  # a generated name, not the user's
    assert files[0].suffix == "." + name.rsplit(".", 1)[1].lower()
    dl = api.as_(world.city_leader).get(body["download_url"])
    assert dl.status_code == 200 and b"".join(dl.streaming_content) == data
    assert dl["Content-Type"] == detected
    assert dl["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in dl["Content-Disposition"]


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\bao-cao.pdf", "bao-cao.pdf"),
        ("C:\\Users\\cb\\Desktop\\quyet-dinh.pdf", "quyet-dinh.pdf"),
        ("bao\x00cao\r\n.pdf", "baocao.pdf"),
        ("tai\x1b[31mlieu\u202efdp.pdf", "tai[31mlieufdp.pdf"),
        ("  .bao-cao.pdf.  ", "bao-cao.pdf"),
    ],
)
def test_path_separators_and_control_characters_never_reach_the_disk(world, settings, given, cleaned):
    task = world.task("in_progress")
    ev = services.evidence_add(actor=world.official, task=task, file=samples.upload(given, samples.pdf()))
    assert ev.original_name == cleaned
    files = stored_files(settings)
    assert len(files) == 1
    assert files[0].is_relative_to(settings.MEDIA_ROOT / "evidence")
    assert files[0].name != cleaned and files[0].suffix == ".pdf"
    assert ev.file.name == str(files[0].relative_to(settings.MEDIA_ROOT))


def test_a_long_name_keeps_its_extension(world, settings):
    """Vietnamese document titles are long: a name cut to fit must still say what it is."""
    task = world.task("in_progress")
    name = "Quyết định công bố danh mục thủ tục hành chính " * 6 + ".pdf"
    assert len(name) > 200
    ev = services.evidence_add(actor=world.official, task=task, file=samples.upload(name, samples.pdf()))
    assert ev.original_name.endswith(".pdf") and len(ev.original_name) <= 200
    assert ev.original_name.startswith("Quyết định công bố")


def test_a_name_with_nothing_usable_is_refused(world, settings):
    task = world.task("in_progress")
    with pytest.raises(ValidationError) as exc:
        services.evidence_add(
            actor=world.official, task=task, file=samples.upload("\x00\x01..", samples.pdf())
        )
    assert "file" in exc.value.message_dict
    assert not Evidence.objects.exists() and stored_files(settings) == []


def test_evidence_is_frozen_once_the_task_is_approved(world, api, settings):
    task = world.task("approved")
    ev = task.evidence.get()
    official = api.as_(world.official)
    assert official.delete(f"/api/tasks/{task.pk}/evidence/{ev.pk}/").status_code == 409
    assert post(official, task, pdf_file()).status_code == 409
    assert list(task.evidence.values_list("pk", flat=True)) == [ev.pk]
    assert len(stored_files(settings)) == 1
    # Readable still.
    assert official.get(f"/api/tasks/{task.pk}/evidence/{ev.pk}/download/").status_code == 200
    # Reopened, it can change again.
    services.task_reopen(actor=world.city_leader, task=task, reason="Bổ sung")
    assert post(official, task, pdf_file("bo-sung.pdf")).status_code == 201


@pytest.mark.parametrize("state", ["draft", "submitted", "cancelled"])
def test_evidence_cannot_be_added_outside_open_states(world, api, settings, state):
    task = world.task(state)
    count = task.evidence.count()
    r = post(api.as_(world.official), task, pdf_file())
    # A draft is not the assignee unit's yet: it does not exist for them (SPEC §1).
    assert r.status_code == (404 if state == "draft" else 409)
    assert task.evidence.count() == count
    assert len(stored_files(settings)) == count


def test_deleting_evidence_removes_the_file_after_commit(
    world, api, settings, django_capture_on_commit_callbacks
):
    task = world.task("in_progress")
    ev = services.evidence_add(actor=world.official, task=task, file=pdf_file())
    assert len(stored_files(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        r = api.as_(world.official).delete(f"/api/tasks/{task.pk}/evidence/{ev.pk}/")
    assert r.status_code == 204
    assert not Evidence.objects.exists() and stored_files(settings) == []
    removed = task.events.get(action="evidence_removed")
    assert removed.actor == world.official and removed.data["sha256"] == ev.sha256


def test_download_is_only_through_the_checked_view(world, api, settings):
    task = world.task("in_progress")
    ev = services.evidence_add(actor=world.official, task=task, file=pdf_file())
    url = f"/api/tasks/{task.pk}/evidence/{ev.pk}/download/"
    assert api.as_(world.stranger).get(url).status_code == 404
    assert api.as_(world.other_official).get(url).status_code == 404
    # The evidence of one task is not reachable under another task the user can see.
    other = world.task("in_progress", unit=world.other_commune)
    assert (
        api.as_(world.city_leader).get(f"/api/tasks/{other.pk}/evidence/{ev.pk}/download/").status_code == 404
    )
    # The storage path is never exposed.
    body = api.as_(world.official).get(f"/api/tasks/{task.pk}/evidence/{ev.pk}/").json()
    assert "file" not in body and ev.file.name not in str(body)


def test_the_task_metric_is_the_one_of_its_latest_evidence_carrying_one(world, api):
    task = world.task("in_progress")
    official = api.as_(world.official)
    t0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)

    def add(value, hours, name="a.pdf"):
        return services.evidence_add(
            actor=world.official,
            task=task,
            file=pdf_file(name),
            metric_value=value,
            now=t0 + dt.timedelta(hours=hours),
        )

    assert official.get(f"/api/tasks/{task.pk}/").json()["metric_value"] is None
    first = add(Decimal("92.50"), 1)
    assert Task.objects.get(pk=task.pk).metric_value == Decimal("92.50")
    add(None, 2)  # evidence without a figure leaves the metric alone
    assert Task.objects.get(pk=task.pk).metric_value == Decimal("92.50")
    latest = add(Decimal("97.50"), 3)
    assert official.get(f"/api/tasks/{task.pk}/").json()["metric_value"] == "97.50"
    # Through the API too, with the figure as a form field.
    r = post(official, task, pdf_file(), metric_value="98.25")
    assert r.status_code == 201 and r.json()["metric_value"] == "98.25"
    assert official.get(f"/api/tasks/{task.pk}/").json()["metric_value"] == "98.25"
    services.evidence_delete(actor=world.official, evidence=Evidence.objects.get(pk=r.json()["id"]))
    assert Task.objects.get(pk=task.pk).metric_value == Decimal("97.50")
    # Removing the latest one falls back to the one before it that carries a figure.
    services.evidence_delete(actor=world.official, evidence=latest)
    assert Task.objects.get(pk=task.pk).metric_value == Decimal("92.50")
    services.evidence_delete(actor=world.official, evidence=first)
    assert Task.objects.get(pk=task.pk).metric_value is None


@pytest.mark.parametrize("value", ["-1", "abc", "1e12", "12.345"])
def test_a_bad_metric_value_is_a_field_error(world, api, settings, value):
    task = world.task("in_progress")
    r = post(api.as_(world.official), task, pdf_file(), metric_value=value)
    assert r.status_code == 400 and "metric_value" in r.json()
    assert not Evidence.objects.exists() and stored_files(settings) == []


def test_evidence_added_is_in_the_history(world):
    task = world.task("in_progress")
    ev = services.evidence_add(actor=world.official, task=task, file=pdf_file(), metric_value=Decimal("80"))
    event = TaskEvent.objects.get(task=task, action="evidence_added")
    assert event.actor == world.official
    assert event.data["evidence"] == ev.pk and event.data["sha256"] == ev.sha256
    assert event.data["metric_value"] == "80"
