"""Moving a criteria set's assessment round (SPEC §3a): one service for every step, each checked against who
may act, the state it leaves and the fields it needs, written with its audit entry in one transaction.

tracking → self_assessment (needs `self_assessment_until`; every scored unit gets a draft self-assessment)
→ appraisal (every unit not yet submitted is submitted as it stands, marked late) → explanation (needs
`explanation_until`) → final_appraisal → published (needs `decision_number`, `decided_on`: the live scores
are recomputed, then frozen into a new version) → back to final_appraisal with a reason (a correction).

The bulk steps (opening, auto-submission, freezing) are one INSERT … SELECT or UPDATE each, whatever the
number of units. The beat's every-15-minutes job and who is told what are `round_cycle`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from criteria.models import CriteriaSet
from org.audit import audit_record
from org.calendar import get_calendar
from org.models import AuditAction

from .. import jobs
from ..models import (
    LeafScore,
    PublishedLeaf,
    PublishedResult,
    PublishedScore,
    Round,
    RoundAction,
    SelfAssessment,
    SelfAssessmentState,
    UnitScore,
)
from ..permissions import can_correct_round, can_run_round
from ..selectors import scored_units
from .recompute import scores_recompute


class RoundError(Exception):
    """A round step not allowed from the round's current state, or after its deadline (answers 409)."""


ROUND_DENIED = gettext_lazy(
    "Chỉ quản trị viên và thẩm định viên của đơn vị ban hành bộ tiêu chí mới điều hành kỳ đánh giá."
)


def round_of(criteria_set: CriteriaSet, *, lock: bool = False) -> Round:
    """The set's round (created in `tracking` on first use); locked FOR UPDATE with `lock`."""
    Round.objects.get_or_create(criteria_set=criteria_set)
    qs = Round.objects.select_for_update() if lock else Round.objects
    return qs.get(criteria_set=criteria_set)


def deadline_end(day: dt.date) -> dt.date:
    """The last local day a round deadline allows: the day itself, moved to the next working day when it
    falls on a non-working day (the deadline is the end of that working day, as a task's due date)."""
    return get_calendar().next_working_day(day)


def is_past(day: dt.date | None, now) -> bool:
    """Has the deadline `day` (end of its working day) passed at `now`?"""
    return day is not None and timezone.localdate(now) > deadline_end(day)


# --- Bulk rows ---------------------------------------------------------------------------------------------


def _execute(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _missing_sheets_sql(criteria_set: CriteriaSet, state: str, late: bool, now) -> tuple[str, list]:
    """INSERT … SELECT of a self-assessment in `state` for every scored unit that has none: the scored
    units anti-joined with the set's rows. The callers hold the round's row lock (`_round_locked`), so no
    two of them insert at once; the unique constraint stays the last word (no ON CONFLICT clause: its
    speculative insertion costs four times a plain insert per row)."""
    units = scored_units(criteria_set).order_by().values_list("pk", flat=True)
    units_sql, units_params = units.query.sql_with_params()
    table = SelfAssessment._meta.db_table
    sql = (
        f"INSERT INTO {table} (criteria_set_id, unit_id, state, late, submitted_at) "
        f"SELECT %s, u.pk, %s, %s, %s FROM ({units_sql}) AS u "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.criteria_set_id = %s AND t.unit_id = u.pk)"
    )
    return sql, [criteria_set.pk, state, late, now, *units_params, criteria_set.pk]


def _round_locked(criteria_set: CriteriaSet) -> None:
    """Take the round's row lock (FOR UPDATE) for the rest of the transaction: every writer of the round's
    sheets in bulk takes it first, so they never race."""
    Round.objects.get_or_create(criteria_set=criteria_set)
    Round.objects.select_for_update().filter(criteria_set=criteria_set).values_list("pk", flat=True).get()


@transaction.atomic
def self_assessments_open(*, criteria_set: CriteriaSet) -> int:
    """A draft self-assessment for every scored unit that has none: one INSERT … SELECT."""
    _round_locked(criteria_set)
    return _execute(*_missing_sheets_sql(criteria_set, SelfAssessmentState.DRAFT, False, None))


