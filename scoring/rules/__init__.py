"""Scoring rules (domain/criteria-format.md): plain values in, points out.

Pure: no ORM, no clock, no I/O. The service layer gathers each leaf's task counts in bulk, calls
`score_leaf` per leaf, applies appraisals with `final_points`, rolls the tree up with `aggregate` and ranks
peers with `competition_ranks`. The full recompute and the incremental path call the same functions, so
they give the same numbers.

Arithmetic is exact: points are Decimals built from their string form, ratios are compared as fractions
(`threshold <= on_time / n` is checked as `threshold * n <= on_time`, never through a rounded quotient).
Only two results can have infinitely many decimals, and both are rounded once, half up, to
`POINTS_PLACES` (4) decimals: `metric_proportional` points (max x value / target) and the percent.

The words of a criteria set (rule types and their families, parts, scopes) and one criterion as the tree
sees it (`NodeDef`) belong to the criteria app (`criteria.definitions`), below this one.

What lives where (callers import from here):
- `numbers`: exact Decimal arithmetic and rounding;
- `leaf`: one leaf's points and reason, by rule family (task rules, metric rules, survey, manual);
- `tree`: rolling a unit's leaf points up a set's criteria tree to its totals and percent;
- `ranks`: competition ranks within a peer group;
- `round`: own points, bonus and penalty, classes (the assessment round).
"""

from .leaf import LeafCounts, LeafResult, final_points, points_key, score_leaf
from .numbers import POINTS_PLACES, ZERO, round_fraction, round_ratio, to_decimal
from .ranks import competition_ranks
from .round import adjusted, below_own, class_for, needs_note, own_points, percent_of
from .tree import CriteriaTree, NodeDef, Totals, aggregate

__all__ = [
    "POINTS_PLACES",
    "ZERO",
    "CriteriaTree",
    "LeafCounts",
    "LeafResult",
    "NodeDef",
    "Totals",
    "adjusted",
    "aggregate",
    "below_own",
    "class_for",
    "competition_ranks",
    "final_points",
    "needs_note",
    "own_points",
    "percent_of",
    "points_key",
    "round_fraction",
    "round_ratio",
    "score_leaf",
    "to_decimal",
]
