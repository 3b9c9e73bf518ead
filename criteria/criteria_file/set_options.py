"""Checking a criteria file's optional top-level keys (domain/criteria-format.md, "Optional top-level keys"):
`owner`, the code of the issuing unit; `classes`, the thresholds and labels of the classes (xếp loại); and
`adjustments`, the caps of the appraisers' bonus and penalty points. A mixin of `checker.Checker`.

Pure: the owner is only checked as a code here; `criteria.services.criteria_set_import` looks the unit up
(it must exist and be of a kind above the set's unit kind)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from ..definitions import OWNER_KINDS
from .spec import ADJUSTMENT_FIELDS, CENT, MAX_CLASS_LABEL, MAX_UNIT_CODE_LENGTH, TOTAL_MAX
from .values import fmt, show, to_number


class SetOptionChecks:
    """The checks of `owner`, `classes` and `adjustments`; problems go to `error` (of `RuleChecks`)."""

    if TYPE_CHECKING:

        def error(self, where: str, problem: str) -> None: ...  # RuleChecks.error

    # owner -------------------------------------------------------------------------------------------

    def _owner(self, value: Any, unit_kind: Any) -> str | None:
        """The owner's unit code as text, or None (reported) when it cannot be one."""
        if value is None:
            self.error("owner", _("để trống; bỏ trường owner nếu bộ tiêu chí áp dụng toàn quốc"))
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if (
            not isinstance(value, str)
            or not value.strip()
            or len(value.strip()) > MAX_UNIT_CODE_LENGTH
            or re.search(r"\s", value.strip())
        ):
            self.error(
                "owner",
                _(
                    "phải là mã của đơn vị ban hành, từ 1 đến %(limit)s ký tự, không có dấu "
                    "cách (ví dụ YB-TP), không phải %(value)s"
                )
                % {"limit": MAX_UNIT_CODE_LENGTH, "value": show(value)},
            )
            return None
        if unit_kind in OWNER_KINDS and not OWNER_KINDS[unit_kind]:
            self.error(
                "owner",
                _(
                    "bộ tiêu chí cho đơn vị loại %(kind)s không có đơn vị ban hành ở cấp trên: "
                    "bỏ trường owner (bộ tiêu chí áp dụng toàn quốc)"
                )
                % {"kind": unit_kind},
            )
            return None
        return value.strip()

    # classes -----------------------------------------------------------------------------------------

    def _classes(self, raw: Any) -> list[tuple[Decimal, str]]:
        """The classes as (threshold, label): thresholds 0..100 with at most 2 decimals, strictly
        descending, the last 0; labels non-empty, unique, at most `MAX_CLASS_LABEL` characters."""
        if not isinstance(raw, list) or not raw:
            self.error(
                "classes",
                _(
                    "phải là danh sách không rỗng các cặp [ngưỡng phần trăm, tên xếp loại], "
                    "ví dụ [[90, Xuất sắc], [0, Yếu]]"
                ),
            )
            return []
        out: list[tuple[Decimal, str]] = []
        ok = True
        previous: Decimal | None = None
        labels: set[str] = set()
        for number, item in enumerate(raw, start=1):
            if not isinstance(item, list) or len(item) != 2:
                self.error(
                    "classes",
                    _("xếp loại %(number)s phải là cặp [ngưỡng phần trăm, tên xếp loại]")
                    % {"number": number},
                )
                ok = False
                continue
            threshold = self._class_threshold(item[0], number)
            label = self._class_label(item[1], number, labels)
            if threshold is not None and previous is not None and threshold >= previous:
                self.error(
                    "classes",
                    _("các ngưỡng phải giảm dần (xếp loại %(number)s: %(value)s sau %(previous)s)")
                    % {"number": number, "value": fmt(threshold), "previous": fmt(previous)},
                )
                ok = False
            if threshold is None or label is None:
                ok = False
            if threshold is not None:
                previous = threshold
            if threshold is not None and label is not None:
                out.append((threshold, label))
        if ok and out[-1][0] != 0:
            self.error(
                "classes",
                _(
                    "ngưỡng của xếp loại cuối phải là 0, để đơn vị nào cũng được xếp loại "
                    "(không phải %(value)s)"
                )
                % {"value": fmt(out[-1][0])},
            )
            ok = False
        return out if ok else []

    def _class_threshold(self, value: Any, number: int) -> Decimal | None:
        threshold = to_number(value)
        values = {"number": number, "value": show(value) if threshold is None else fmt(threshold)}
        if threshold is None:
            problem = _("xếp loại %(number)s: ngưỡng phải là số phần trăm, không phải %(value)s")
        elif not 0 <= threshold <= TOTAL_MAX:
            problem = _("xếp loại %(number)s: ngưỡng %(value)s phải từ 0 đến 100")
        elif threshold != threshold.quantize(CENT):
            problem = _("xếp loại %(number)s: ngưỡng %(value)s có hơn 2 chữ số thập phân")
        else:
            return threshold
        self.error("classes", problem % values)
        return None

    def _class_label(self, value: Any, number: int, seen: set[str]) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.error(
                "classes",
                _("xếp loại %(number)s: tên phải là văn bản không rỗng, không phải %(value)s")
                % {"number": number, "value": show(value)},
            )
            return None
        label = value.strip()
        if len(label) > MAX_CLASS_LABEL:
            self.error(
                "classes",
                _("xếp loại %(number)s: tên dài quá %(limit)s ký tự")
                % {"number": number, "limit": MAX_CLASS_LABEL},
            )
            return None
        key = label.casefold()
        if key in seen:
            self.error("classes", _("tên xếp loại %(label)s bị dùng nhiều lần") % {"label": show(label)})
            return None
        seen.add(key)
        return label

    # adjustments -------------------------------------------------------------------------------------

    def _adjustments(self, raw: Any) -> tuple[Decimal | None, Decimal | None]:
        """The caps of bonus and penalty points (each None when absent): numbers 0..100, 2 decimals."""
        if not isinstance(raw, dict):
            self.error("adjustments", _("phải có dạng {bonus_max: số điểm, penalty_max: số điểm}"))
            return None, None
        for key in raw:
            if key not in ADJUSTMENT_FIELDS:
                self.error(
                    f"adjustments.{key}",
                    _("trường không hợp lệ (các trường hợp lệ: %(fields)s)")
                    % {"fields": ", ".join(ADJUSTMENT_FIELDS)},
                )
        if not any(key in raw for key in ADJUSTMENT_FIELDS):
            self.error(
                "adjustments",
                _(
                    "ghi ít nhất một trong %(fields)s (bỏ trường adjustments nếu bộ tiêu chí "
                    "không có điểm thưởng, điểm trừ)"
                )
                % {"fields": ", ".join(ADJUSTMENT_FIELDS)},
            )
        bonus, penalty = (self._cap(raw, key) for key in ADJUSTMENT_FIELDS)
        return bonus, penalty

    def _cap(self, raw: dict, key: str) -> Decimal | None:
        if key not in raw:
            return None
        value = to_number(raw[key])
        if value is None or not 0 <= value <= TOTAL_MAX:
            self.error(
                f"adjustments.{key}",
                _("phải là số điểm từ 0 đến 100, không phải %(value)s")
                % {"value": show(raw[key]) if value is None else fmt(value)},
            )
            return None
        if value != value.quantize(CENT):
            self.error(f"adjustments.{key}", _("%(value)s có hơn 2 chữ số thập phân") % {"value": fmt(value)})
            return None
        return value
