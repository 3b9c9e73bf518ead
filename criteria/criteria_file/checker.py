"""Checking a criteria file's content: the set's fields and period, then each criterion, depth first, as
the file reads (its code, title, max and part, and either its children or its rule, which `rule_checks`
checks), then the optional keys `owner`, `classes` and `adjustments` (`set_options`). Every problem is
collected, each naming its criterion or top-level field; a spec is built only when there is none."""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ..definitions import PARTS
from .rule_checks import RuleChecks
from .set_options import SetOptionChecks
from .spec import (
    CENT,
    CODE_RE,
    MAX_CODE_LENGTH,
    MAX_CRITERIA,
    MAX_DEPTH,
    NODE_FIELDS,
    OPTIONAL_TOP_LEVEL_FIELDS,
    TOP_LEVEL_FIELDS,
    TOTAL_MAX,
    UNIT_KINDS,
    CriteriaSetSpec,
    CriterionSpec,
)
from .values import fmt, show, to_number


class Checker(RuleChecks, SetOptionChecks):
    """One file's checks: `check_set(document)` gives the spec, or None with the problems in `errors`."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.node_count = 0
        self.codes: dict[str, int] = {}

    # The set --------------------------------------------------------------------------------------

    def check_set(self, root: Any) -> CriteriaSetSpec | None:
        if not isinstance(root, dict):
            self.errors.append(
                _("tệp phải là một ánh xạ với các trường %(fields)s")
                % {"fields": ", ".join(TOP_LEVEL_FIELDS)}
            )
            return None
        self._set_fields(root)
        code = self._set_code(root.get("code")) if "code" in root else None
        self._set_heading(root)
        start, end = self._period(root["period"]) if "period" in root else (None, None)
        criteria = self._top_criteria(root["criteria"]) if "criteria" in root else []
        owner = self._owner(root["owner"], root.get("unit_kind")) if "owner" in root else None
        classes = self._classes(root["classes"]) if "classes" in root else []
        bonus_max, penalty_max = (
            self._adjustments(root["adjustments"]) if "adjustments" in root else (None, None)
        )
        if self.node_count > MAX_CRITERIA:
            # First, so that the cut-off of a long error list never hides it.
            self.errors.insert(0, "criteria: " + _("nhiều hơn %(limit)s tiêu chí") % {"limit": MAX_CRITERIA})

        if self.errors:
            return None
        return CriteriaSetSpec(
            code=code,
            name=root["name"].strip(),
            year=root["year"],
            unit_kind=root["unit_kind"],
            period_start=start,
            period_end=end,
            criteria=criteria,
            owner=owner,
            classes=classes,
            bonus_max=bonus_max,
            penalty_max=penalty_max,
        )

    def _set_fields(self, root: dict) -> None:
        """Unknown top-level fields, then missing ones."""
        known = TOP_LEVEL_FIELDS + OPTIONAL_TOP_LEVEL_FIELDS
        for key in root:
            if key not in known:
                self.error(
                    show(key),
                    _("trường không hợp lệ (các trường hợp lệ: %(fields)s)") % {"fields": ", ".join(known)},
                )
        for key in TOP_LEVEL_FIELDS:
            if key not in root:
                self.error(key, _("là bắt buộc"))

    def _set_heading(self, root: dict) -> None:
        """The set's name, year and unit kind, each checked when present."""
        name = root.get("name")
        if "name" in root and (not isinstance(name, str) or not name.strip()):
            self.error("name", _("phải là văn bản không rỗng"))
        year = root.get("year")
        if "year" in root and (
            isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2999
        ):
            self.error("year", _("phải là một năm, ví dụ 2020, không phải %(value)s") % {"value": show(year)})
        unit_kind = root.get("unit_kind")
        if "unit_kind" in root and unit_kind not in UNIT_KINDS:
            self.error(
                "unit_kind",
                _("phải là một trong %(choices)s, không phải %(value)s")
                % {"choices": ", ".join(UNIT_KINDS), "value": show(unit_kind)},
            )

    def _top_criteria(self, raw: Any) -> list[CriterionSpec]:
        """The top-level criteria, whose maxima must add up to 100."""
        if not isinstance(raw, list) or not raw:
            self.error("criteria", _("phải là danh sách tiêu chí không rỗng"))
            return []
        criteria, total = self._siblings(raw, "criteria", parent_code=None, depth=0, part=None)
        if total is not None and total != TOTAL_MAX:
            self.error(
                "criteria",
                _("tổng điểm tối đa các tiêu chí cấp 1 là %(total)s, không phải 100") % {"total": fmt(total)},
            )
        return criteria

    def _set_code(self, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value or len(value) > MAX_CODE_LENGTH or re.search(r"\s", value):
            self.error(
                "code",
                _("phải là chuỗi từ 1 đến %(limit)s ký tự, không có dấu cách, ví dụ XA-2020")
                % {"limit": MAX_CODE_LENGTH},
            )
            return None
        return value

    def _period(self, raw: Any) -> tuple[date | None, date | None]:
        if not isinstance(raw, dict):
            self.error("period", _("phải có dạng {start: YYYY-MM-DD, end: YYYY-MM-DD}"))
            return None, None
        for key in raw:
            if key not in ("start", "end"):
                self.error(f"period.{key}", _("trường không hợp lệ (các trường hợp lệ: start, end)"))
        bounds = []
        for key in ("start", "end"):
            value = raw.get(key)
            if isinstance(value, str):
                with contextlib.suppress(ValueError):  # stays text, refused below
                    value = date.fromisoformat(value.strip())
            if key not in raw:
                self.error(f"period.{key}", _("là bắt buộc"))
                value = None
            elif isinstance(value, datetime) or not isinstance(value, date):
                self.error(
                    f"period.{key}",
                    _("phải là ngày dạng YYYY-MM-DD, không phải %(value)s") % {"value": show(value)},
                )
                value = None
            bounds.append(value)
        start, end = bounds
        if start is not None and end is not None and start > end:
            self.error(
                "period", _("ngày bắt đầu %(start)s sau ngày kết thúc %(end)s") % {"start": start, "end": end}
            )
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
            self.error(path, _("mỗi tiêu chí phải có code, title, max và children hoặc rule"))
            return None, None

        code = self._code(raw, path)
        where = _("tiêu chí %(code)s") % {"code": code} if code is not None else path
        self._node_fields(raw, where, code, parent_code)
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            self.error(where, _("title là bắt buộc (văn bản không rỗng)"))
            title = None
        max_points = self._max(raw, where)
        part = self._part(raw, where, depth, part)
        has_children, has_rule = self._shape(raw, where)

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

    def _node_fields(self, raw: dict, where: str, code: str | None, parent_code: str | None) -> None:
        """Unknown fields of a criterion, and a code that does not extend its parent's."""
        for key in raw:
            if key not in NODE_FIELDS:
                self.error(
                    where,
                    _("trường %(field)s không hợp lệ (các trường hợp lệ: %(fields)s)")
                    % {"field": show(key), "fields": ", ".join(NODE_FIELDS)},
                )
        if code is not None and parent_code is not None and not code.startswith(parent_code + "."):
            self.error(
                where,
                _('mã phải bắt đầu bằng mã của tiêu chí cha và dấu chấm ("%(prefix)s")')
                % {"prefix": parent_code + "."},
            )

    def _part(self, raw: dict, where: str, depth: int, part: str | None) -> str | None:
        """A top-level criterion's part (evidence by default); below, the part inherited from above."""
        if depth == 0:
            part = raw.get("part", "evidence")
            if part not in PARTS:
                self.error(
                    where,
                    _("part phải là một trong %(choices)s, không phải %(value)s")
                    % {"choices": ", ".join(PARTS), "value": show(part)},
                )
                part = None
        elif "part" in raw:
            self.error(where, _("part chỉ ghi ở tiêu chí cấp 1 (các cấp dưới kế thừa)"))
        return part

    def _shape(self, raw: dict, where: str) -> tuple[bool, bool]:
        """Whether the criterion has children and whether it has a rule: exactly one of the two."""
        has_children, has_rule = "children" in raw, "rule" in raw
        if has_children and has_rule:
            self.error(where, _("tiêu chí có children hoặc rule, không có cả hai"))
        elif not has_children and not has_rule:
            self.error(where, _("tiêu chí cần có children hoặc rule"))
        return has_children, has_rule

    def _code(self, raw: dict, path: str) -> str | None:
        if "code" not in raw:
            self.error(path, _("code là bắt buộc"))
            return None
        value = raw["code"]
        if isinstance(value, float):
            self.error(
                path,
                _(
                    "mã %(value)s là số thập phân; hãy đặt trong dấu nháy "
                    '("%(value)s"), vì không có nháy thì 1.10 và 1.1 là cùng một số'
                )
                % {"value": value},
            )
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            self.error(
                path,
                _('code phải là văn bản không rỗng như "1.2", không phải %(value)s') % {"value": show(value)},
            )
            return None
        if len(value) > MAX_CODE_LENGTH or not CODE_RE.fullmatch(value):
            self.error(
                path,
                _(
                    "mã %(value)s không hợp lệ: dùng các đoạn chữ hoặc số cách nhau "
                    "bởi dấu chấm, ví dụ 1.2.3 (tối đa %(limit)s ký tự)"
                )
                % {"value": show(value), "limit": MAX_CODE_LENGTH},
            )
            return None
        if value in self.codes:
            self.codes[value] += 1
            if self.codes[value] == 2:  # report a duplicate once, however often it repeats
                self.error(_("tiêu chí %(code)s") % {"code": value}, _("mã bị dùng nhiều lần"))
        else:
            self.codes[value] = 1
        return value

    def _max(self, raw: dict, where: str) -> Decimal | None:
        if "max" not in raw:
            self.error(where, _("max là bắt buộc"))
            return None
        value = to_number(raw["max"])
        if value is None:
            self.error(where, _("max phải là số, không phải %(value)s") % {"value": show(raw["max"])})
            return None
        if value <= 0 or value > TOTAL_MAX:
            self.error(
                where, _("max phải lớn hơn 0 và không quá 100, không phải %(value)s") % {"value": fmt(value)}
            )
            return None
        if value != value.quantize(CENT):
            self.error(where, _("max %(value)s có hơn 2 chữ số thập phân") % {"value": fmt(value)})
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
            self.error(where, _("children phải là danh sách tiêu chí không rỗng"))
            return []
        if depth + 1 >= MAX_DEPTH:
            self.error(where, _("tiêu chí lồng nhau quá %(limit)s cấp") % {"limit": MAX_DEPTH})
            return []
        children, total = self._siblings(
            raw, f"{path}.children", parent_code=code, depth=depth + 1, part=part
        )
        if max_points is not None and total is not None and total < max_points:
            self.error(
                where,
                _("tổng điểm tối đa của các tiêu chí con là %(total)s, nhỏ hơn điểm tối đa %(max)s")
                % {"total": fmt(total), "max": fmt(max_points)},
            )
        return children

    def _siblings(
        self, raw: list, path: str, *, parent_code: str | None, depth: int, part: str | None
    ) -> tuple[list[CriterionSpec], Decimal | None]:
        """Check a list of sibling criteria: the usable specs, and the sum of their maxima (None when a
        max is missing or wrong, so that no sum is judged on half the numbers)."""
        nodes: list[CriterionSpec] = []
        maxima: list[Decimal | None] = []
        for order, raw_node in enumerate(raw):
            node, node_max = self._node(
                raw_node, f"{path}[{order}]", parent_code=parent_code, depth=depth, part=part
            )
            maxima.append(node_max)
            if node is not None:
                nodes.append(node)
        if any(value is None for value in maxima):
            return nodes, None
        return nodes, sum(maxima, Decimal(0))
