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


# The page of each round notice, by URL name (notifications never imports scoring): (name, args, query),
# the args and the query naming the notice's fields. A deadline goes to the unit's score sheet, results to
# the set's ranking.
_ROUND_PAGES = {
    "due": ("scoring:self_assessment", ("criteria_set_id", "unit_id"), ""),
    "results_published": ("scoring:ranking", (), "?set={criteria_set_id}"),
}


@functools.lru_cache(maxsize=64)
def _has_round_page(group: str, urlconf: str | None, root: str) -> bool:
    """Does the urlconf have the group's page? Asked once per urlconf with sample ids: a missing name costs
    a NoReverseMatch, which is slow, and a site without scoring's pages (tests) must not pay it per notice."""
    name, fields, _query = _ROUND_PAGES[group]
    try:
        reverse(name, args=[1] * len(fields))
    except NoReverseMatch:
        return False
    return True


def round_path(kind: str, criteria_set_id: int, unit_id: int | None) -> str:
    """The page of a round notice: the unit's self-assessment for a deadline (`scoring:self_assessment`),
    the set's ranking for its results (`scoring:ranking?set=`); the home page on a site without them."""
    group = "results_published" if kind == "results_published" else "due"
    if not _has_round_page(group, get_urlconf(), settings.ROOT_URLCONF):
        return "/"
    name, fields, query = _ROUND_PAGES[group]
    values = {"criteria_set_id": criteria_set_id, "unit_id": unit_id}
    try:
        return reverse(name, args=[values[f] for f in fields]) + query.format(**values)
    except NoReverseMatch:  # a unit id missing, say
        return "/"


def round_url(kind: str, criteria_set_id: int, unit_id: int | None) -> str:
    return absolute_url(round_path(kind, criteria_set_id, unit_id))
