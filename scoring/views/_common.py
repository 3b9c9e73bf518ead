"""What the scoring pages share: whole-number query parameters, numbers for SVG, the appraiser check, links
to pages that may not exist yet."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet
from org.web import whole_number

from .. import permissions


def int_param(request, name: str) -> int | None:
    """A whole-number query parameter; None when absent; 404 when not a number (a hand-edited URL)."""
    raw = request.GET.get(name)
    if raw in (None, ""):
        return None
    number = whole_number(raw)
    if number is None:
        raise Http404
    return number


def set_param(request, sets: list[CriteriaSet]) -> CriteriaSet | None:
    """The criteria set named by the `set` parameter among `sets`; None when absent; 404 when unknown."""
    set_id = int_param(request, "set")
    if set_id is None:
        return None
    cs = next((s for s in sets if s.pk == set_id), None)
    if cs is None:
        raise Http404
    return cs


def past_sets(sets: list[CriteriaSet], today) -> list[CriteriaSet]:
    """The sets (newest first) of this year or before; all of them when every set is for a later year."""
    return [s for s in sets if s.year <= today.year] or sets


def svg_number(value) -> str:
    """A number for an SVG attribute: never localised (a comma would break the drawing)."""
    return f"{float(value):.1f}"


def require_appraiser(user) -> None:
    """The appraiser pages are for users holding the appraiser role somewhere (403 otherwise)."""
    if not permissions.user_is_appraiser(user):
        raise PermissionDenied(_("Trang thẩm định dành cho thẩm định viên."))


def optional_url(name: str, *args) -> str:
    """The URL of `name`, or "" while no page of that name exists (a link to a page another branch adds
    appears once it is merged, and this page works before and after)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""
