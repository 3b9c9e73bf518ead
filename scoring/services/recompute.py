"""Recomputing scores: requesting one, the batch recompute, and the full, parallel and nightly paths.

Scores are derived rows. `scores_recompute` rebuilds them from the source rows (tasks, survey results,
appraisals) for a batch of units with a handful of aggregate queries, calls the pure rules
(`scoring.rules`) and upserts the results; it is idempotent, so the incremental path (a Celery job per
changed unit), the full recompute command and the nightly reconciliation all give the same numbers.

Steps of a batch, one module each: `_inputs` reads the source rows in bulk, `_rows` scores them into rows
in memory, `_upsert` writes them (the one place that knows the database vendor). This module locks, orders
the batches, re-ranks and keeps the deltas of next year's sets.

`BATCH` and `_recompute_batch` are read at call time: the fault tests' worker (tests/faults/worker_app.py)
sets and wraps them on this module.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from criteria.models import CriteriaSet

from .. import jobs
from ..models import LeafScore, Round, RoundState, UnitScore
from ..selectors import latest_result, previous_set, previous_set_of, scored_units
from ._inputs import Context, batch_inputs, set_leaves
from ._rows import unit_row
from ._upsert import UNIT_COLUMNS, scores_upsert
from .ranking import ranks_recompute

#: The name the reconciliation always logged under (before the services became a package).
log = logging.getLogger("scoring.services")
BATCH = 500
#: What the reconciliation compares and reports: a unit's published scores.
SNAPSHOT_FIELDS = UnitScore.SCORE_FIELDS
_TOTAL = UNIT_COLUMNS.index("total")


# --- Requesting ----------------------------------------------------------------------------------------


def scores_request(*, criteria_set_id: int, unit_ids: Iterable[int]) -> None:
    """Queue a recompute of these units after commit (done by a worker within seconds). The write that
    asked for it is committed whatever happens: should the broker be down, the failure is logged (not
    raised into the user's request) and the nightly reconciliation brings the scores up to date. All the
    requests made inside `scores_requests_batched` send one job per criteria set, for their units' union."""
    ids = set(unit_ids)
    if not ids:
        return
    batch = _BATCH.get()
    if batch is not None:  # inside `scores_requests_batched`: sent once when it ends
        batch.setdefault(criteria_set_id, set()).update(ids)
        return
    _send_after_commit({criteria_set_id: ids})


def _send_after_commit(batch: dict[int, set[int]]) -> None:
    def send() -> None:
        for set_id, units in batch.items():
            jobs.recompute_units(set_id, sorted(units))

    if batch:
        transaction.on_commit(send, robust=True)


_BATCH: ContextVar[dict[int, set[int]] | None] = ContextVar("scores_batch", default=None)


@contextmanager
def scores_requests_batched():
    """Requests made inside (N appraisals saved at once, a batch of rows) become ONE recompute job per
    criteria set, for the union of their units, queued after commit when the block ends without error. A
    nested block joins the outer one."""
    if _BATCH.get() is not None:
        yield
        return
    batch: dict[int, set[int]] = {}
    token = _BATCH.set(batch)
    try:
        yield
    finally:
        _BATCH.reset(token)
    _send_after_commit(batch)


# --- One batch -----------------------------------------------------------------------------------------


def _dependent_sets(cs: CriteriaSet) -> list[CriteriaSet]:
    """The sets whose delta reads `cs`'s live totals: next year's sets of the same unit kind and owner, when
    `cs` is the set `previous_set` picks for them (the latest imported of its year) and has no published
    version (then they read that, which a recompute never changes)."""
    latest = previous_set(unit_kind=cs.unit_kind, year=cs.year + 1, owner_unit_id=cs.owner_unit_id)
    if latest is None or latest.pk != cs.pk or latest_result(cs) is not None:
        return []
    return list(
        CriteriaSet.objects.filter(unit_kind=cs.unit_kind, year=cs.year + 1, owner_unit_id=cs.owner_unit_id)
    )


def _units_lock(cs: CriteriaSet, unit_ids: list[int]) -> list[tuple[int, int | None]]:
    """(unit id, parent id) of the batch's units scored on `cs`, locked in id order.

    Serialises recomputes of the same unit: a job that read older task rows can then never overwrite the
    result of one that read newer rows. FOR NO KEY UPDATE does not block inserts that reference the units."""
    return list(
        scored_units(cs)
        .filter(pk__in=unit_ids)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", "parent_id")
    )


@transaction.atomic
def _recompute_batch(ctx: Context, unit_ids: list[int]) -> tuple[set, int]:
    """Recompute and upsert the scores of one batch of units. Returns the parent ids whose peer groups
    need re-ranking (the current ones and those the units had when last scored) and how many units of the
    batch are scored on the set."""
    cs = ctx.cs
    units = _units_lock(cs, unit_ids)
    unit_ids = [u for u, _p in units]
    parents = {p for _u, p in units}
    if not unit_ids:
        return parents, 0
    parents |= set(
        UnitScore.objects.filter(criteria_set=cs, unit_id__in=unit_ids).values_list(
            "parent_unit_id", flat=True
        )
    )
    inputs = batch_inputs(ctx, unit_ids)
    leaf_rows: list[tuple] = []
    unit_rows = [unit_row(ctx, inputs, unit_id, parent_id, leaf_rows) for unit_id, parent_id in units]
    scores_upsert(criteria_set=cs, leaf_rows=leaf_rows, unit_rows=unit_rows)
    totals_now = {row[0]: row[_TOTAL] for row in unit_rows}
    for dependent in ctx.dependents:
        _deltas_write(dependent, totals_now)
    return parents, len(units)


def _deltas_write(cs: CriteriaSet, previous_totals: dict[int, Decimal | None]) -> int:
    """Set the delta of these units' scores on `cs` from their previous-year totals (None: no score)."""
    changed = []
    for pk, unit_id, total, delta in UnitScore.objects.filter(
        criteria_set=cs, unit_id__in=list(previous_totals)
    ).values_list("pk", "unit_id", "total", "delta"):
        prev = previous_totals[unit_id]
        new = None if prev is None else total - prev
        if new != delta:
            changed.append(UnitScore(pk=pk, delta=new))
    UnitScore.objects.bulk_update(changed, ["delta"], batch_size=2000)
    return len(changed)


# --- Whole sets and the nightly reconciliation ----------------------------------------------------------


def _drop_unscored(cs: CriteriaSet, unit_ids: set[int] | None, dependents: list[CriteriaSet]) -> set:
    """Delete the score rows of units no longer scored on `cs` (their kind changed, or they moved out of
    the owner unit's subtree): among `unit_ids`, or all of them when None. Returns the parent ids of the
    peer groups they leave."""
    qs = UnitScore.objects.filter(criteria_set=cs).exclude(unit__in=scored_units(cs))
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    gone = list(qs.values_list("unit_id", "parent_unit_id"))
    if not gone:
        return set()
    ids = [u for u, _p in gone]
    with transaction.atomic():
        LeafScore.objects.filter(criteria_set=cs, unit_id__in=ids).delete()
        UnitScore.objects.filter(criteria_set=cs, unit_id__in=ids).delete()
        for dependent in dependents:
            _deltas_write(dependent, dict.fromkeys(ids))
    return {p for _u, p in gone}


def scores_recompute(
    *,
    criteria_set: CriteriaSet,
    unit_ids: Iterable[int] | None = None,
    now=None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Recompute the scores of the given units (all scored units when None) from the source rows, re-rank
    their peer groups and refresh the deltas of next year's sets that compare with them. Idempotent: any
    number of runs, in any order, leave the same rows. Returns the number of units recomputed;
    `progress(n)` is called after each batch of n units.

    Once the set's round is published its live scores stop changing (SPEC §3a): nothing is recomputed and
    0 is returned; the published rows are never touched by a recompute in any state.

    Queries: a fixed handful per run plus about ten per batch of `BATCH` units, however many tasks."""
    now = now or timezone.now()
    if is_frozen(criteria_set):
        return 0
    leaves, tree = set_leaves(criteria_set)
    ctx = Context(
        cs=criteria_set,
        leaves=leaves,
        tree=tree,
        today=timezone.localdate(now),
        now=now,
        previous=previous_set_of(criteria_set),
        dependents=_dependent_sets(criteria_set),
    )
    if unit_ids is None:
        requested = None
        units = list(scored_units(criteria_set).order_by("pk").values_list("pk", flat=True))
    else:
        requested = set(unit_ids)
        units = sorted(requested)
    parents = _drop_unscored(criteria_set, requested, ctx.dependents)
    done = 0
    for start in range(0, len(units), BATCH):
        batch = units[start : start + BATCH]
        batch_parents, scored = _recompute_batch(ctx, batch)
        parents |= batch_parents
        done += scored
        if progress:
            progress(len(batch))
    ranks_recompute(criteria_set=criteria_set, parent_ids=parents, all_groups=unit_ids is None)
    return done


def is_frozen(cs: CriteriaSet) -> bool:
    """Is the set's round published, so that its live scores no longer move?"""
    return Round.objects.filter(criteria_set=cs, state=RoundState.PUBLISHED).exists()


def scores_recompute_chunks(*, criteria_set: CriteriaSet, size: int | None = None) -> list[list[int]]:
    """Prepare a full recompute done in parallel: drop the scores of units no longer scored on the set
    (re-ranking the groups they leave) and cut the scored units into chunks of about `size` units along
    peer groups (same parent). A chunk holds whole peer groups, so `scores_recompute(unit_ids=chunk)` ranks
    them completely by itself, and two chunks never wait on each other's row locks. `size` defaults to
    settings.SCORING_PARALLEL_UNITS: a set of at most that many units makes one chunk."""
    size = size or settings.SCORING_PARALLEL_UNITS
    if is_frozen(criteria_set):
        return []
    dependents = _dependent_sets(criteria_set)
    left = _drop_unscored(criteria_set, None, dependents)
    if left:
        ranks_recompute(criteria_set=criteria_set, parent_ids=left)
    groups: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in scored_units(criteria_set).order_by("parent_id", "pk").values_list("pk", "parent_id"):
        groups[parent].append(pk)
    chunks: list[list[int]] = []
    current: list[int] = []
    for parent in sorted(groups, key=lambda p: (p is None, p or 0)):
        if current and len(current) + len(groups[parent]) > size:
            chunks.append(current)
            current = []
        current.extend(groups[parent])
    if current:
        chunks.append(current)
    return chunks


def score_snapshot(criteria_set: CriteriaSet) -> dict:
    """What a unit's published scores are now, to compare before and after a reconciliation."""
    return {
        row[0]: row[1:]
        for row in UnitScore.objects.filter(criteria_set=criteria_set).values_list(
            "unit_id", *SNAPSHOT_FIELDS
        )
    }


def scores_reconcile(*, criteria_set: CriteriaSet, now=None) -> list[int]:
    """The nightly safety net: recompute everything and report the units whose scores had to change (a
    day passing turns pending tasks overdue, and calendar edits move effective due dates, so some change
    is expected; each one is logged with what changed)."""
    before = score_snapshot(criteria_set)
    scores_recompute(criteria_set=criteria_set, now=now)
    after = score_snapshot(criteria_set)
    changed = sorted(u for u in set(after) | set(before) if before.get(u) != after.get(u))
    if changed:
        details = []
        for unit_id in changed[:50]:
            old, new = before.get(unit_id), after.get(unit_id)
            diff = {
                name: (None if old is None else old[i], None if new is None else new[i])
                for i, name in enumerate(SNAPSHOT_FIELDS)
                if (old is None or new is None or old[i] != new[i])
            }
            details.append(f"unit {unit_id}: {diff}")
        log.warning(
            "reconcile %s: %d unit(s) changed:\n%s", criteria_set.code, len(changed), "\n".join(details)
        )
    return changed
