"""A unit's side of the round (SPEC §3a): its leaders' self points on `manual` leaves, explanations and
criterion evidence on any leaf, the one submission that locks the sheet, and, in the explanation stage, the
answers (giải trình) to the leaves appraised below its own points. The appraisers' side (appraisals, bonus
and penalty) is `appraisals`.

Each write is checked where it happens: who (`permissions.can_self_assess`), the round's stage, the
unit's sheet still open, the deadline not passed; each leaves an audit entry and, when it moves points,
asks for the unit's recompute after commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from criteria.models import CriteriaSet, Criterion
from org.audit import audit_record
from org.formatting import points as points_text
from org.models import AuditAction, Unit
from tasks.files import inspect_upload

from ..models import (
    CriterionEvidence,
    EvidencePhase,
    LeafAssessment,
    LeafScore,
    RoundState,
    SelfAssessment,
    SelfAssessmentState,
)
from ..permissions import can_self_assess
from ..rules import below_own
from ..selectors import is_scored_on
from ._leaves import scored_leaf
from .recompute import scores_request
from .round import RoundError, is_past, round_of, self_assessments_open
from .surveys import POINTS_PLACES

#: Longest explanation or answer a leaf takes (a page of text).
TEXT_MAX = 5000
UNSET = object()


def _check_actor(actor, criteria_set: CriteriaSet, unit: Unit) -> None:
    if not is_scored_on(criteria_set, unit):
        raise ValidationError({"unit": [_("Đơn vị này không được chấm theo bộ tiêu chí này.")]})
    if not can_self_assess(actor, unit):
        raise PermissionDenied(_("Chỉ lãnh đạo của đơn vị mới tự đánh giá và giải trình cho đơn vị."))


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise ValidationError({field: [_("Tối đa %(n)d ký tự.") % {"n": TEXT_MAX}]})
    return value


def _sheet(criteria_set: CriteriaSet, unit: Unit) -> SelfAssessment:
    """The unit's self-assessment, locked; opened for a unit scored since the round began."""
    sheet = SelfAssessment.objects.select_for_update().filter(criteria_set=criteria_set, unit=unit).first()
    if sheet is None:
        self_assessments_open(criteria_set=criteria_set)
        sheet = SelfAssessment.objects.select_for_update().get(criteria_set=criteria_set, unit=unit)
    return sheet


def _open_sheet(criteria_set: CriteriaSet, unit: Unit, now) -> SelfAssessment:
    """The unit's sheet while it may still be edited: the round in self-assessment, before the deadline,
    not yet submitted. Else RoundError."""
    rnd = round_of(criteria_set)
    if rnd.state != RoundState.SELF_ASSESSMENT:
        raise RoundError(
            _("Chỉ tự đánh giá được khi kỳ đánh giá ở giai đoạn tự đánh giá (hiện: “%(state)s”).")
            % {"state": rnd.get_state_display()}
        )
    sheet = _sheet(criteria_set, unit)
    if sheet.is_submitted:
        raise RoundError(_("Bản tự đánh giá đã gửi, không sửa được nữa."))
    if is_past(rnd.self_assessment_until, now):
        raise RoundError(_("Đã hết hạn tự đánh giá."))
    return sheet


def _self_points(value, criterion: Criterion) -> Decimal | None:
    if value in (None, ""):
        return None
    if criterion.rule.get("type") != "manual":
        raise ValidationError(
            {
                "self_points": [
                    _("Chỉ tiêu chí chấm thủ công mới nhận điểm tự chấm; tiêu chí này chấm tự động.")
                ]
            }
        )
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"self_points": [_("Điểm phải là một số.")]}) from None
    if not points.is_finite() or not Decimal(0) <= points <= criterion.max_points:
        raise ValidationError(
            {"self_points": [_("Điểm phải từ 0 đến %(max)s.") % {"max": points_text(criterion.max_points)}]}
        )
    if points.as_tuple().exponent < -POINTS_PLACES:
        raise ValidationError(
            {"self_points": [_("Điểm có tối đa %(k)d chữ số thập phân.") % {"k": POINTS_PLACES}]}
        )
    return points


@transaction.atomic
def self_assessment_leaf_save(
    *,
    actor,
    criteria_set: CriteriaSet,
    unit: Unit,
    code: str,
    self_points=UNSET,
    explanation=UNSET,
    now=None,
) -> LeafAssessment:
    """Give (or clear, with None) a unit's self points on a `manual` leaf, and/or its explanation on any
    leaf, while its self-assessment is open. The unit's own points change with its self points."""
    now = now or timezone.now()
    _check_actor(actor, criteria_set, unit)
    criterion = scored_leaf(criteria_set, unit, code, field="criterion_code")
    _open_sheet(criteria_set, unit, now)
    row, _created = LeafAssessment.objects.select_for_update().get_or_create(
        criterion=criterion, unit=unit, defaults={"criteria_set": criteria_set}
    )
    changes = {}
    if self_points is not UNSET:
        points = _self_points(self_points, criterion)
        if points != row.self_points:
            changes["self_points"] = [row.self_points, points]
        row.self_points = points
    if explanation is not UNSET:
        text = _text(explanation, "explanation")
        if text != row.explanation:
            changes["explanation"] = [row.explanation, text]
        row.explanation = text
    row.updated_at, row.updated_by = now, actor
    row.save()
    if changes:
        audit_record(
            actor=actor,
            action=AuditAction.SELF_ASSESSMENT_SAVED,
            subject=criteria_set,
            unit=unit,
            changes={f"{code}.{k}": v for k, v in changes.items()},
            now=now,
        )
    if "self_points" in changes:
        scores_request(criteria_set_id=criteria_set.pk, unit_ids=[unit.pk])
    return row


