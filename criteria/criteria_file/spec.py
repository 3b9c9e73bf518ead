"""What a checked criteria file becomes (`CriteriaSetSpec`, `CriterionSpec`), the error that refuses one,
the fields and limits of the format (domain/criteria-format.md), and walks over a spec."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..definitions import NodeDef

UNIT_KINDS = ("province", "department", "district", "commune")
TOP_LEVEL_FIELDS = ("code", "name", "year", "unit_kind", "period", "criteria")
#: Additive keys (a file without them imports as before): the issuing unit, the classes, the caps of bonus
#: and penalty points.
OPTIONAL_TOP_LEVEL_FIELDS = ("owner", "classes", "adjustments")
ADJUSTMENT_FIELDS = ("bonus_max", "penalty_max")
NODE_FIELDS = ("code", "title", "max", "part", "children", "rule")
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "task_on_time": ("late_points",),
    "task_ratio_bands": ("bands", "scope", "count"),
    "deduction": ("per_item",),
    "metric_bands": ("bands",),
    "metric_proportional": ("target",),
    "survey": (),
    "manual": (),
}
COMMON_RULE_FIELDS = ("type", "when_no_tasks")

MAX_CRITERIA = 2000  # criterion nodes in one set
MAX_DEPTH = 8  # levels of criteria (1 / 1.1 / 1.1.1 is three)
MAX_REPORTED_ERRORS = 200
MAX_CODE_LENGTH = 50
MAX_UNIT_CODE_LENGTH = 32  # org.Unit.code
MAX_CLASS_LABEL = 64
TOTAL_MAX = Decimal(100)
CENT = Decimal("0.01")

# Codes are dot-separated segments of letters, digits, "_" or "-": 1, 1.2, II.3.a, XA-2020.
CODE_RE = re.compile(r"[0-9A-Za-z_-]+(\.[0-9A-Za-z_-]+)*")


@dataclass
class CriterionSpec:
    """One criterion (Tiêu chí). `part` is inherited from its top-level ancestor; `rule` is set on leaves
    only, normalised to JSON-safe values (numbers as decimal strings, defaults filled in)."""

    code: str
    title: str
    max_points: Decimal
    part: str
    rule: dict[str, Any] | None = None
    children: list[CriterionSpec] = field(default_factory=list)


@dataclass
class CriteriaSetSpec:
    """A checked criteria set (Bộ tiêu chí), ready to be written."""

    code: str
    name: str
    year: int
    unit_kind: str
    period_start: date
    period_end: date
    criteria: list[CriterionSpec] = field(default_factory=list)
    #: The code of the issuing unit, as the file writes it (the import looks it up); None: nationwide.
    owner: str | None = None
    #: Classes (xếp loại) as (threshold percent, label), thresholds strictly descending, the last 0.
    classes: list[tuple[Decimal, str]] = field(default_factory=list)
    #: Caps of the appraisers' bonus and penalty points; None: not allowed.
    bonus_max: Decimal | None = None
    penalty_max: Decimal | None = None

    def classes_json(self) -> list[list[str]]:
        """The classes as the set stores them: [[threshold, label], …], numbers as decimal text."""
        return [[format(threshold, "f"), label] for threshold, label in self.classes]


class CriteriaFileError(ValueError):
    """The file is refused; `errors` lists every problem, each naming its criterion or top-level field."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def iter_nodes(spec: CriteriaSetSpec) -> Iterator[tuple[CriterionSpec, str | None, int, int]]:
    """Every criterion in document order, as (node, parent code, depth, order).

    depth is 0 for top-level criteria; order is the 0-based position among its siblings.
    """
    stack = [(node, None, 0, order) for order, node in reversed(list(enumerate(spec.criteria)))]
    while stack:
        node, parent_code, depth, order = stack.pop()
        yield node, parent_code, depth, order
        stack.extend(
            (child, node.code, depth + 1, child_order)
            for child_order, child in reversed(list(enumerate(node.children)))
        )


def leaves(spec: CriteriaSetSpec) -> list[CriterionSpec]:
    """The criteria that carry a rule, in document order."""
    return [node for node, _parent, _depth, _order in iter_nodes(spec) if not node.children]


def node_defs(spec: CriteriaSetSpec) -> list[NodeDef]:
    """The tree as `scoring.rules.aggregate` takes it."""
    return [
        NodeDef(code=node.code, max_points=node.max_points, part=node.part, parent_code=parent_code)
        for node, parent_code, _depth, _order in iter_nodes(spec)
    ]
