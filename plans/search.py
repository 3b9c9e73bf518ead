"""Search that ignores case and accents: "ngân sách", "NGÂN SÁCH" and "ngan sach" find the same rows.

`fold(text)` is the Python side: diacritics stripped (NFD, combining marks dropped), đ/Đ as d, lower-cased.
`Fold(expression)` is the database side, `reform_fold(…)`: on PostgreSQL an IMMUTABLE SQL function over the
`unaccent` extension (migration plans 0003), on SQLite the Python `fold` registered on every connection
(`plans.apps`). `folded_contains(field, text)` is what the filters use: the field, folded, contains the
text, folded (LIKE with the text's own % and _ escaped). The task and plan filter sets (pages and API) go
through it, nothing else searches."""

from __future__ import annotations

import unicodedata

from django.db.models import CharField, Func
from django.db.models.lookups import Contains

#: The database function (PostgreSQL: plans 0003; SQLite: registered in `plans.apps`).
FOLD_FUNCTION = "reform_fold"

_D = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str | None:
    """`text` without case and accents: "Đề án NGÂN SÁCH" → "de an ngan sach"."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFD", str(text).translate(_D))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class Fold(Func):
    """The database's `fold` of an expression (see the module's doc)."""

    function = FOLD_FUNCTION
    arity = 1
    output_field = CharField()


def folded_contains(field: str, text: str):
    """A condition for `filter()`: `field`, case and accents aside, contains `text`."""
    return Contains(Fold(field), fold(text))
