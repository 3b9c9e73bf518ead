"""Small helpers shared by the server-rendered pages of every app. They live in `org`, the lowest layer, so
that `plans` and `tasks` can use them without importing anything above themselves."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator

PAGE_SIZE = 25


def paginate(request, queryset, *, per_page: int = PAGE_SIZE, param: str = "page"):
    """The requested page of `queryset` (a bad or too large page number gives the first or last page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


def add_service_errors(form, exc: ValidationError, *, field_map: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError next to the form's fields; errors about fields the form does not
    have go on top of the form."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            name = field_map.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))


#: Ids are PostgreSQL bigints: 18 digits always fit, more may not (a database error, not a clear answer).
MAX_ID_DIGITS = 18


def whole_number(raw: str | None) -> int | None:
    """A query-string id: a whole number written in ASCII digits, or None when `raw` is not one. The pages
    and the API read ids with it; `str.isdigit` alone accepts "²" (which `int` refuses: a 500) and "١٢"
    (which `int` reads, in another script)."""
    if raw and len(raw) <= MAX_ID_DIGITS and raw.isascii() and raw.isdigit():
        return int(raw)
    return None
