"""Checking a leaf's rule (domain/criteria-format.md, "Rules"): its type and fields, its points and bands,
normalised to JSON-safe values. A mixin of `checker.Checker`, which checks the criteria around it; both
report through `error`, so that one file's problems come out in document order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ..definitions import COUNT_MODES, RULE_TYPES, SCOPES, WHEN_NO_TASKS
from .spec import COMMON_RULE_FIELDS, RULE_FIELDS
from .values import fmt, show, to_number


class RuleChecks:
    """The rule checks, and the error list every check of a file appends to."""

    errors: list[str]

    def error(self, where: str, problem: str) -> None:
        self.errors.append(f"{where}: {problem}")

    def _rule(
        self, raw: Any, where: str, max_points: Decimal | None, part: str | None
    ) -> dict[str, Any] | None:
        if not isinstance(raw, dict):
            self.error(where, _("rule phải có type"))
            return None
        rule_type = raw.get("type")
        if rule_type not in RULE_TYPES:
            self.error(
                where,
                _("loại quy tắc phải là một trong %(choices)s, không phải %(value)s")
                % {"choices": ", ".join(RULE_TYPES), "value": show(rule_type)},
            )
            return None
        known = COMMON_RULE_FIELDS + RULE_FIELDS[rule_type]
        for key in raw:
            if key not in known:
                self.error(
                    where,
                    _("trường %(field)s không dùng cho loại quy tắc %(type)s (các trường hợp lệ: %(fields)s)")
                    % {"field": show(key), "type": rule_type, "fields": ", ".join(known)},
                )

        if part == "evidence" and rule_type == "survey":
            self.error(where, _("quy tắc survey chỉ dùng cho tiêu chí thuộc phần điều tra xã hội học"))
        if part == "survey" and rule_type not in ("survey", "manual"):
            self.error(
                where,
                _("tiêu chí thuộc phần điều tra dùng quy tắc survey hoặc manual, không phải %(type)s")
                % {"type": rule_type},
            )

        rule: dict[str, Any] = {"type": rule_type}
        if rule_type == "task_on_time":
            if "late_points" in raw:
                late = self._points(raw["late_points"], where, "late_points", max_points)
            else:
                late = None if max_points is None else max_points / 2
            rule["late_points"] = None if late is None else fmt(late)
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
                _("%(field)s phải là một trong %(choices)s, không phải %(value)s")
                % {"field": key, "choices": ", ".join(choices), "value": show(value)},
            )
        return value

    def _points(self, value: Any, where: str, label: str, max_points: Decimal | None) -> Decimal | None:
        number = to_number(value)
        if number is None:
            self.error(
                where,
                _("%(field)s phải là số, không phải %(value)s") % {"field": label, "value": show(value)},
            )
            return None
        if number < 0 or (max_points is not None and number > max_points):
            self.error(
                where,
                _("%(field)s %(value)s phải trong khoảng 0..%(max)s")
                % {
                    "field": label,
                    "value": fmt(number),
                    "max": "max" if max_points is None else fmt(max_points),
                },
            )
            return None
        return number

    def _positive(self, raw: dict, key: str, where: str) -> str | None:
        if key not in raw:
            self.error(where, _("trường %(field)s của quy tắc là bắt buộc") % {"field": key})
            return None
        number = to_number(raw[key])
        if number is None or number <= 0:
            self.error(
                where,
                _("%(field)s phải là số lớn hơn 0, không phải %(value)s")
                % {"field": key, "value": show(raw[key])},
            )
            return None
        return fmt(number)

    def _bands(
        self, raw: dict, where: str, max_points: Decimal | None, *, ratio: bool
    ) -> list[list[str]] | None:
        if "bands" not in raw:
            self.error(where, _("trường bands của quy tắc là bắt buộc"))
            return None
        bands = raw["bands"]
        if not isinstance(bands, list) or not bands:
            self.error(where, _("bands phải là danh sách các cặp [ngưỡng, điểm] không rỗng"))
            return None
        out: list[list[str]] = []
        ok = True
        previous: tuple[Decimal, Decimal | None] | None = None  # the last valid threshold and its points
        for number, band in enumerate(bands, start=1):
            if not isinstance(band, list) or len(band) != 2:
                self.error(where, _("mức %(number)s phải là cặp [ngưỡng, điểm]") % {"number": number})
                ok = False
                continue
            threshold = self._threshold(band[0], number, where, ratio=ratio)
            label = _("mức %(number)s: điểm") % {"number": number}
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
                out.append([fmt(threshold), fmt(points)])
        return out if ok else None

    def _threshold(self, value: Any, number: int, where: str, *, ratio: bool) -> Decimal | None:
        threshold = to_number(value)
        values = {"number": number, "value": show(value) if threshold is None else fmt(threshold)}
        if threshold is None:
            problem = _("mức %(number)s: ngưỡng phải là số, không phải %(value)s")
        elif ratio and not 0 <= threshold <= 1:
            problem = _("mức %(number)s: ngưỡng %(value)s phải là tỷ lệ từ 0 đến 1")
        elif not ratio and threshold < 0:
            problem = _("mức %(number)s: ngưỡng %(value)s không được âm")
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
            message = _("các ngưỡng phải giảm dần (mức %(number)s: %(value)s sau %(previous)s)")
            values = {"number": number, "value": fmt(threshold), "previous": fmt(previous_threshold)}
            self.error(where, message % values)
            return False
        # A higher share of tasks done must never score less: it keeps the score monotonic. Metric bands
        # are exempt, since for some metrics less is better (complaints, late dossiers).
        if ratio and points is not None and previous_points is not None and points > previous_points:
            message = _(
                "mức %(number)s cho %(points)s điểm, nhiều hơn mức ngưỡng cao hơn trước "
                "nó (%(previous)s); điểm không được tăng khi ngưỡng giảm"
            )
            values = {"number": number, "points": fmt(points), "previous": fmt(previous_points)}
            self.error(where, message % values)
            return False
        return True
