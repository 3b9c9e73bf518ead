"""Criteria-set files (Bộ tiêu chí): read a YAML file and check every invariant of
domain/criteria-format.md.

Pure: bytes or text in, a `CriteriaSetSpec` out, or one `CriteriaFileError` listing every problem found.
A file is taken whole or refused whole; the caller writes the set only from a spec.

Safety: the YAML is read with PyYAML's SafeLoader only (the loader `yaml.safe_load` uses), after a size
limit; the composed node graph is then checked before any Python object is built: anchors and aliases
are allowed (a set may share its bands), but the document expanded through them must stay under
`MAX_YAML_NODES` nodes and `MAX_YAML_NESTING` levels, recursive aliases are refused, and merge keys (`<<`)
are refused because PyYAML flattens them eagerly, which an attacker can make exponential.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from django.utils.translation import gettext as _

from scoring.rules import (
    COUNT_MODES,
    PARTS,
    RULE_TYPES,
    SCOPES,
    WHEN_NO_TASKS,
    NodeDef,
)

UNIT_KINDS = ("province", "department", "district", "commune")
TOP_LEVEL_FIELDS = ("code", "name", "year", "unit_kind", "period", "criteria")
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
MAX_YAML_NODES = 100_000  # YAML nodes, counted with every alias expanded
MAX_YAML_NESTING = 40  # YAML levels; eight criteria levels with rules and bands need about 22
MAX_REPORTED_ERRORS = 200
MAX_CODE_LENGTH = 50
TOTAL_MAX = Decimal(100)
CENT = Decimal("0.01")

# Codes are dot-separated segments of letters, digits, "_" or "-": 1, 1.2, II.3.a, XA-2020.
CODE_RE = re.compile(r"[0-9A-Za-z_-]+(\.[0-9A-Za-z_-]+)*")
MERGE_TAG = "tag:yaml.org,2002:merge"


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


def parse_criteria_file(data: bytes | str, *, max_bytes: int = 1_000_000) -> CriteriaSetSpec:
    """Read and check a criteria-set file; raise CriteriaFileError listing every problem."""
    root = _load_yaml(data, max_bytes=max_bytes)
    checker = _Checker()
    spec = checker.check_set(root)
    if checker.errors:
        errors = checker.errors
        if len(errors) > MAX_REPORTED_ERRORS:
            hidden = len(errors) - MAX_REPORTED_ERRORS
            errors = errors[:MAX_REPORTED_ERRORS] + [_("… and %(count)s more errors") % {"count": hidden}]
        raise CriteriaFileError(errors)
    assert spec is not None
    return spec


# --- Reading the YAML safely ---------------------------------------------------------------------------


class _Refused(Exception):
    pass


def _load_yaml(data: bytes | str, *, max_bytes: int) -> Any:
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CriteriaFileError([_("the file is not valid text: %(error)s") % {"error": exc}]) from None
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raise TypeError("data must be bytes or str")
    if len(raw) > max_bytes:
        raise CriteriaFileError(
            [
                _("the file is %(size)s bytes, more than the %(limit)s allowed")
                % {"size": len(raw), "limit": max_bytes}
            ]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CriteriaFileError(
            [_("the file is not valid UTF-8 (byte %(position)s)") % {"position": exc.start}]
        ) from None
    # PyYAML skips a leading byte-order mark itself.

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _Refused(_("the file is empty"))
        _check_node_graph(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or str(exc)
        if mark is None:
            message = _("YAML error: %(problem)s") % {"problem": problem}
        else:
            message = _("YAML error at line %(line)s, column %(column)s: %(problem)s") % {
                "line": mark.line + 1,
                "column": mark.column + 1,
                "problem": problem,
            }
        raise CriteriaFileError([message]) from None
    except yaml.YAMLError as exc:
        raise CriteriaFileError([_("YAML error: %(problem)s") % {"problem": exc}]) from None
    except RecursionError:
        raise CriteriaFileError([_("the file is nested too deeply")]) from None
    except _Refused as exc:
        raise CriteriaFileError([str(exc)]) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. a timestamp that matches YAML's pattern but is no real date (2020-02-30).
        raise CriteriaFileError(
            [_("the file holds a value that cannot be read: %(error)s") % {"error": exc}]
        ) from None
    finally:
        loader.dispose()


def _check_node_graph(root: yaml.Node) -> None:
    """Refuse alias bombs, recursive aliases, merge keys and excessive nesting before constructing."""
    memo: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded size, height)
    in_progress: set[int] = set()

    def visit(node: yaml.Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in memo:
            return memo[key]
        if key in in_progress:
            raise _Refused(_("the file has a recursive alias (an anchor used inside itself)"))
        if depth > MAX_YAML_NESTING:
            raise _Refused(
                _("the file is nested more than %(limit)s levels deep") % {"limit": MAX_YAML_NESTING}
            )
        in_progress.add(key)
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = []
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    raise _Refused(
                        _("line %(line)s: merge keys (<<) are not allowed; repeat the fields instead")
                        % {"line": key_node.start_mark.line + 1}
                    )
                children += [key_node, value_node]
        else:
            children = []
        size, height = 1, 1
        for child in children:
            child_size, child_height = visit(child, depth + 1)
            size += child_size
            height = max(height, child_height + 1)
            if size > MAX_YAML_NODES:
                raise _Refused(
                    _("the file expands to more than %(limit)s values (too many aliases?)")
                    % {"limit": MAX_YAML_NODES}
                )
        in_progress.discard(key)
        memo[key] = (size, height)
        return size, height

    visit(root, 1)


# --- Checking the content ------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    """A finite Decimal from an int, float or numeric string (via its string form), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return abs(number) if number == 0 else number  # no "-0"