@transaction.atomic
def self_assessments_close(*, criteria_set: CriteriaSet, now) -> int:
    """Submit every self-assessment still in draft as it stands, marked late (the deadline passed, or the
    appraisal started): one UPDATE; a unit scored since the round opened gets its sheet submitted late at
    once (one INSERT … SELECT). Returns how many were submitted."""
    _round_locked(criteria_set)
    closed = SelfAssessment.objects.filter(criteria_set=criteria_set, state=SelfAssessmentState.DRAFT).update(
        state=SelfAssessmentState.SUBMITTED, late=True, submitted_at=now
    )
    return closed + _execute(*_missing_sheets_sql(criteria_set, SelfAssessmentState.SUBMITTED, True, now))


_SCORE_COLUMNS = ("unit_id", *PublishedScore.FROZEN_FIELDS)
_LEAF_COLUMNS = ("criterion_id", "unit_id", *PublishedLeaf.FROZEN_FIELDS)


def results_freeze(*, result: PublishedResult) -> tuple[int, int]:
    """Copy the set's live rows (unit totals, ranks, classes, every leaf) into the published version
    `result`, with the units' and peer groups' names as they are now: one INSERT … SELECT per table.
    Returns the (unit, leaf) row counts."""
    cs_id = result.criteria_set_id
    cols = ", ".join(_SCORE_COLUMNS)
    picked = ", ".join(f"s.{c}" for c in _SCORE_COLUMNS)
    units_sql = (
        f"INSERT INTO {PublishedScore._meta.db_table} (result_id, unit_code, unit_name, parent_name, {cols}) "
        f"SELECT %s, u.code, u.name, COALESCE(p.name, ''), {picked} FROM {UnitScore._meta.db_table} s "
        "JOIN org_unit u ON u.id = s.unit_id LEFT JOIN org_unit p ON p.id = s.parent_unit_id "
        "WHERE s.criteria_set_id = %s"
    )
    cols = ", ".join(_LEAF_COLUMNS)
    leaves_sql = (
        f"INSERT INTO {PublishedLeaf._meta.db_table} (result_id, {cols}) "
        f"SELECT %s, {cols} FROM {LeafScore._meta.db_table} WHERE criteria_set_id = %s"
    )
    return _execute(units_sql, [result.pk, cs_id]), _execute(leaves_sql, [result.pk, cs_id])


# --- The steps ------------------------------------------------------------------------------------------


def _required(value, field: str):
    if value in (None, ""):
        raise ValidationError({field: [_("Trường này là bắt buộc ở bước này.")]})
    return value


def _not_before_today(day: dt.date, field: str, now) -> dt.date:
    if day < timezone.localdate(now):
        raise ValidationError({field: [_("Hạn không được trước ngày hôm nay.")]})
    return day


@dataclass
class StepFields:
    """What a step may carry (each step reads the fields it needs)."""

    self_assessment_until: dt.date | None = None
    explanation_until: dt.date | None = None
    decision_number: str = ""
    decided_on: dt.date | None = None
    reason: str = ""


def _apply(rnd: Round, action: str, f: StepFields, now, actor) -> dict:
    """Check the step's fields, change the round's, run its bulk rows. Returns the audit changes."""
    cs = rnd.criteria_set
    changes: dict = {}
    if action == RoundAction.OPEN_SELF_ASSESSMENT:
        day = _not_before_today(
            _required(f.self_assessment_until, "self_assessment_until"), "self_assessment_until", now
        )
        changes["self_assessment_until"] = [rnd.self_assessment_until, day]
        rnd.self_assessment_until = day
        rnd.open_self_assessment()
        changes["units"] = [None, self_assessments_open(criteria_set=cs)]
    elif action == RoundAction.START_APPRAISAL:
        rnd.start_appraisal()
        changes["late_units"] = [None, self_assessments_close(criteria_set=cs, now=now)]
    elif action == RoundAction.OPEN_EXPLANATION:
        day = _not_before_today(_required(f.explanation_until, "explanation_until"), "explanation_until", now)
        changes["explanation_until"] = [rnd.explanation_until, day]
        rnd.explanation_until = day
        rnd.open_explanation()
    elif action == RoundAction.START_FINAL_APPRAISAL:
        rnd.start_final_appraisal()
    elif action == RoundAction.PUBLISH:
        number = _required((f.decision_number or "").strip(), "decision_number")
        decided_on = _required(f.decided_on, "decided_on")
        if len(number) > 64:
            raise ValidationError({"decision_number": [_("Số quyết định dài tối đa 64 ký tự.")]})
        rnd.publish()  # checks the state before the recompute below
        # The live rows are brought up to date from the source rows, in this transaction, before they are
        # frozen: a recompute still queued can never leave the published version behind.
        scores_recompute(criteria_set=cs, now=now)
        previous = PublishedResult.objects.filter(criteria_set=cs).order_by("-version").first()
        rnd.version += 1
        rnd.decision_number, rnd.decided_on = number, decided_on
        result = PublishedResult.objects.create(
            criteria_set=cs,
            version=rnd.version,
            decision_number=number,
            decided_on=decided_on,
            published_at=now,
            published_by=actor if getattr(actor, "pk", None) else None,
            correction_reason=rnd.correction_reason if previous else "",
        )
        rnd.correction_reason = ""
        units, leaves = results_freeze(result=result)
        changes.update(
            decision_number=[None, number],
            decided_on=[None, decided_on],
            version=[rnd.version - 1, rnd.version],
            units=[None, units],
            leaves=[None, leaves],
        )
    elif action == RoundAction.CORRECT:
        reason = _required((f.reason or "").strip(), "reason")
        rnd.correct()
        rnd.correction_reason = reason
    else:
        raise ValidationError({"action": [_("Bước không hợp lệ: %(action)s.") % {"action": action}]})
    return changes


