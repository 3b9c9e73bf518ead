"""Queueing scoring's Celery jobs by name, for the services.

The jobs themselves (`scoring.tasks`) call the services; the services queue them through here, by the
registered name, so neither imports the other. The names are the ones messages in flight carry: keep them.
"""

from __future__ import annotations

from celery import current_app

RECOMPUTE_UNITS = "scoring.recompute_units"
RECOMPUTE_CHUNK = "scoring.recompute_chunk"
RECOMPUTE_SET = "scoring.recompute_set"
RECOMPUTE_FOR_TASK_CHANGE = "scoring.recompute_for_task_change"
RECONCILE_ALL = "scoring.reconcile_all"
ROUND_CYCLE = "scoring.round_cycle"
RENDER_ANNEX = "scoring.render_annex"
ANNOUNCE_RESULTS = "scoring.announce_results"


def recompute_units(criteria_set_id: int, unit_ids: list[int]) -> None:
    """Queue a recompute of some units of a set (after a survey import or an appraisal)."""
    current_app.send_task(RECOMPUTE_UNITS, args=[criteria_set_id, unit_ids])


def recompute_set(criteria_set_id: int) -> None:
    """Queue a recompute of every unit of a set (after the set was imported)."""
    current_app.send_task(RECOMPUTE_SET, args=[criteria_set_id])


def render_annex(result_id: int) -> None:
    """Queue the rendering of a published version's annex (PDF), once, after its publication."""
    current_app.send_task(RENDER_ANNEX, args=[result_id])


def announce_results(criteria_set_id: int) -> None:
    """Queue telling the scored units' leaders that the set's results are published."""
    current_app.send_task(ANNOUNCE_RESULTS, args=[criteria_set_id])
