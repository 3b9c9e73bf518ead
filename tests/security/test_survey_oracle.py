"""A survey import tells an appraiser nothing about units outside their subtree (SPEC §1): a code that
exists elsewhere and a code that exists nowhere are refused with the same words, as a row error (400), the
whole file with them; nothing is written. Through the API and the upload page alike."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from org.models import UnitKind
from scoring.models import SurveyResult
from tests.factories import criteria_set_from, unit, user
from tests.scoring.sets import SET_2026

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HEADER = "unit_code,criterion_code,points\n"


@pytest.fixture
def s(world):
    world.cs = criteria_set_from(SET_2026)
    # an appraiser of Lục Yên district only: X99 is theirs; X01, X02 (Yên Bái city) are not
    world.far_appraiser = user("thamdinh.ly", memberships=[(world.elsewhere, "appraiser")])
    return world


def post(api, s, rows: str):
    upload = SimpleUploadedFile("khao-sat.csv", (HEADER + rows).encode())
    return api.as_(s.far_appraiser).post(
        f"/api/criteria-sets/{s.cs.pk}/survey/", {"file": upload}, format="multipart", **EN
    )


def test_a_unit_elsewhere_and_an_unknown_code_answer_alike(s, api):
    elsewhere = post(api, s, "X01,3.1,10\n")
    nowhere = post(api, s, "X77,3.1,10\n")

    assert elsewhere.status_code == nowhere.status_code == 400
    assert elsewhere.json() == {"file": ["row 2: unit 'X01' is not a unit you appraise"]}
    assert nowhere.json() == {"file": ["row 2: unit 'X77' is not a unit you appraise"]}
    # a unit elsewhere of another kind is not told apart either ("not scored on this set" would say it exists)
    district = post(api, s, "C01,3.1,10\n")
    assert district.status_code == 400
    assert district.json() == {"file": ["row 2: unit 'C01' is not a unit you appraise"]}
    assert not SurveyResult.objects.exists()


def test_one_unit_elsewhere_refuses_the_whole_file(s, api):
    r = post(api, s, "X99,3.1,10\nX01,3.1,10\nX99,3.2,5\n")

    assert r.status_code == 400
    assert r.json() == {"file": ["row 3: unit 'X01' is not a unit you appraise"]}
    assert not SurveyResult.objects.exists()  # not even the appraiser's own X99


def test_inside_the_subtree_the_import_still_says_what_is_wrong(s, api):
    unit("X98", kind=UnitKind.DISTRICT, parent=s.elsewhere, name="Thị trấn")  # theirs, not a commune
    r = post(api, s, "X98,3.1,10\n")
    assert r.status_code == 400 and r.json() == {"file": ["row 2: unit X98 is not scored on this set"]}
    r = post(api, s, "X99,3.1,10\n")
    assert r.status_code == 200 and r.json()["rows"] == 1


def test_the_upload_page_answers_alike(s):
    web = Client()
    web.force_login(s.far_appraiser)
    page = f"/appraisal/{s.cs.pk}/survey/"
    answers = []
    for code in ("X01", "X77"):
        upload = SimpleUploadedFile("khao-sat.csv", f"{HEADER}{code},3.1,10\n".encode())
        r = web.post(page, {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
        assert r.status_code == 400
        html = r.content.decode()
        assert f"row 2: unit &#x27;{code}&#x27; is not a unit you appraise" in html
        answers.append(
            re.sub(r'value="[0-9A-Za-z]{64}"', "", html).replace(code, "CODE")
        )  # not the CSRF tokens
    assert answers[0] == answers[1]
    assert not SurveyResult.objects.exists()
