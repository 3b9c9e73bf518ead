"""Ranking: units within each peer group (same set, same parent) by percent."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from criteria.models import CriteriaSet

from ..models import UnitScore
from ..rules import competition_ranks


@transaction.atomic
def ranks_recompute(*, criteria_set: CriteriaSet, parent_ids: set, all_groups: bool = False) -> int:
    """Rank units within each peer group (same set, same parent) by percent: 1, 1, 3. Returns rows changed.

    The group's rows are locked in unit order, the order score upserts take, so two jobs never deadlock."""
    qs = UnitScore.objects.filter(criteria_set=criteria_set)
    if not all_groups:
        with_parent = [p for p in parent_ids if p is not None]
        cond = Q(parent_unit_id__in=with_parent)
        if None in parent_ids:
            cond |= Q(parent_unit__isnull=True)
        qs = qs.filter(cond)
    groups: dict[int | None, list[tuple[int, Decimal, int | None]]] = defaultdict(list)
    for pk, parent, percent, rank in (
        qs.order_by("unit_id").select_for_update().values_list("pk", "parent_unit_id", "percent", "rank")
    ):
        groups[parent].append((pk, percent, rank))
    changed = []
    for rows in groups.values():
        for (pk, _percent, old), new in zip(rows, competition_ranks([r[1] for r in rows]), strict=True):
            if old != new:
                changed.append(UnitScore(pk=pk, rank=new))
    UnitScore.objects.bulk_update(changed, ["rank"], batch_size=2000)
    return len(changed)
