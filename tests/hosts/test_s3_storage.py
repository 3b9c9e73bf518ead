"""Evidence on S3-compatible storage (issue 17 part 4): with only the settings' environment variables, files
uploaded through the task page land in the bucket, come back byte for byte through the permission-checked
download, are refused to another unit's official, and are never readable from the bucket without keys."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from django.core.files.storage import default_storage

from tasks.models import Evidence
from tests.factories import MINIMAL_PDF
from tests.hosts.conftest import settings_from_env
from tests.tasks import samples

pytestmark = pytest.mark.django_db

KEYS = {"AWS_ACCESS_KEY_ID": "reform-test", "AWS_SECRET_ACCESS_KEY": "reform-test-secret"}


@pytest.fixture
def bucket(s3_server, settings):
    """A fresh private bucket on the S3 server, and the default storage configured for it from the
    environment variables of docs/deploy.md (computed by config.settings itself)."""
    name = f"evidence-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **_boto_keys())
    client.create_bucket(Bucket=name)
    default = settings_from_env(
        'settings.STORAGES["default"]',
        AWS_STORAGE_BUCKET_NAME=name,
        AWS_S3_ENDPOINT_URL=s3_server,
        AWS_S3_REGION_NAME="us-east-1",
        **KEYS,
    )
    assert default["BACKEND"] == "config.storage.EvidenceS3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": default}
    client.name = name
    client.endpoint = s3_server
    return client


def _boto_keys():
    return {
        "aws_access_key_id": KEYS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": KEYS["AWS_SECRET_ACCESS_KEY"],
    }


def anonymous_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (loopback test server)
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def upload(client, task, content: bytes, name: str = "bao-cao.pdf"):
    return client.post(
        f"/tasks/{task.pk}/evidence/",
        {"file": samples.upload(name, content), "doc_number": "12/BC-UBND", "doc_date": "2026-11-20"},
    )


def test_without_a_bucket_evidence_stays_on_the_file_system(settings):
    default = settings_from_env('settings.STORAGES["default"]')
    assert default == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_evidence_goes_to_the_bucket_and_back_through_the_permission_checked_download(
    world, web, bucket, settings
):
    task = world.task("in_progress")
    content = samples.pdf() + b"%" + bytes(range(256)) * 4000  # about 1 MB: past the in-memory spool
    r = upload(web.as_(world.official), task, content)
    assert r.status_code == 302, r.context["evidence_form"].errors
    evidence = Evidence.objects.get(task=task)

    # In the bucket under its generated name, nothing on the local disk.
    stored = bucket.get_object(Bucket=bucket.name, Key=evidence.file.name)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(content).hexdigest() == evidence.sha256
    assert not (settings.MEDIA_ROOT.exists() and any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*")))
    assert default_storage.exists(evidence.file.name)

    # The official and the city's leader download it, byte for byte, with our headers.
    for user in (world.official, world.city_leader):
        page = web.as_(user).get(f"/tasks/{task.pk}/evidence/{evidence.pk}/download/")
        assert page.status_code == 200
        assert b"".join(page.streaming_content) == content
        assert page["Content-Disposition"].startswith("attachment;")
        assert page["X-Content-Type-Options"] == "nosniff"
        assert "Location" not in page  # streamed by Django, no redirect to the bucket

    # The API's download is the same file.
    api_page = web.as_(world.official).get(f"/api/tasks/{task.pk}/evidence/{evidence.pk}/download/")
    assert b"".join(api_page.streaming_content) == content


def test_another_units_official_and_an_anonymous_visitor_get_nothing(world, web, client, bucket):
    task = world.task("in_progress")
    assert upload(web.as_(world.official), task, MINIMAL_PDF).status_code == 302
    evidence = Evidence.objects.get(task=task)
    url = f"/tasks/{task.pk}/evidence/{evidence.pk}/download/"

    assert web.as_(world.other_official).get(url).status_code == 404
    assert web.as_(world.stranger).get(url).status_code == 404
    client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_nothing_in_the_bucket_is_public(world, web, bucket):
    task = world.task("in_progress")
    assert upload(web.as_(world.official), task, MINIMAL_PDF).status_code == 302
    evidence = Evidence.objects.get(task=task)

    # The object's plain URL on the S3 server, without keys: refused.
    assert anonymous_get(f"{bucket.endpoint}/{bucket.name}/{evidence.file.name}") == 403
    grants = bucket.get_object_acl(Bucket=bucket.name, Key=evidence.file.name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert all(g["Grantee"].get("URI", "").endswith("AllUsers") is False for g in grants)
    # The probe can tell: an object written public-read by hand IS readable the same way.
    bucket.put_object(Bucket=bucket.name, Key="probe/public.txt", Body=b"public", ACL="public-read")
    assert anonymous_get(f"{bucket.endpoint}/{bucket.name}/probe/public.txt") == 200


def test_an_object_missing_from_the_bucket_answers_404_with_a_message(world, web, bucket):
    task = world.task("in_progress")
    assert upload(web.as_(world.official), task, MINIMAL_PDF).status_code == 302
    evidence = Evidence.objects.get(task=task)
    bucket.delete_object(Bucket=bucket.name, Key=evidence.file.name)

    page = web.as_(world.official).get(f"/tasks/{task.pk}/evidence/{evidence.pk}/download/")
    assert page.status_code == 404
    api_page = web.as_(world.official).get(f"/api/tasks/{task.pk}/evidence/{evidence.pk}/download/")
    assert api_page.status_code == 404 and "không còn" in api_page.json()["detail"]


def test_deleting_evidence_removes_the_object(world, web, bucket, django_capture_on_commit_callbacks):
    task = world.task("in_progress")
    assert upload(web.as_(world.official), task, MINIMAL_PDF).status_code == 302
    evidence = Evidence.objects.get(task=task)
    key = evidence.file.name
    with django_capture_on_commit_callbacks(execute=True):
        r = web.as_(world.official).post(f"/tasks/{task.pk}/evidence/{evidence.pk}/delete/")
    assert r.status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    listed = bucket.list_objects_v2(Bucket=bucket.name).get("Contents", [])
    assert key not in [o["Key"] for o in listed]
