"""Reads for criteria sets: the list of sets, a set's tree and its scored criteria.

SPEC §1: criteria sets and their criteria are visible to every signed-in user, so nothing here scopes by
user. Each read is one query, whatever the size of the set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from .models import CriteriaSet, Criterion


def criteria_set_list() -> QuerySet[CriteriaSet]:
    """Every criteria set (visible to every signed-in user), newest year first, with its owner unit."""
    return CriteriaSet.objects.select_related("owner_unit").order_by("-year", "code")


def scorable_criteria(*, criteria_set: CriteriaSet) -> QuerySet[Criterion]:
    """The set's scored criteria, the leaves (those with a rule), in document order: the codes a task may
    be linked to, and those scoring computes points for."""
    return criteria_set.criteria.filter(rule__isnull=False).order_by("order", "id")


@dataclass
class CriterionNode:
    """One criterion with its children, for showing a set's tree."""

    id: int
    code: str
    title: str
    max_points: Decimal
    part: str
    rule: dict | None
    depth: int
    children: list[CriterionNode] = field(default_factory=list)


def criteria_tree(*, criteria_set: CriteriaSet) -> list[CriterionNode]:
    """The set's criteria as a tree in document order (one query)."""
    nodes: dict[int, CriterionNode] = {}
    roots: list[CriterionNode] = []
    for c in criteria_set.criteria.order_by("order", "id"):
        node = CriterionNode(c.pk, c.code, c.title, c.max_points, c.part, c.rule, c.depth)
        nodes[c.pk] = node
        if c.parent_id is None:
            roots.append(node)
        else:
            nodes[c.parent_id].children.append(node)
    return roots
