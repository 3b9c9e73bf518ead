"""Issue 15: N appraisals saved in one transaction queue one recompute for their unit set, not N."""

from decimal import Decimal as D
from unittest import mock

import pytest
from django.db import transaction
from django.test import TestCase

from scoring.services import appraisal_set, scores_request, scores_requests_batched
from tests.factories import criteria_set_from, user
from tests.scoring.sets import SET_2025

pytestmark = pytest.mark.django_db


def test_appraisals_saved_together_queue_one_recompute_for_their_units(world):
    appraiser = user("thamdinh", memberships=[(world.province, "appraiser")])
    cs = criteria_set_from(SET_2025)
    with (
        mock.patch("scoring.jobs.recompute_units") as delay,
        TestCase.captureOnCommitCallbacks(execute=True),
        transaction.atomic(),
        scores_requests_batched(),
    ):
        for unit, points in ((world.commune, "60"), (world.other_commune, "52.5"), (world.commune, "61")):
            appraisal_set(actor=appraiser, criteria_set=cs, unit=unit, code="1.1", points=D(points))
    delay.assert_called_once_with(cs.pk, sorted([world.commune.pk, world.other_commune.pk]))


def test_a_batch_ended_by_an_error_sends_nothing_and_requests_outside_are_sent_alone(world):
    with mock.patch("scoring.jobs.recompute_units") as delay, TestCase.captureOnCommitCallbacks(execute=True):
        with pytest.raises(RuntimeError), scores_requests_batched(), transaction.atomic():
            scores_request(criteria_set_id=1, unit_ids=[5])
            raise RuntimeError
        with scores_requests_batched():
            scores_request(criteria_set_id=1, unit_ids=[7])
            scores_request(criteria_set_id=2, unit_ids=[7, 8])
            scores_request(criteria_set_id=1, unit_ids=[9])
        scores_request(criteria_set_id=3, unit_ids=[1])
    assert sorted(c.args for c in delay.call_args_list) == [(1, [7, 9]), (2, [7, 8]), (3, [1])]
