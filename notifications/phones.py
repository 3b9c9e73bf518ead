"""Vietnamese mobile numbers, as the Zalo and SMS channels need them.

Accepted as people write them: `0912 345 678`, `0912.345.678`, `+84 912 345 678`, `84912345678` (spaces,
dots, dashes and brackets are ignored). A mobile number is ten digits written nationally: `0`, then one of
the mobile prefixes 3, 5, 7, 8, 9 (Viettel 03x/086/09x, Vinaphone 08x/09x, MobiFone 07x/09x, Vietnamobile
05x, …), then eight digits. Stored and sent in the international form without `+`: `84` and nine digits,
which is the form Zalo's ZNS API and the brandname gateways take.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE_PREFIXES = "35789"
# The normalized form, as stored (and checked by a database constraint).
NORMALIZED_REGEX = r"^84[35789][0-9]{8}$"
_SEPARATORS = re.compile(r"[\s.\-()]")


def normalize_vn_mobile(raw: str) -> str:
    """The number in the form `84xxxxxxxxx`, or ValidationError with a sentence a person can act on."""
    digits = _SEPARATORS.sub("", raw or "")
    if not digits:
        raise ValidationError(_("Nhập số điện thoại di động."), code="required")
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("84"):
            raise ValidationError(_("Chỉ nhận số điện thoại di động Việt Nam (+84)."), code="country")
    if not digits.isdigit():
        raise ValidationError(_("Số điện thoại chỉ gồm chữ số (có thể bắt đầu bằng +84)."), code="digits")
    if digits.startswith("84") and len(digits) == 11:
        national = digits[2:]
    elif digits.startswith("0") and len(digits) == 10:
        national = digits[1:]
    else:
        raise ValidationError(
            _("Số điện thoại di động có 10 chữ số, ví dụ 0912 345 678 hoặc +84 912 345 678."), code="length"
        )
    if national[0] not in MOBILE_PREFIXES:
        raise ValidationError(
            _("Đây không phải số di động: số di động bắt đầu bằng 03, 05, 07, 08 hoặc 09."), code="prefix"
        )
    return "84" + national


def display_vn_mobile(normalized: str) -> str:
    """`84912345678` → `0912 345 678`, as the preferences page shows it."""
    if not re.match(NORMALIZED_REGEX, normalized or ""):
        return normalized or ""
    national = "0" + normalized[2:]
    return f"{national[:4]} {national[4:7]} {national[7:]}"
