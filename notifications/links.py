"""The pages notices link to, as paths and as the absolute links texts and e-mails carry (settings.SITE_URL):
a task's page, and for a round notice the unit's self-assessment or the set's ranking, found by URL name
(notifications never imports scoring)."""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import NoReverseMatch, get_urlconf, reverse


def absolute_url(path: str) -> str:
    """`path` on the site that texts and emails link to (settings.SITE_URL)."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def task_path(task_id: int) -> str:
    return reverse("tasks:detail", args=[task_id])


def task_url(task_id: int) -> str:
    """The absolute link to the task page that texts and emails carry (settings.SITE_URL)."""
    return absolute_url(task_path(task_id))


# The page of each round notice, by URL name (notifications never imports scoring): the round's own page
# first, then one scoring already has that shows the same, then the home page. (name, args, query) where the
# args and query name the fields of the notice.
_ROUND_PAGES = {
    "due": (
        ("scoring:self_assessment", ("criteria_set_id", "unit_id"), ""),
        ("scoring:breakdown", ("criteria_set_id", "unit_id"), ""),  # the unit's sheet beside its score
    ),
    "results_published": (
        ("scoring:ranking", ("criteria_set_id",), ""),
        ("scoring:ranking", (), "?set={criteria_set_id}"),
    ),
}


@functools.lru_cache(maxsize=64)
def _round_page(group: str, urlconf: str | None, root: str) -> tuple[str, tuple[str, ...], str] | None:
    """The first of the group's pages the urlconf has (asked with sample ids: a missing name costs a
    NoReverseMatch, which is slow, so once per urlconf and not per notice), or None."""
    for name, fields, query in _ROUND_PAGES[group]:
        try:
            reverse(name, args=[1] * len(fields))
        except NoReverseMatch:
            continue
        return name, fields, query
    return None


def round_path(kind: str, criteria_set_id: int, unit_id: int | None) -> str:
    """The page of a round notice: the unit's self-assessment for a deadline (`scoring:self_assessment`,
    until it exists the unit's breakdown), the set's ranking for its results (`scoring:ranking` with the
    set, until then the ranking page with `?set=`); the home page when scoring has neither."""
    page = _round_page(
        "results_published" if kind == "results_published" else "due", get_urlconf(), settings.ROOT_URLCONF
    )
    if page is None:
        return "/"
    name, fields, query = page
    values = {"criteria_set_id": criteria_set_id, "unit_id": unit_id}
    try:
        return reverse(name, args=[values[f] for f in fields]) + query.format(**values)
    except NoReverseMatch:  # a unit id missing, say
        return "/"


def round_url(kind: str, criteria_set_id: int, unit_id: int | None) -> str:
    return absolute_url(round_path(kind, criteria_set_id, unit_id))
