"""What a criteria set is made of, as plain values (domain/criteria-format.md): the words a criteria file
may use and one criterion as the tree sees it.

Pure: no ORM, no Django. The file reader (`criteria.criteria_file`) checks a file against these words, and
scoring's rules (`scoring.rules`, above this app) score and roll up what they describe; both import them
from here so that the two can never disagree on, say, which rule types exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

RULE_TYPES = (
    "task_on_time",
    "task_ratio_bands",
    "deduction",
    "metric_bands",
    "metric_proportional",
    "survey",
    "manual",
)
#: The rules that count a unit's linked tasks, and those that read a metric value of its approved tasks.
TASK_RULES = frozenset({"task_on_time", "task_ratio_bands", "deduction"})
METRIC_RULES = frozenset({"metric_bands", "metric_proportional"})
PARTS = ("evidence", "survey")
WHEN_NO_TASKS = ("zero", "full", "exclude")
SCOPES = ("leaf", "plan", "assigned_by_higher")
COUNT_MODES = ("on_time", "approved")
#: The kinds of unit that may issue (own) a set of each unit kind: a unit above the scored ones in the tree, a
#: province, or before 2025 a district or a city for communes (SPEC §3). A province set has none: it is
#: nationwide. A department (Sở) has no communes or districts below it, so it owns no set.
OWNER_KINDS: dict[str, tuple[str, ...]] = {
    "province": (),
    "department": ("province",),
    "district": ("province",),
    "commune": ("province", "district"),
}


@dataclass(frozen=True)
class NodeDef:
    """One criterion of a set, as the aggregation needs it. `part` is read from top-level nodes only."""

    code: str
    max_points: Decimal
    part: str
    parent_code: str | None = None
