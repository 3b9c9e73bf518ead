"""Rolling a unit's leaf points up a criteria set's tree (criteria as `criteria.definitions.NodeDef`): node
points, applicable max, totals, percent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from criteria.definitions import PARTS, NodeDef

from .numbers import POINTS_PLACES, ZERO, round_ratio, to_decimal


@dataclass
class Totals:
    """A unit's scores on one criteria set.

    `node_points` and `node_applicable_max` hold every node, leaves included; `evidence_points` and
    `survey_points` are the sums of the top-level nodes of each part; `total` their sum; `applicable_max`
    is 100 less what excluded leaves remove; `percent` = total / applicable_max x 100, rounded half up to
    4 decimals (0 when nothing is applicable).
    """

    node_points: dict[str, Decimal] = field(default_factory=dict)
    node_applicable_max: dict[str, Decimal] = field(default_factory=dict)
    evidence_points: Decimal = ZERO
    survey_points: Decimal = ZERO
    total: Decimal = ZERO
    applicable_max: Decimal = ZERO
    percent: Decimal = ZERO


class CriteriaTree:
    """A criteria set's tree, checked once and laid out for rolling many units' leaf points up.

    Building it raises ValueError on an inconsistent tree (duplicate code, unknown parent, cycle, part not
    evidence or survey on a top-level node). A recompute builds one per set and calls `aggregate` for every
    unit, so the checks and the child lists are not redone per unit.
    """

    def __init__(self, nodes: Iterable[NodeDef]):
        nodes = list(nodes)
        by_code: dict[str, NodeDef] = {}
        for node in nodes:
            if node.code in by_code:
                raise ValueError(f"duplicate criterion code {node.code!r}")
            by_code[node.code] = node
        children: dict[str, list[str]] = {code: [] for code in by_code}
        roots: list[str] = []
        for node in nodes:
            if node.parent_code is None:
                if node.part not in PARTS:
                    raise ValueError(f"criterion {node.code}: part must be one of {PARTS}, not {node.part!r}")
                roots.append(node.code)
            elif node.parent_code not in by_code:
                raise ValueError(f"criterion {node.code}: unknown parent {node.parent_code!r}")
            else:
                children[node.parent_code].append(node.code)
        # Post-order from the roots (children before their parent), iteratively, so a deep tree cannot
        # exhaust the stack. A node not reached lies on a cycle.
        post_order: list[str] = []
        stack: list[tuple[str, bool]] = [(code, False) for code in roots]
        while stack:
            code, expanded = stack.pop()
            if expanded or not children[code]:
                post_order.append(code)
            else:
                stack.append((code, True))
                stack.extend((kid, False) for kid in children[code])
        if len(post_order) != len(by_code):
            raise ValueError("criteria tree has a cycle: some nodes are not reachable from a top-level node")
        #: (code, max, child codes) in post-order; a leaf has no child codes.
        self._steps = tuple(
            (code, to_decimal(by_code[code].max_points), tuple(children[code])) for code in post_order
        )
        self.leaves = frozenset(code for code in by_code if not children[code])
        self._codes = frozenset(by_code)
        self._evidence_roots = tuple(code for code in roots if by_code[code].part == "evidence")
        self._survey_roots = tuple(code for code in roots if by_code[code].part == "survey")
        self._roots = tuple(roots)

    def aggregate(self, leaf_points: Mapping[str, Decimal], excluded: Iterable[str] = ()) -> Totals:
        """Roll one unit's leaf points up the tree (the rules are those of `aggregate` below)."""
        excluded = excluded if isinstance(excluded, set | frozenset) else set(excluded)
        for code in (set(leaf_points) | excluded) - self.leaves:
            if code not in self._codes:
                raise ValueError(f"unknown criterion code {code!r}")
            raise ValueError(f"criterion {code} has children: only leaves take points or exclusion")

        points: dict[str, Decimal] = {}
        applicable: dict[str, Decimal] = {}
        for code, node_max, kids in self._steps:
            if not kids:
                if code in excluded:
                    points[code] = applicable[code] = ZERO
                    continue
                value = leaf_points.get(code, ZERO)
                if type(value) is not Decimal:
                    value = to_decimal(value)
                if not ZERO <= value <= node_max:
                    raise ValueError(f"criterion {code}: points {value} outside 0..{node_max}")
                points[code], applicable[code] = value, node_max
            else:
                points[code] = min(sum([points[kid] for kid in kids], ZERO), node_max)
                applicable[code] = min(sum([applicable[kid] for kid in kids], ZERO), node_max)

        evidence = sum([points[code] for code in self._evidence_roots], ZERO)
        survey = sum([points[code] for code in self._survey_roots], ZERO)
        total = evidence + survey
        applicable_max = sum([applicable[code] for code in self._roots], ZERO)
        if applicable_max > 0:
            # total / applicable_max x 100 from the exact ratios of the two Decimals.
            total_n, total_d = total.as_integer_ratio()
            max_n, max_d = applicable_max.as_integer_ratio()
            percent = round_ratio(total_n * max_d * 100, total_d * max_n)
        else:
            percent = Decimal(0).scaleb(-POINTS_PLACES)
        return Totals(
            node_points=points,
            node_applicable_max=applicable,
            evidence_points=evidence,
            survey_points=survey,
            total=total,
            applicable_max=applicable_max,
            percent=percent,
        )


def aggregate(
    nodes: Iterable[NodeDef],
    leaf_points: Mapping[str, Decimal],
    excluded: Iterable[str] = (),
) -> Totals:
    """Roll a unit's leaf points up the criteria tree.

    - A leaf scores `leaf_points[code]` (0 when absent: not scored yet). An excluded leaf scores 0 and its
      applicable max is 0, whatever `leaf_points` says.
    - A node with children scores the sum of its children's points, capped at its own max; its applicable
      max is min(its max, sum of its children's applicable max). So a parent whose children all are
      excluded drops out entirely, and one whose children offer more than its max still counts its max.
    - The percent is total / applicable_max x 100, computed exactly and rounded once, half up, to 4
      decimals: fine enough that two units which differ at 2 decimals (what users see and what ranks
      compare) never collapse, and exact enough that the incremental and full recomputes agree to the
      digit. It is 0 when the applicable max is 0 (every leaf excluded).

    Raises ValueError on an inconsistent tree (duplicate code, unknown parent, cycle, part not evidence or
    survey on a top-level node), on points for an unknown or non-leaf code, or on leaf points outside
    0..max: such inputs are a bug upstream, never something to repair silently. Scoring many units on one
    set? Build a `CriteriaTree` once and call its `aggregate`.
    """
    return CriteriaTree(nodes).aggregate(leaf_points, excluded)
