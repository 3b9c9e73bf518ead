"""Reads for scoring: ranking tables and score breakdowns, and who may see them (the sets and their trees
are read through `criteria.selectors`).

SPEC §1: criteria sets and ranking tables are visible to every signed-in user; a unit's breakdown only to
users holding a membership (any role) in that unit or one of its ancestors, and to superusers.

The breakdowns are `selectors.unit_breakdown`, the round's reads (its progress, a unit's score sheet,
the published versions) `selectors.round`; both are re-exported here.

Every read here takes a constant number of queries, whatever the number of units, criteria or tasks: the
web pages, the API and the XLSX export all build on these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import F, QuerySet

from criteria.models import CriteriaSet, Criterion
from org.models import Unit
from tasks.models import Task, TaskState

from ..models import PublishedResult, PublishedScore, UnitScore
from ..rules import CriteriaTree, NodeDef

#: Tasks that count nowhere (SPEC §2), in the scores as on the dashboard: drafts are not yet assigned to the
#: unit, cancelled ones never count.
UNCOUNTED_STATES = (TaskState.DRAFT, TaskState.CANCELLED)


# --- Shared by the recompute and the reads ---------------------------------------------------------------


def scored_tasks(*, criteria_set: CriteriaSet, unit_ids: Iterable[int], today: dt.date | None = None):
    """The tasks scoring reads for these units: assigned to them, in plans bound to the set, neither draft
    nor cancelled. With `today`, annotated with `status_code` (on_time, late, overdue, pending)."""
    qs = Task.objects.filter(plan__criteria_set=criteria_set, assignee_unit_id__in=list(unit_ids)).exclude(
        state__in=UNCOUNTED_STATES
    )
    return qs.with_status(today) if today is not None else qs


def scored_units(cs: CriteriaSet) -> QuerySet[Unit]:
    """The units scored on a criteria set (SPEC §3): the units of its kind in its owner unit's subtree, or
    every unit of the kind in the country when the set has no owner."""
    qs = Unit.objects.filter(kind=cs.unit_kind)
    if cs.owner_unit_id is not None:
        qs = qs.subtree_of([cs.owner_unit])
    return qs


def is_scored_on(cs: CriteriaSet, unit: Unit) -> bool:
    """Is this unit scored on the set (its kind, below its owner)? No query."""
    if unit.kind != cs.unit_kind:
        return False
    return cs.owner_unit_id is None or cs.owner_unit_id in unit.ancestor_ids()


def previous_set(*, unit_kind: str, year: int, owner_unit_id: int | None = None) -> CriteriaSet | None:
    """The set a delta compares with: the latest imported set of the same unit kind and owner unit (none
    for a nationwide set) for `year - 1`."""
    qs = CriteriaSet.objects.filter(unit_kind=unit_kind, year=year - 1, owner_unit_id=owner_unit_id)
    return qs.order_by("-created_at", "-id").first()


def previous_set_of(cs: CriteriaSet) -> CriteriaSet | None:
    return previous_set(unit_kind=cs.unit_kind, year=cs.year, owner_unit_id=cs.owner_unit_id)


def previous_totals(previous: CriteriaSet, unit_ids: list[int]) -> dict[int, Decimal]:
    """The units' totals on last year's set, as a delta compares with them: its published totals (the latest
    version) once that set is published, else its live totals."""
    published = latest_result(previous)
    if published is not None:
        rows = PublishedScore.objects.filter(result=published, unit_id__in=unit_ids)
    else:
        rows = UnitScore.objects.filter(criteria_set=previous, unit_id__in=unit_ids)
    return dict(rows.values_list("unit_id", "total"))


def latest_result(cs: CriteriaSet) -> PublishedResult | None:
    """The set's latest published version, or None when it was never published (or is being corrected,
    its state back in final appraisal: the last version stays the published one until republished)."""
    return PublishedResult.objects.filter(criteria_set=cs).order_by("-version").first()


def scoring_tree(criteria: Iterable[Criterion]) -> CriteriaTree:
    """A set's tree as the rules roll it up, checked, from its criteria (read with their parents)."""
    return CriteriaTree(
        NodeDef(c.code, c.max_points, c.part, c.parent.code if c.parent_id else None) for c in criteria
    )


