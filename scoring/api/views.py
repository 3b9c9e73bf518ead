"""Scoring API (SPEC §5): ranking tables, breakdowns, survey import, appraisals, export, as actions of the
criteria-set resource (`criteria.api.views` lists, shows and imports the sets).

Thin: parse the request, check what the user may see (404) or do (403), call a service or a selector.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, renderers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from criteria import selectors as criteria_selectors
from criteria.api import views as criteria_api
from criteria.api.serializers import FileUploadSerializer
from org.models import Unit
from org.web import whole_number
from scoring import permissions, selectors, services
from scoring.xlsx import XLSX_CONTENT_TYPE, score_workbook

from .round import RoundActionsMixin
from .serializers import (
    AppraisalInputSerializer,
    AppraisalSerializer,
    BreakdownSerializer,
    PublishedResultSerializer,
    ScoreRowSerializer,
    SurveyImportSerializer,
)

#: Survey files (CSV or XLSX) are read up to this size.
SURVEY_MAX_BYTES = services.SURVEY_MAX_BYTES
#: An export without `parent` gets unit sheets only up to this many units; more needs a peer group.
EXPORT_MAX_UNIT_SHEETS = 200


class XLSXRenderer(renderers.BaseRenderer):
    """Renders the workbook bytes; an error (a dict) is answered as JSON, as everywhere else."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | bytearray):
            return bytes(data)
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False).encode()


PARENT_PARAM = OpenApiParameter(
    "parent", OpenApiTypes.INT, description="Only the peer group under this parent unit (unit id)."
)
UNIT_PARAM = OpenApiParameter("unit_id", OpenApiTypes.INT, OpenApiParameter.PATH)
VERSION_PARAM = OpenApiParameter(
    "version", OpenApiTypes.INT, description="A published version (default: the latest, once published)."
)
CODE_PARAM = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Leaf code")


def _plain_value(value):
    """A stored value as the API's JSON carries it: Decimals as text (the DecimalField's output)."""
    return str(value) if isinstance(value, Decimal) else value