@transaction.atomic
def self_assessment_submit(*, actor, criteria_set: CriteriaSet, unit: Unit, now=None) -> SelfAssessment:
    """Submit the unit's self-assessment, which locks it (once; a second submission is a RoundError)."""
    now = now or timezone.now()
    _check_actor(actor, criteria_set, unit)
    sheet = _open_sheet(criteria_set, unit, now)
    sheet.state = SelfAssessmentState.SUBMITTED
    sheet.submitted_at, sheet.submitted_by = now, actor
    sheet.late = False
    sheet.save()
    audit_record(
        actor=actor,
        action=AuditAction.SELF_ASSESSMENT_SUBMITTED,
        subject=criteria_set,
        unit=unit,
        changes={"state": [SelfAssessmentState.DRAFT, SelfAssessmentState.SUBMITTED]},
        now=now,
    )
    return sheet


def _answerable(criteria_set: CriteriaSet, unit: Unit, criterion: Criterion, now) -> None:
    """In the explanation stage, before its deadline, on a leaf appraised below the unit's own points."""
    rnd = round_of(criteria_set)
    if rnd.state != RoundState.EXPLANATION:
        raise RoundError(
            _("Chỉ giải trình được khi kỳ đánh giá ở giai đoạn giải trình (hiện: “%(state)s”).")
            % {"state": rnd.get_state_display()}
        )
    if is_past(rnd.explanation_until, now):
        raise RoundError(_("Đã hết hạn giải trình."))
    score = (
        LeafScore.objects.filter(criterion=criterion, unit=unit)
        .values("appraised_points", "own_points")
        .first()
    )
    if score is None or not below_own(score["appraised_points"], score["own_points"]):
        raise ValidationError(
            {"criterion_code": [_("Chỉ giải trình tiêu chí được thẩm định thấp hơn điểm tự đánh giá.")]}
        )


@transaction.atomic
def explanation_answer(
    *, actor, criteria_set: CriteriaSet, unit: Unit, code: str, text: str, now=None
) -> LeafAssessment:
    """The unit's answer (giải trình) on a leaf appraised below its own points, until `explanation_until`.
    The appraisers settle it in the final appraisal."""
    now = now or timezone.now()
    _check_actor(actor, criteria_set, unit)
    criterion = scored_leaf(criteria_set, unit, code, field="criterion_code")
    _answerable(criteria_set, unit, criterion, now)
    text = _text(text, "text")
    if not text:
        raise ValidationError({"text": [_("Nhập nội dung giải trình.")]})
    row, _created = LeafAssessment.objects.select_for_update().get_or_create(
        criterion=criterion, unit=unit, defaults={"criteria_set": criteria_set}
    )
    before = row.answer
    row.answer, row.answered_at, row.updated_at, row.updated_by = text, now, now, actor
    row.save()
    audit_record(
        actor=actor,
        action=AuditAction.EXPLANATION_ANSWERED,
        subject=criteria_set,
        unit=unit,
        changes={f"{code}.answer": [before, text]},
        now=now,
    )
    return row


@transaction.atomic
def criterion_evidence_add(
    *,
    actor,
    criteria_set: CriteriaSet,
    unit: Unit,
    code: str,
    file,
    doc_number: str = "",
    doc_date: dt.date | None = None,
    description: str = "",
    now=None,
) -> CriterionEvidence:
    """Attach an evidence file to a leaf: with the self-assessment while it is open, or with an answer in
    the explanation stage (on a leaf appraised below the unit's own points). Same file rules as a task's
    evidence: checked by content, hashed, stored under a generated name."""
    now = now or timezone.now()
    _check_actor(actor, criteria_set, unit)
    criterion = scored_leaf(criteria_set, unit, code, field="criterion_code")
    if round_of(criteria_set).state == RoundState.EXPLANATION:
        _answerable(criteria_set, unit, criterion, now)
        phase = EvidencePhase.EXPLANATION
    else:
        _open_sheet(criteria_set, unit, now)
        phase = EvidencePhase.SELF_ASSESSMENT
    if file is None:
        raise ValidationError({"file": [_("Chọn tệp tài liệu kiểm chứng.")]})
    info = inspect_upload(file)
    file.name = info.name
    evidence = CriterionEvidence(
        criteria_set=criteria_set,
        criterion=criterion,
        unit=unit,
        phase=phase,
        file=file,
        original_name=info.name,
        content_type=info.content_type,
        size=info.size,
        sha256=info.sha256,
        doc_number=(doc_number or "").strip(),
        doc_date=doc_date,
        description=_text(description, "description"),
        uploaded_by=actor,
        uploaded_at=now,
    )
    evidence.full_clean(exclude=["file"])
    evidence.save()
    try:
        audit_record(
            actor=actor,
            action=AuditAction.CRITERION_EVIDENCE_ADDED,
            subject=criteria_set,
            unit=unit,
            changes={f"{code}.evidence": [None, info.name]},
            note=info.sha256,
            now=now,
        )
    except BaseException:
        evidence.file.storage.delete(evidence.file.name)  # the row rolls back: no orphan file either
        raise
    return evidence
