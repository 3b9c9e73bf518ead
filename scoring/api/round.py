"""The assessment round in the API (SPEC §5): `/api/criteria-sets/{id}/round/` and its steps, a unit's
self-assessment (`self-assessments/{unit_id}/…`), the appraisers' bonus and penalty (`adjustments/…`).
Actions of the criteria-set resource, mixed into `scoring.api.views.CriteriaSetViewSet`.

Thin: what the user may see decides 404 (a unit outside their subtrees), the services decide the rest
(403, 409, 400)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers
from rest_framework.decorators import action
from rest_framework.response import Response

from org.models import Unit
from scoring import permissions, selectors, services
from scoring.models import RoundAction

from .serializers import (
    AdjustmentInputSerializer,
    AdjustmentSerializer,
    AnswerInputSerializer,
    CriterionEvidenceInputSerializer,
    CriterionEvidenceSerializer,
    ProgressRowSerializer,
    RoundSerializer,
    RoundStepSerializer,
    SheetLeafInputSerializer,
    SheetSerializer,
)

UNIT_PARAM = OpenApiParameter("unit_id", OpenApiTypes.INT, OpenApiParameter.PATH)
CODE_PARAM = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Leaf code")
STEP_PARAM = OpenApiParameter(
    "step", OpenApiTypes.STR, OpenApiParameter.PATH, enum=RoundAction.values, description="The round step"
)
_JSON = [parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser]
# A leaf code, never the sheet's own actions (`submit/`, `evidence/`), which share the prefix.
_CODE = r"(?P<code>(?!(?:submit|evidence)/)[0-9A-Za-z_.\-]+)"


def round_payload(cs) -> dict:
    rnd = selectors.round_read(cs)
    return {
        "state": rnd.state,
        "get_state_display": rnd.get_state_display(),
        "self_assessment_until": rnd.self_assessment_until,
        "explanation_until": rnd.explanation_until,
        "decision_number": rnd.decision_number,
        "decided_on": rnd.decided_on,
        "version": rnd.version,
        "correction_reason": rnd.correction_reason,
        "units": selectors.round_unit_counts(cs),
        "published": selectors.published_results(cs),
    }


class RoundActionsMixin:
    """The round's actions on a criteria set (see the module docstring)."""

    def _scored_unit(self, cs, unit_id) -> Unit:
        """A unit scored on the set that the user may see, else 404."""
        unit = Unit.objects.visible_to(self.request.user).filter(pk=unit_id).first()
        if unit is None or not selectors.is_scored_on(cs, unit):
            raise Http404
        return unit

    @extend_schema(
        responses=RoundSerializer, description="The round: state, deadlines, decision, units per state."
    )
    @action(detail=True, methods=["get"], url_path="round")
    def round(self, request, pk=None, **kwargs):
        cs = self.get_object()
        return Response(RoundSerializer(round_payload(cs)).data)

    @extend_schema(
        parameters=[STEP_PARAM],
        request=RoundStepSerializer,
        responses=RoundSerializer,
        description="Move the round one step: open_self_assessment (self_assessment_until), "
        "start_appraisal, open_explanation (explanation_until), start_final_appraisal, publish "
        "(decision_number, decided_on), correct (reason). Admins and appraisers of the set's owner unit "
        "(a correction: superusers and admins of the owner unit); 409 from the wrong state.",
    )
    @action(detail=True, methods=["post"], url_path=r"round/(?P<step>[a-z_]+)", parser_classes=_JSON)
    def round_step(self, request, pk=None, step=None, **kwargs):
        cs = self.get_object()
        if step not in RoundAction.values:
            raise Http404
        body = RoundStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.round_step(
            actor=request.user,
            criteria_set=cs,
            action=step,
            fields=services.StepFields(**body.validated_data),
        )
        return Response(RoundSerializer(round_payload(cs)).data)

    @extend_schema(
        responses=ProgressRowSerializer(many=True), description="Self-assessment progress by unit."
    )
    @action(detail=True, methods=["get"], url_path="self-assessments")
    def self_assessments(self, request, pk=None, **kwargs):
        cs = self.get_object()
        rows = selectors.round_progress(criteria_set=cs, units=Unit.objects.visible_to(request.user))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ProgressRowSerializer(page, many=True).data)

    def _sheet(self, cs, unit):
        bd = selectors.breakdown(criteria_set=cs, unit=unit)
        return selectors.self_assessment_sheet(criteria_set=cs, unit=unit, breakdown=bd)

    @extend_schema(parameters=[UNIT_PARAM], responses=SheetSerializer)
    @action(detail=True, methods=["get"], url_path=r"self-assessments/(?P<unit_id>\d+)")
    def self_assessment(self, request, pk=None, unit_id=None, **kwargs):
        """A unit's score sheet: every leaf with its automatic, self, own, appraised and final points, the
        explanation, the evidence and the answer. Members of the unit or a unit above it (else 404)."""
        cs = self.get_object()
        unit = self._scored_unit(cs, unit_id)
        if not permissions.can_see_breakdown(request.user, unit):
            raise Http404
        return Response(SheetSerializer(self._sheet(cs, unit)).data)

    @extend_schema(
        parameters=[UNIT_PARAM, CODE_PARAM], request=SheetLeafInputSerializer, responses=SheetSerializer
    )
    @action(
        detail=True,
        methods=["put"],
        url_path=rf"self-assessments/(?P<unit_id>\d+)/{_CODE}",
        parser_classes=_JSON,
    )
    def self_assessment_leaf(self, request, pk=None, unit_id=None, code=None, **kwargs):
        """Self points (manual leaves) and the explanation of one leaf, while the sheet is open."""
        cs = self.get_object()
        unit = self._scored_unit(cs, unit_id)
        body = SheetLeafInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.self_assessment_leaf_save(
            actor=request.user, criteria_set=cs, unit=unit, code=code, **body.validated_data
        )
        return Response(SheetSerializer(self._sheet(cs, unit)).data)

    @extend_schema(
        parameters=[UNIT_PARAM],
        request={"multipart/form-data": CriterionEvidenceInputSerializer},
        responses={201: CriterionEvidenceSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"self-assessments/(?P<unit_id>\d+)/evidence",
        parser_classes=[parsers.MultiPartParser, parsers.FormParser],
    )
    def self_assessment_evidence(self, request, pk=None, unit_id=None, **kwargs):
        """Criterion evidence (same file rules as task evidence) with the self-assessment or an answer."""
        cs = self.get_object()
        unit = self._scored_unit(cs, unit_id)
        body = CriterionEvidenceInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        evidence = services.criterion_evidence_add(
            actor=request.user,
            criteria_set=cs,
            unit=unit,
            code=data["criterion_code"],
            file=data["file"],
            doc_number=data.get("doc_number", ""),
            doc_date=data.get("doc_date"),
            description=data.get("description", ""),
        )
        return Response(CriterionEvidenceSerializer(evidence).data, status=201)

    @extend_schema(parameters=[UNIT_PARAM], request=None, responses=SheetSerializer)
    @action(detail=True, methods=["post"], url_path=r"self-assessments/(?P<unit_id>\d+)/submit")
    def self_assessment_submit(self, request, pk=None, unit_id=None, **kwargs):
        """Submit the unit's self-assessment (locks it)."""
        cs = self.get_object()
        unit = self._scored_unit(cs, unit_id)
        services.self_assessment_submit(actor=request.user, criteria_set=cs, unit=unit)
        return Response(SheetSerializer(self._sheet(cs, unit)).data)

    @extend_schema(
        parameters=[UNIT_PARAM, CODE_PARAM], request=AnswerInputSerializer, responses=SheetSerializer
    )
    @action(
        detail=True,
        methods=["put"],
        url_path=rf"self-assessments/(?P<unit_id>\d+)/{_CODE}/answer",
        parser_classes=_JSON,
    )
    def self_assessment_answer(self, request, pk=None, unit_id=None, code=None, **kwargs):
        """The unit's answer (giải trình) on a leaf appraised below its own points, until the deadline."""
        cs = self.get_object()
        unit = self._scored_unit(cs, unit_id)
        body = AnswerInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.explanation_answer(
            actor=request.user, criteria_set=cs, unit=unit, code=code, text=body.validated_data["text"]
        )
        return Response(SheetSerializer(self._sheet(cs, unit)).data)

    @extend_schema(parameters=[UNIT_PARAM], request=AdjustmentInputSerializer, responses=AdjustmentSerializer)
    @action(detail=True, methods=["put"], url_path=r"adjustments/(?P<unit_id>\d+)", parser_classes=_JSON)
    def adjustment(self, request, pk=None, unit_id=None, **kwargs):
        """A unit's bonus and penalty points, within the set's caps, with the reason. Appraisers only."""
        cs = self.get_object()
        unit = self._scored_unit(cs, unit_id)
        body = AdjustmentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.adjustment_set(actor=request.user, criteria_set=cs, unit=unit, **body.validated_data)
        return Response(AdjustmentSerializer(row).data)
