"""The survey template (Điều tra xã hội học) names each unit beside its code, in a last column the import
ignores: the template filled in as downloaded imports, and so does a file in the old three-column format."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scoring.models import SurveyResult
from tests.factories import criteria_set_from, user
from tests.scoring.sets import SET_2026

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(world):
    cs = criteria_set_from(SET_2026)
    appraiser = user("thamdinh", memberships=[(world.province, "appraiser")])
    return cs, appraiser


def _template(web, appraiser, cs) -> list[list[str]]:
    r = web.as_(appraiser).get(f"/appraisal/{cs.pk}/survey/template.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_the_template_names_each_unit_beside_its_code(world, web, survey):
    cs, appraiser = survey
    rows = _template(web, appraiser, cs)
    assert rows[0] == ["unit_code", "criterion_code", "points", "unit_name"]
    names = {code: name for code, _c, _p, name in rows[1:]}
    assert names["X01"] == "Phường Đồng Tâm" and names["X02"] == "Xã Tân Thịnh"
    assert all(points == "" for _u, _c, points, _n in rows[1:])


@pytest.mark.parametrize("columns", [4, 3], ids=["as downloaded, with the names", "the old three columns"])
def test_the_filled_in_template_imports_with_or_without_the_names(world, web, api, survey, columns):
    cs, appraiser = survey
    rows = _template(web, appraiser, cs)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0][:columns])
    filled = {}
    for n, row in enumerate(rows[1:]):
        if row[1] == "3.1":
            row[2] = str(5 + n % 3)
            filled[row[0]] = int(row[2])
            writer.writerow(row[:columns])
    assert {"X01", "X02"} <= set(filled)
    upload = SimpleUploadedFile("dieu-tra.csv", out.getvalue().encode())
    r = api.as_(appraiser).post(f"/api/criteria-sets/{cs.pk}/survey/", {"file": upload}, format="multipart")
    assert r.status_code == 200, r.json()
    got = dict(SurveyResult.objects.filter(criterion__code="3.1").values_list("unit__code", "points"))
    assert got == filled

    # And through the page's two steps (upload, preview, confirm) as an appraiser does it.
    SurveyResult.objects.all().delete()
    page = web.as_(appraiser)
    url = f"/appraisal/{cs.pk}/survey/"
    upload = SimpleUploadedFile("dieu-tra.csv", out.getvalue().encode(), content_type="text/csv")
    r = page.post(url, {"file": upload})
    assert r.status_code == 200 and "Xác nhận nhập" in r.content.decode()