@transaction.atomic
def round_step(
    *, actor, criteria_set: CriteriaSet, action: str, fields: StepFields | None = None, now=None
) -> Round:
    """Move the set's round by one step (`RoundAction`). Who may: `permissions.can_run_round` (a correction:
    `can_correct_round`), else PermissionDenied; a step not allowed from the current state raises
    RoundError; a missing or bad field ValidationError naming it. `actor=None` is the system (commands).

    After commit: a publication tells notifications (`round_published`) and refreshes the deltas of next
    year's sets; a correction lets the live scores move again and recomputes them."""
    now = now or timezone.now()
    fields = fields or StepFields()
    if action not in RoundAction.values:
        raise ValidationError({"action": [_("Bước không hợp lệ: %(action)s.") % {"action": action}]})
    allowed = can_correct_round if action == RoundAction.CORRECT else can_run_round
    if actor is not None and not allowed(actor, criteria_set):
        if action == RoundAction.CORRECT:
            raise PermissionDenied(
                _("Chỉ quản trị hệ thống hoặc quản trị viên của đơn vị ban hành được đính chính kết quả.")
            )
        raise PermissionDenied(ROUND_DENIED)
    rnd = round_of(criteria_set, lock=True)
    rnd.criteria_set = criteria_set
    before = rnd.state
    method = getattr(rnd, action)
    if not can_proceed(method):
        raise RoundError(
            _("Không thể “%(action)s” khi kỳ đánh giá đang ở giai đoạn “%(state)s”.")
            % {"action": RoundAction(action).label, "state": rnd.get_state_display()}
        )
    changes = _apply(rnd, action, fields, now, actor)
    rnd.updated_at = now
    rnd.save()
    audit_record(
        actor=actor,
        action=AuditAction.RESULTS_PUBLISHED if action == RoundAction.PUBLISH else AuditAction.ROUND_STEP,
        subject=criteria_set,
        changes={"state": [before, rnd.state], **changes},
        note=(fields.reason or "").strip(),
        now=now,
    )
    if action == RoundAction.PUBLISH:
        # The leaders hear of it from a job (thousands of notices are no work for a web request); should
        # the broker be down, the round cycle announces every recent publication again (once per version).
        transaction.on_commit(lambda: jobs.announce_results(criteria_set.pk), robust=True)
        result_id = PublishedResult.objects.get(criteria_set=criteria_set, version=rnd.version).pk
        transaction.on_commit(lambda: jobs.render_annex(result_id), robust=True)
        for dependent in CriteriaSet.objects.filter(
            unit_kind=criteria_set.unit_kind,
            year=criteria_set.year + 1,
            owner_unit_id=criteria_set.owner_unit_id,
        ):
            transaction.on_commit(lambda pk=dependent.pk: jobs.recompute_set(pk), robust=True)
    elif action == RoundAction.CORRECT:
        transaction.on_commit(lambda: jobs.recompute_set(criteria_set.pk), robust=True)
    return rnd