# --- Ranking -----------------------------------------------------------------------------------------------


def _by_peer_group(qs, parent_unit: Unit | int | None):
    """Score rows (live or published) with their unit and peer group loaded, grouped by peer group (the
    parent unit's code, top-level units first), each group by rank then unit code; one group only with
    `parent_unit`."""
    qs = qs.select_related("unit", "parent_unit")
    if parent_unit is not None:
        qs = qs.filter(parent_unit_id=getattr(parent_unit, "pk", parent_unit))
    return qs.order_by(
        F("parent_unit__code").asc(nulls_first=True), F("rank").asc(nulls_last=True), "unit__code"
    )


def ranking(*, criteria_set: CriteriaSet, parent_unit: Unit | int | None = None) -> QuerySet[UnitScore]:
    """The ranking table: one UnitScore per unit scored on the set, by peer group (same parent unit) and
    rank (`_by_peer_group`). One query, however many units."""
    return _by_peer_group(UnitScore.objects.filter(criteria_set=criteria_set), parent_unit)


def published_ranking(*, result: PublishedResult, parent_unit: Unit | int | None = None):
    """A published version's ranking table, ordered as `ranking` (PublishedScore rows): one query."""
    return _by_peer_group(PublishedScore.objects.filter(result=result), parent_unit)


#: A published ranking row as the API gives it: (field name, stored column), in the order of
#: `published_ranking_rows`.
PUBLISHED_ROW = (
    ("unit", "unit_id"),
    ("unit_code", "unit_code"),
    ("unit_name", "unit_name"),
    ("parent", "parent_unit_id"),
    *((name, name) for name in PublishedScore.FROZEN_FIELDS[1:-1]),
    ("class", "class_label"),
)
PUBLISHED_ROW_FIELDS = tuple(name for name, _column in PUBLISHED_ROW)


def published_ranking_rows(*, result: PublishedResult, parent_unit: Unit | int | None = None):
    """A published version's rows as plain tuples in `PUBLISHED_ROW_FIELDS` order, with the names as
    published (no join): what the API pages through, by peer group (parent unit id), then rank and unit
    code. One query, however many units."""
    qs = PublishedScore.objects.filter(result=result)
    if parent_unit is not None:
        qs = qs.filter(parent_unit_id=getattr(parent_unit, "pk", parent_unit))
    order = (F("parent_unit_id").asc(nulls_first=True), F("rank").asc(nulls_last=True), "unit_code")
    return qs.order_by(*order).values_list(*(column for _name, column in PUBLISHED_ROW))


def peer_groups(*, criteria_set: CriteriaSet) -> QuerySet[Unit]:
    """The parent units of the set's peer groups (for a filter), by code."""
    return Unit.objects.filter(
        pk__in=UnitScore.objects.filter(criteria_set=criteria_set).values("parent_unit_id")
    ).order_by("code")


def appraisal_history(*, criteria_set, unit, limit: int = 50) -> list:
    """The audit entries of a unit's appraisal and survey points on a set, newest first (the appraisal
    page shows who changed which leaf, from what to what)."""
    from org.models import AuditAction, AuditEntry

    return list(
        AuditEntry.objects.about(criteria_set)
        .filter(unit=unit, action__in=[AuditAction.APPRAISAL_SAVED, AuditAction.SURVEY_IMPORTED])
        .select_related("actor")[:limit]
    )


# The breakdowns' and the round's reads, under the one `scoring.selectors` name callers use.
from .round import (  # noqa: E402, F401
    ProgressRow,
    Sheet,
    SheetLeaf,
    is_published,
    published_result,
    published_results,
    round_history,
    round_progress,
    round_read,
    round_sheets_owed,
    round_unit_counts,
    self_assessment_read,
    self_assessment_sheet,
)
from .unit_breakdown import (  # noqa: E402, F401
    Breakdown,
    LinkedTask,
    NodeScore,
    breakdown,
    breakdowns,
    units_with_visible_breakdown,
)
