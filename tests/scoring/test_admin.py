"""The scoring admin looks rows up; writes that feed the scores go through the services (which recompute)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.test import Client

from scoring.models import Appraisal
from scoring.services import appraisal_set
from tests.factories import criteria_set_from, user
from tests.scoring.sets import SET_2026

pytestmark = pytest.mark.django_db


def test_appraisals_are_looked_up_but_neither_edited_nor_deleted_in_the_admin(world):
    cs = criteria_set_from(SET_2026)
    appraiser = user("thamdinh", memberships=[(world.province, "appraiser")])
    appraisal = appraisal_set(actor=appraiser, criteria_set=cs, unit=world.commune, code="1.5", points=D(4))
    web = Client()
    web.force_login(world.admin)
    base = "/admin/scoring/appraisal/"
    assert web.get(base).status_code == 200
    assert web.get(f"{base}{appraisal.pk}/change/").status_code == 200
    assert web.get(f"{base}{appraisal.pk}/delete/").status_code == 403
    assert web.post(f"{base}{appraisal.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Appraisal.objects.filter(pk=appraisal.pk).exists()
