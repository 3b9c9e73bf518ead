"""A stored evidence file that went missing (lost disk, database restored without media) answers 404 with a
message, on the API and the page, never a 500."""

import pytest

from tasks import services
from tests.factories import pdf_file

pytestmark = pytest.mark.django_db


def test_a_missing_evidence_file_answers_404_not_500(world, api, client):
    task = world.task("in_progress")
    evidence = services.evidence_add(actor=world.official, task=task, file=pdf_file(), doc_number="01/BC")
    evidence.file.storage.delete(evidence.file.name)

    r = api.as_(world.official).get(f"/api/tasks/{task.pk}/evidence/{evidence.pk}/download/")
    assert r.status_code == 404
    assert (
        "missing" in r.json()["detail"] or "thiếu" in r.json()["detail"] or "không còn" in r.json()["detail"]
    )

    client.force_login(world.official)
    page = client.get(f"/tasks/{task.pk}/evidence/{evidence.pk}/download/")
    assert page.status_code == 404