# The one the router serves at /api/criteria-sets/. Its docstring is also the OpenAPI description of the
# list, detail and import operations it inherits, so it speaks of the whole resource.
@extend_schema(tags=["criteria-sets"])
class CriteriaSetViewSet(RoundActionsMixin, criteria_api.CriteriaSetViewSet):
    """Criteria sets (visible to every signed-in user; imported by the admins and appraisers of the set's
    owner unit, a set with no owner by a superuser), their ranking tables (the published version once
    published), unit breakdowns, survey import, appraisals, the assessment round and the score-sheet
    export."""

    def _parent_param(self):
        raw = self.request.query_params.get("parent")
        if raw in (None, ""):
            return None
        number = whole_number(raw)
        if number is None:
            raise ValidationError({"parent": [_("Cần mã số (id) của đơn vị, là một số nguyên.")]})
        return number

    @extend_schema(parameters=[PARENT_PARAM, VERSION_PARAM], responses=ScoreRowSerializer(many=True))
    @action(detail=True, methods=["get"])
    def scores(self, request, pk=None, **kwargs):
        """The ranking table: per peer group (units with the same parent), by rank. Once the set's results
        are published, the published version (the latest, or `version`), frozen, with its decision in
        `published`; before, the live scores (`published` null)."""
        cs = self.get_object()
        parent = self._parent_param()
        raw = request.query_params.get("version")
        version = None
        if raw not in (None, ""):
            version = whole_number(raw)
            if version is None:
                raise ValidationError({"version": [_("Phiên bản là một số nguyên.")]})
        result = selectors.published_result(cs, version)
        if version is not None and result is None:
            raise Http404
        if result is None:
            page = self.paginate_queryset(selectors.ranking(criteria_set=cs, parent_unit=parent))
            response = self.get_paginated_response(ScoreRowSerializer(page, many=True).data)
            response.data["published"] = None
            return response
        # Frozen rows, read as plain values and given as stored (numbers as their 4-decimal text, as the
        # serializer would write them): a page of 500 rows in a few milliseconds.
        page = self.paginate_queryset(selectors.published_ranking_rows(result=result, parent_unit=parent))
        fields, plain = selectors.PUBLISHED_ROW_FIELDS, _plain_value
        rows = [dict(zip(fields, map(plain, row), strict=True)) for row in page]
        response = self.get_paginated_response(rows)
        response.data["published"] = PublishedResultSerializer(result).data
        return response

    def _unit(self, unit_id) -> Unit:
        unit = Unit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise Http404
        return unit

    @extend_schema(parameters=[UNIT_PARAM], responses=BreakdownSerializer)
    @action(detail=True, methods=["get"], url_path=r"scores/(?P<unit_id>\d+)")
    def breakdown(self, request, pk=None, unit_id=None, **kwargs):
        """A unit's per-criterion breakdown: points, reasons, linked tasks and the projected score. Only
        for members of the unit or of a unit above it (else 404)."""
        cs = self.get_object()
        unit = self._unit(unit_id)
        if not selectors.is_scored_on(cs, unit) or not permissions.can_see_breakdown(request.user, unit):
            raise Http404
        bd = selectors.breakdown(criteria_set=cs, unit=unit)
        return Response(BreakdownSerializer(bd).data)

    @extend_schema(
        request={"multipart/form-data": FileUploadSerializer},
        responses={200: SurveyImportSerializer},
        description="Import survey results (CSV or XLSX with the header unit_code, criterion_code, points). "
        "Appraisers only (403). Any bad row refuses the file (400, rows named); a unit code that does not "
        "exist and one outside your subtree answer alike: \"row 3: unit 'X' is not a unit you appraise\".",
    )
    @action(detail=True, methods=["post"], parser_classes=[parsers.MultiPartParser, parsers.FormParser])
    def survey(self, request, pk=None, **kwargs):
        cs = self.get_object()
        if not permissions.user_is_appraiser(request.user):
            raise PermissionDenied(_("Chỉ thẩm định viên được nhập kết quả điều tra."))
        data, name = criteria_api.read_upload(request, SURVEY_MAX_BYTES)
        result = services.survey_import(actor=request.user, criteria_set=cs, data=data, filename=name)
        return Response({"rows": result.rows, "units": result.unit_ids})

    @extend_schema(
        parameters=[UNIT_PARAM, CODE_PARAM],
        request=AppraisalInputSerializer,
        responses={200: AppraisalSerializer},
        description="Set a leaf's appraised points for a unit (0..max, or null to clear) with a note. "
        "Appraisers of the unit's subtree only (403); a unit you cannot see or an unknown leaf is 404.",
    )
    @action(
        detail=True,
        methods=["put"],
        url_path=r"appraisals/(?P<unit_id>\d+)/(?P<code>[0-9A-Za-z_.\-]+)",
        parser_classes=[parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser],
    )
    def appraisal(self, request, pk=None, unit_id=None, code=None, **kwargs):
        cs = self.get_object()
        unit = Unit.objects.visible_to(request.user).filter(pk=unit_id).first()
        if unit is None or not selectors.is_scored_on(cs, unit):
            raise Http404
        if not criteria_selectors.scorable_criteria(criteria_set=cs).filter(code=code).exists():
            raise Http404
        body = AppraisalInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appraisal = services.appraisal_set(
            actor=request.user,
            criteria_set=cs,
            unit=unit,
            code=code,
            points=body.validated_data["points"],
            note=body.validated_data.get("note", ""),
        )
        data = {
            "unit": unit.pk,
            "code": code,
            "points": None if appraisal is None else appraisal.points,
            "note": "" if appraisal is None else appraisal.note,
            "appraiser": None if appraisal is None else appraisal.appraiser_id,
            "updated_at": None if appraisal is None else appraisal.updated_at,
        }
        return Response(AppraisalSerializer(data).data)

    @extend_schema(
        parameters=[PARENT_PARAM],
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The score sheets (XLSX)"
            )
        },
        description="The score sheets as XLSX (also at export.xlsx): a ranking sheet and one sheet per "
        "unit whose breakdown you may see.",
    )
    @action(detail=True, methods=["get"], url_path="export", renderer_classes=[XLSXRenderer])
    def export(self, request, pk=None, **kwargs):
        cs = self.get_object()
        parent = self._parent_param()
        rows = list(selectors.ranking(criteria_set=cs, parent_unit=parent))
        unit_ids = [r.unit_id for r in rows]
        visible = list(
            selectors.units_with_visible_breakdown(request.user).filter(pk__in=unit_ids).order_by("code")
        )
        if parent is None and len(visible) > EXPORT_MAX_UNIT_SHEETS:
            raise ValidationError(
                {
                    "parent": [
                        _("Nhiều hơn %(n)d đơn vị: hãy chọn nhóm so sánh (đơn vị cấp trên) để xuất.")
                        % {"n": EXPORT_MAX_UNIT_SHEETS}
                    ]
                }
            )
        by_unit = selectors.breakdowns(criteria_set=cs, units=visible, with_tasks=False)
        order = {r.unit_id: i for i, r in enumerate(rows)}
        sheets = sorted(by_unit.values(), key=lambda bd: order[bd.unit.pk])
        content = score_workbook(criteria_set=cs, rows=rows, breakdowns=sheets)
        safe_code = re.sub(r"[^A-Za-z0-9._-]+", "-", cs.code)  # a header value: plain ASCII only
        filename = f"diem-cchc-{safe_code}-{timezone.localdate():%Y%m%d}.xlsx"
        return Response(content, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
