"""The ranking table (Xếp hạng): a criteria set's PAR-index table for one peer group, with a bar chart and
the link to its XLSX export. Every signed-in user sees it; a unit's name links to its breakdown where the
user may see that. Once the set's results are published, the table is the published version (the latest,
or an older one picked with `?version=`) under the decision that announced it; before, the live scores. A
published version's exports (the council's XLSX, the decision's annex as PDF) are public to signed-in users
too, as the published tables are (SPEC §1); before publication, the table's printed report is the live
one, marked provisional (`ranking_pdf`, `scoring.reports`)."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from criteria import selectors as criteria_selectors
from criteria.models import CriteriaSet
from org.documents import PDF_CONTENT_TYPE
from org.models import Unit
from org.selectors import user_memberships

from .. import exports, jobs, permissions, reports, selectors
from ..models import PublishedResult, UnitScore
from ..xlsx import XLSX_CONTENT_TYPE
from ._common import int_param, optional_url, past_sets, set_param, svg_number

log = logging.getLogger(__name__)


def _member_units(user) -> list[tuple[int, str, int | None]]:
    """(id, kind, parent id) of the units where the user holds a membership. One query."""
    ids = [u for u, _p, _r in user_memberships(user)]
    if not ids:
        return []
    return list(Unit.objects.filter(pk__in=ids).order_by("path").values_list("pk", "kind", "parent_id"))


def _default_set(sets: list[CriteriaSet], members, today) -> CriteriaSet:
    """This year's set (or the latest one before it) of a unit kind the user has to do with: the kind of
    their own units, else the kind of the units under them."""
    past = past_sets(sets, today)
    latest = [s for s in past if s.year == past[0].year]
    kinds = {kind for _u, kind, _p in members}
    for s in latest:
        if s.unit_kind in kinds:
            return s
    if members:
        below = set(
            Unit.objects.filter(parent_id__in=[u for u, _k, _p in members])
            .values_list("kind", flat=True)
            .distinct()
            .order_by()
        )
        for s in latest:
            if s.unit_kind in below:
                return s
    return latest[0]


def _default_group(cs: CriteriaSet, groups: list[Unit], members, user) -> int | None:
    """The user's own peer group: their unit's parent, else the group under their unit, else the first
    group inside their subtree, else the first group."""
    ids = {g.pk for g in groups}
    for _u, kind, parent in members:
        if kind == cs.unit_kind and parent in ids:
            return parent
    for unit, _k, _p in members:
        if unit in ids:
            return unit
    for group in groups:
        if permissions.can_see_breakdown(user, group):
            return group.pk
    return groups[0].pk if groups else None


def _bar_rows(rows: list[UnitScore]) -> list[dict]:
    return [{"score": r, "width": svg_number(min(max(r.percent, Decimal(0)), Decimal(100)))} for r in rows]


def _table(cs: CriteriaSet, parent_id: int | None, user, member_ids: set[int], result=None) -> list:
    """The peer group's rows (the published version `result`'s when given, else the live ones), each marked
    with whether the user may open its breakdown and is a member."""
    if result is not None:
        rows = selectors.published_ranking(result=result, parent_unit=parent_id)
    else:
        rows = selectors.ranking(criteria_set=cs, parent_unit=parent_id)
    if parent_id is None:  # a set of top-level units: one group without a parent
        rows = rows.filter(parent_unit__isnull=True)
    rows = list(rows)
    for row in rows:
        row.can_see = permissions.can_see_breakdown(user, row.unit)
        row.mine = row.unit_id in member_ids
    return rows


def _version(request, versions: list[PublishedResult]) -> PublishedResult | None:
    """The published version asked for (`?version=`, 404 when unknown), else the latest; None before the
    first publication."""
    asked = int_param(request, "version")
    if asked is None:
        return versions[0] if versions else None
    found = next((v for v in versions if v.version == asked), None)
    if found is None:
        raise Http404
    return found


def _selection(request):
    """What the page shows: the sets, the set (`?set=`, else the user's default), its peer groups, the
    group (`?parent=`, else the user's own) and the user's units; None when there is no set at all."""
    user = request.user
    sets = list(criteria_selectors.criteria_set_list())
    if not sets:
        return None
    asked = set_param(request, sets)
    members = _member_units(user)
    cs = asked or _default_set(sets, members, timezone.localdate())
    groups = list(selectors.peer_groups(criteria_set=cs))
    parent_id = int_param(request, "parent")
    if parent_id is None or parent_id not in {g.pk for g in groups}:
        parent_id = _default_group(cs, groups, members, user)
    return sets, cs, groups, parent_id, members


@login_required
@require_GET
def ranking(request):
    """Xếp hạng: the PAR-index table of a criteria set and a peer group, with a chart and the export."""
    user = request.user
    selection = _selection(request)
    if selection is None:
        return render(request, "scoring/ranking.html", {"sets": []})
    sets, cs, groups, parent_id, members = selection
    versions = selectors.published_results(cs)
    result = _version(request, versions)
    rows = _table(cs, parent_id, user, {u for u, _k, _p in members}, result)
    export = reverse("criteria-set-export", kwargs={"pk": cs.pk, "format": "xlsx"})
    report = f"{reverse('scoring:ranking_pdf')}?set={cs.pk}"
    return render(
        request,
        "scoring/ranking.html",
        {
            "sets": sets,
            "cs": cs,
            "groups": groups,
            "parent": next((g for g in groups if g.pk == parent_id), None),
            "rows": rows,
            "bars": _bar_rows(rows),
            "export_url": f"{export}?parent={parent_id}" if parent_id else export,
            "report_url": f"{report}&parent={parent_id}" if parent_id else report,
            "rnd": selectors.round_read(cs),
            "result": result,
            "versions": versions,
            "published_xlsx": optional_url("scoring:published_xlsx", cs.pk, result.version) if result else "",
            "published_pdf": optional_url("scoring:published_pdf", cs.pk, result.version) if result else "",
            "show_class": bool(cs.classes) or any(r.class_label for r in rows),
        },
    )


@login_required
@require_GET
def ranking_pdf(request):
    """In báo cáo (PDF): the table the page shows (same `set` and `parent`, same defaults) as an official
    report. Before publication the live scores, marked "Kết quả tạm tính" with the moment of the figures;
    once published, the published version's own document (the decision's annex) instead. Public to
    signed-in users, as the page."""
    selection = _selection(request)
    if selection is None:
        raise Http404
    _sets, cs, groups, parent_id, _members = selection
    result = _version(request, selectors.published_results(cs))
    if result is not None:
        return redirect("scoring:published_pdf", cs.pk, result.version)
    cs = CriteriaSet.objects.select_related("owner_unit__parent").get(pk=cs.pk)
    rows = list(selectors.ranking(criteria_set=cs, parent_unit=parent_id))
    if parent_id is None:
        rows = [r for r in rows if r.parent_unit_id is None]
    parent = next((g for g in groups if g.pk == parent_id), None)
    now = timezone.now()
    today = timezone.localdate(now)
    content = reports.ranking_pdf(cs=cs, parent=parent, rows=rows, today=today, now=now)
    return _download(content, PDF_CONTENT_TYPE, reports.ranking_filename(cs, parent, today))


# --- A published version's exports --------------------------------------------------------------------------


def _published(set_id: int, version: int) -> PublishedResult:
    """The version with its set, the set's owner unit and that unit's parent (one query); 404 when the set
    has no such version."""
    result = (
        PublishedResult.objects.select_related("criteria_set__owner_unit__parent")
        .filter(criteria_set_id=set_id, version=version)
        .first()
    )
    if result is None:
        raise Http404
    return result


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def published_xlsx(request, set_id: int, version: int):
    """A published version in the council's spreadsheet layout (XLSX)."""
    result = _published(set_id, version)
    content = exports.published_ranking_xlsx(result)
    return _download(content, XLSX_CONTENT_TYPE, exports.export_filename(result, "xlsx"))


@login_required
@require_GET
def published_pdf(request, set_id: int, version: int):
    """A published version as the decision's annex (PDF, Nghị định 30/2020 layout): the stored annex
    (rendered once after publication), else rendered now when small, else a page saying it is being
    prepared (status 202; the job is queued again, harmlessly)."""
    result = _published(set_id, version)
    filename = exports.export_filename(result, "pdf")
    if not result.annex and result.scores.count() <= exports.ANNEX_INLINE_MAX:
        exports.published_annex_store(result.pk)
        result.refresh_from_db(fields=["annex"])
    if result.annex:
        try:
            with result.annex.open("rb") as stored:
                return _download(stored.read(), PDF_CONTENT_TYPE, filename)
        except (FileNotFoundError, ValueError):
            # The stored file is gone (a lost disk or bucket, a restored database): the annex is drawn from
            # the version's frozen rows, so the same document is drawn again for this reader; the stored
            # one is never replaced behind the version's back, and the operators are told.
            log.error(
                "the annex of published version %s is missing from storage: %s", result.pk, result.annex.name
            )
            return _download(exports.published_ranking_pdf(result), PDF_CONTENT_TYPE, filename)
    jobs.render_annex(result.pk)
    return render(request, "scoring/annex_pending.html", {"result": result}, status=202)