def _fmt(number: Decimal) -> str:
    """The JSON-safe form of a number: a decimal string without exponent, as written ("1.0" stays)."""
    return format(number, "f")


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.node_count = 0
        self.too_many_reported = False
        self.depth_reported: set[str] = set()
        self.codes: dict[str, int] = {}

    def error(self, where: str, problem: str) -> None:
        self.errors.append(f"{where}: {problem}")

    # The set --------------------------------------------------------------------------------------

    def check_set(self, root: Any) -> CriteriaSetSpec | None:
        if not isinstance(root, dict):
            self.errors.append(
                _("the file must be a mapping with the fields %(fields)s")
                % {"fields": ", ".join(TOP_LEVEL_FIELDS)}
            )
            return None
        for key in root:
            if key not in TOP_LEVEL_FIELDS:
                self.error(
                    _show(key),
                    _("unknown field (known: %(fields)s)") % {"fields": ", ".join(TOP_LEVEL_FIELDS)},
                )
        for key in TOP_LEVEL_FIELDS:
            if key not in root:
                self.error(key, _("is required"))

        code = self._set_code(root.get("code")) if "code" in root else None
        name = root.get("name")
        if "name" in root and (not isinstance(name, str) or not name.strip()):
            self.error("name", _("must be a non-empty text"))
        year = root.get("year")
        if "year" in root and (
            isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2999
        ):
            self.error("year", _("must be a whole year such as 2020, not %(value)s") % {"value": _show(year)})
        unit_kind = root.get("unit_kind")
        if "unit_kind" in root and unit_kind not in UNIT_KINDS:
            self.error(
                "unit_kind",
                _("must be one of %(choices)s, not %(value)s")
                % {"choices": ", ".join(UNIT_KINDS), "value": _show(unit_kind)},
            )
        start, end = self._period(root["period"]) if "period" in root else (None, None)

        criteria: list[CriterionSpec] = []
        raw_criteria = root.get("criteria")
        if "criteria" in root:
            if not isinstance(raw_criteria, list) or not raw_criteria:
                self.error("criteria", _("must be a non-empty list of criteria"))
            else:
                top_max: list[Decimal | None] = []
                for order, raw in enumerate(raw_criteria):
                    node, node_max = self._node(
                        raw, f"criteria[{order}]", parent_code=None, depth=0, part=None
                    )
                    top_max.append(node_max)
                    if node is not None:
                        criteria.append(node)
                if all(value is not None for value in top_max):
                    total = sum(top_max, Decimal(0))
                    if total != TOTAL_MAX:
                        self.error(
                            "criteria",
                            _("the top-level maxima add up to %(total)s, not 100") % {"total": _fmt(total)},
                        )
        if self.node_count > MAX_CRITERIA:
            # First, so that the cut-off of a long error list never hides it.
            self.errors.insert(0, "criteria: " + _("more than %(limit)s criteria") % {"limit": MAX_CRITERIA})

        if self.errors:
            return None
        return CriteriaSetSpec(
            code=code,
            name=name.strip(),
            year=year,
            unit_kind=unit_kind,
            period_start=start,
            period_end=end,
            criteria=criteria,
        )

    def _set_code(self, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value or len(value) > MAX_CODE_LENGTH or re.search(r"\s", value):
            self.error(
                "code",
                _("must be a text of 1 to %(limit)s characters without spaces, such as XA-2020")
                % {"limit": MAX_CODE_LENGTH},
            )
            return None
        return value

    def _period(self, raw: Any) -> tuple[date | None, date | None]:
        if not isinstance(raw, dict):
            self.error("period", _("must be a mapping {start: YYYY-MM-DD, end: YYYY-MM-DD}"))
            return None, None
        for key in raw:
            if key not in ("start", "end"):
                self.error(f"period.{key}", _("unknown field (known: start, end)"))
        bounds = []
        for key in ("start", "end"):
            value = raw.get(key)
            if isinstance(value, str):
                with contextlib.suppress(ValueError):  # stays text, refused below
                    value = date.fromisoformat(value.strip())
            if key not in raw:
                self.error(f"period.{key}", _("is required"))
                value = None
            elif isinstance(value, datetime) or not isinstance(value, date):
                self.error(
                    f"period.{key}", _("must be a date YYYY-MM-DD, not %(value)s") % {"value": _show(value)}
                )
                value = None
            bounds.append(value)
        start, end = bounds
        if start is not None and end is not None and start > end:
            self.error("period", _("start %(start)s is after end %(end)s") % {"start": start, "end": end})
        return start, end

    # One criterion --------------------------------------------------------------------------------

    def _node(
        self, raw: Any, path: str, *, parent_code: str | None, depth: int, part: str | None
    ) -> tuple[CriterionSpec | None, Decimal | None]:
        """Check one criterion and its subtree; return its spec (None if unusable) and its max."""
        self.node_count += 1
        if self.node_count > MAX_CRITERIA:
            return None, None
        if not isinstance(raw, dict):
            self.error(path, _("a criterion must be a mapping with code, title, max and children or rule"))
            return None, None

        code = self._code(raw, path)
        where = _("criterion %(code)s") % {"code": code} if code is not None else path

        for key in raw:
            if key not in NODE_FIELDS:
                self.error(
                    where,
                    _("unknown field %(field)s (known: %(fields)s)")
                    % {"field": _show(key), "fields": ", ".join(NODE_FIELDS)},
                )

        if code is not None and parent_code is not None and not code.startswith(parent_code + "."):
            self.error(
                where,
                _('the code must start with its parent\'s code and a dot ("%(prefix)s")')
                % {"prefix": parent_code + "."},
            )

        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            self.error(where, _("title is required (a non-empty text)"))
            title = None

        max_points = self._max(raw, where)

        if depth == 0:
            part = raw.get("part", "evidence")
            if part not in PARTS:
                self.error(
                    where,
                    _("part must be one of %(choices)s, not %(value)s")
                    % {"choices": ", ".join(PARTS), "value": _show(part)},
                )
                part = None
        elif "part" in raw:
            self.error(where, _("part is only allowed on top-level criteria (it is inherited below)"))

        has_children, has_rule = "children" in raw, "rule" in raw
        if has_children and has_rule:
            self.error(where, _("a criterion has either children or a rule, not both"))
        elif not has_children and not has_rule:
            self.error(where, _("a criterion needs either children or a rule"))

        children: list[CriterionSpec] = []
        rule = None
        if has_children:
            children = self._children(raw["children"], where, path, code, depth, part, max_points)
        if has_rule:
            rule = self._rule(raw["rule"], where, max_points, part)

        if code is None or title is None or max_points is None or part is None:
            return None, max_points
        spec = CriterionSpec(
            code=code,
            title=title.strip(),
            max_points=max_points,
            part=part,
            rule=None if has_children else rule,
            children=children,
        )
        return spec, max_points

    def _code(self, raw: dict, path: str) -> str | None:
        if "code" not in raw:
            self.error(path, _("code is required"))
            return None
        value = raw["code"]
        if isinstance(value, float):
            self.error(
                path,
                _(
                    'code %(value)s is a number with a decimal point; put it in quotes ("%(value)s"), '
                    "as unquoted 1.10 and 1.1 are the same number"
                )
                % {"value": value},
            )
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            self.error(
                path,
                _('code must be a non-empty text such as "1.2", not %(value)s') % {"value": _show(value)},
            )
            return None
        if len(value) > MAX_CODE_LENGTH or not CODE_RE.fullmatch(value):
            self.error(
                path,
                _(
                    "code %(value)s is not valid: use segments of letters or digits separated by dots, "
                    "such as 1.2.3 (at most %(limit)s characters)"
                )
                % {"value": _show(value), "limit": MAX_CODE_LENGTH},
            )
            return None
        if value in self.codes:
            self.codes[value] += 1
            if self.codes[value] == 2:  # report a duplicate once, however often it repeats
                self.error(_("criterion %(code)s") % {"code": value}, _("the code is used more than once"))
        else:
            self.codes[value] = 1
        return value

    def _max(self, raw: dict, where: str) -> Decimal | None:
        if "max" not in raw:
            self.error(where, _("max is required"))
            return None
        value = _number(raw["max"])
        if value is None:
            self.error(where, _("max must be a number, not %(value)s") % {"value": _show(raw["max"])})
            return None
        if value <= 0 or value > TOTAL_MAX:
            self.error(
                where, _("max must be more than 0 and at most 100, not %(value)s") % {"value": _fmt(value)}
            )
            return None
        if value != value.quantize(CENT):
            self.error(where, _("max %(value)s has more than 2 decimals") % {"value": _fmt(value)})
            return None
        return value

    def _children(
        self,
        raw: Any,
        where: str,
        path: str,
        code: str | None,
        depth: int,
        part: str | None,
        max_points: Decimal | None,
    ) -> list[CriterionSpec]:
        if not isinstance(raw, list) or not raw:
            self.error(where, _("children must be a non-empty list of criteria"))
            return []
        if depth + 1 >= MAX_DEPTH:
            self.error(where, _("criteria are nested more than %(limit)s levels deep") % {"limit": MAX_DEPTH})
            return []
        children: list[CriterionSpec] = []
        child_max: list[Decimal | None] = []
        for order, raw_child in enumerate(raw):
            child, value = self._node(
                raw_child, f"{path}.children[{order}]", parent_code=code, depth=depth + 1, part=part
            )
            child_max.append(value)
            if child is not None:
                children.append(child)
        if max_points is not None and all(value is not None for value in child_max):
            total = sum(child_max, Decimal(0))
            if total < max_points:
                self.error(
                    where,
                    _("its children's maxima add up to %(total)s, less than its max %(max)s")
                    % {"total": _fmt(total), "max": _fmt(max_points)},
                )
        return children

    # Rules ----------------------------------------------------------------------------------------

    def _rule(
        self, raw: Any, where: str, max_points: Decimal | None, part: str | None
    ) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            self.error(where, _("rule must be a mapping with a type"))
            return None
        rule_type = raw.get("type")
        if rule_type not in RULE_TYPES:
            self.error(
                where,
                _("rule type must be one of %(choices)s, not %(value)s")
                % {"choices": ", ".join(RULE_TYPES), "value": _show(rule_type)},
            )
            return None
        known = COMMON_RULE_FIELDS + RULE_FIELDS[rule_type]
        for key in raw:
            if key not in known:
                self.error(
                    where,
                    _("rule field %(field)s is not known for type %(type)s (known: %(fields)s)")
                    % {"field": _show(key), "type": rule_type, "fields": ", ".join(known)},
                )

        if part == "evidence" and rule_type == "survey":
            self.error(where, _("a survey rule is only allowed under a criterion of part survey"))
        if part == "survey" and rule_type not in ("survey", "manual"):
            self.error(
                where,
                _("a criterion of part survey takes a survey or manual rule, not %(type)s")
                % {"type": rule_type},
            )

        rule: dict[str, Any] = {"type": rule_type}
        if rule_type == "task_on_time":
            if "late_points" in raw:
                late = self._points(raw["late_points"], where, "late_points", max_points)
            else:
                late = None if max_points is None else max_points / 2
            rule["late_points"] = None if late is None else _fmt(late)
        elif rule_type == "task_ratio_bands":
            rule["bands"] = self._bands(raw, where, max_points, ratio=True)
            rule["scope"] = self._choice(raw, "scope", SCOPES, where)
            rule["count"] = self._choice(raw, "count", COUNT_MODES, where)
        elif rule_type == "deduction":
            rule["per_item"] = self._positive(raw, "per_item", where)
        elif rule_type == "metric_bands":
            rule["bands"] = self._bands(raw, where, max_points, ratio=False)
        elif rule_type == "metric_proportional":
            rule["target"] = self._positive(raw, "target", where)
        rule["when_no_tasks"] = self._choice(raw, "when_no_tasks", WHEN_NO_TASKS, where)
        return rule

    def _choice(self, raw: dict, key: str, choices: tuple[str, ...], where: str) -> str:
        value = raw.get(key, choices[0])
        if value not in choices:
            self.error(
                where,
                _("%(field)s must be one of %(choices)s, not %(value)s")
                % {"field": key, "choices": ", ".join(choices), "value": _show(value)},
            )
        return value

    def _points(self, value: Any, where: str, label: str, max_points: Decimal | None) -> Decimal | None:
        number = _number(value)
        if number is None:
            self.error(
                where,
                _("%(field)s must be a number, not %(value)s") % {"field": label, "value": _show(value)},
            )
            return None
        if number < 0 or (max_points is not None and number > max_points):
            self.error(
                where,
                _("%(field)s %(value)s must be within 0..%(max)s")
                % {
                    "field": label,
                    "value": _fmt(number),
                    "max": "max" if max_points is None else _fmt(max_points),
                },
            )
            return None
        return number

    def _positive(self, raw: dict, key: str, where: str) -> str | None:
        if key not in raw:
            self.error(where, _("rule field %(field)s is required") % {"field": key})
            return None
        number = _number(raw[key])
        if number is None or number <= 0:
            self.error(
                where,
                _("%(field)s must be a number above 0, not %(value)s")
                % {"field": key, "value": _show(raw[key])},
            )
            return None
        return _fmt(number)

    def _bands(
        self, raw: dict, where: str, max_points: Decimal | None, *, ratio: bool
    ) -> list[list[str]] | None:
        if "bands" not in raw:
            self.error(where, _("rule field bands is required"))
            return None
        bands = raw["bands"]
        if not isinstance(bands, list) or not bands:
            self.error(where, _("bands must be a non-empty list of [threshold, points] pairs"))
            return None
        out: list[list[str]] = []
        ok = True
        previous: tuple[Decimal, Decimal | None] | None = None  # the last valid threshold and its points
        for number, band in enumerate(bands, start=1):
            if not isinstance(band, list) or len(band) != 2:
                self.error(
                    where, _("band %(number)s must be a pair [threshold, points]") % {"number": number}
                )
                ok = False
                continue
            threshold = self._threshold(band[0], number, where, ratio=ratio)
            label = _("band %(number)s: points") % {"number": number}
            points = self._points(band[1], where, label, max_points)
            if threshold is None or points is None:
                ok = False
            if threshold is None:
                continue
            if previous is not None and not self._band_order(
                number, threshold, points, previous, where, ratio=ratio
            ):
                ok = False
            previous = (threshold, points)
            if points is not None:
                out.append([_fmt(threshold), _fmt(points)])
        return out if ok else None

    def _threshold(self, value: Any, number: int, where: str, *, ratio: bool) -> Decimal | None:
        threshold = _number(value)
        values = {"number": number, "value": _show(value) if threshold is None else _fmt(threshold)}
        if threshold is None:
            problem = _("band %(number)s: the threshold must be a number, not %(value)s")
        elif ratio and not 0 <= threshold <= 1:
            problem = _("band %(number)s: the threshold %(value)s must be a ratio between 0 and 1")
        elif not ratio and threshold < 0:
            problem = _("band %(number)s: the threshold %(value)s must not be negative")
        else:
            return threshold
        self.error(where, problem % values)
        return None

    def _band_order(
        self,
        number: int,
        threshold: Decimal,
        points: Decimal | None,
        previous: tuple[Decimal, Decimal | None],
        where: str,
        *,
        ratio: bool,
    ) -> bool:
        previous_threshold, previous_points = previous
        if threshold >= previous_threshold:
            message = _(
                "band thresholds must strictly descend (band %(number)s: %(value)s after %(previous)s)"
            )
            values = {"number": number, "value": _fmt(threshold), "previous": _fmt(previous_threshold)}
            self.error(where, message % values)
            return False
        # A higher share of tasks done must never score less: it keeps the score monotonic. Metric bands
        # are exempt, since for some metrics less is better (complaints, late dossiers).
        if ratio and points is not None and previous_points is not None and points > previous_points:
            message = _(
                "band %(number)s gives %(points)s points, more than the higher threshold before it "
                "(%(previous)s); a ratio band's points must not rise as the threshold falls"
            )
            values = {"number": number, "points": _fmt(points), "previous": _fmt(previous_points)}
            self.error(where, message % values)
            return False
        return True
