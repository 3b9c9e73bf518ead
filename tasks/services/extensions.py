"""Extensions (Gia hạn): the assignee unit asks for a later due date, a leader of the owner unit decides."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ..choices import EXTENSION_REQUEST_STATES, OPEN_STATES, ExtensionState, TaskAction, TaskState
from ..models import Extension, Task
from ..permissions import is_assignee_member, is_owner_leader
from .common import TaskTransitionError, _announce, _lock, _log
from .deadlines import effective_due_date


@transaction.atomic
def extension_request(*, actor, task: Task, requested_due_date: dt.date, reason: str, now=None) -> Extension:
    """A member of the assignee unit asks for a later due date."""
    now = now or timezone.now()
    task = _lock(task)
    if not is_assignee_member(task, actor):
        raise PermissionDenied(_("Chỉ cán bộ đơn vị thực hiện được đề nghị gia hạn."))
    if task.state not in EXTENSION_REQUEST_STATES:
        raise TaskTransitionError(_("Chỉ đề nghị gia hạn được khi nhiệm vụ đang thực hiện."))
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = [_("Cần nêu lý do.")]
    if task.due_date and requested_due_date <= task.due_date:
        errors["requested_due_date"] = [
            _("Hạn mới phải sau hạn hiện tại (%(d)s).")
            % {"d": date_format(task.due_date, "SHORT_DATE_FORMAT")}
        ]
    if errors:
        raise ValidationError(errors)
    if task.extensions.filter(state=ExtensionState.PENDING).exists():
        raise TaskTransitionError(_("Nhiệm vụ đã có một đề nghị gia hạn đang chờ quyết định."))
    ext = Extension.objects.create(
        task=task,
        requested_by=actor,
        requested_at=now,
        previous_due_date=task.due_date,
        requested_due_date=requested_due_date,
        reason=reason.strip(),
    )
    _log(
        task,
        action=TaskAction.EXTENSION_REQUESTED,
        actor=actor,
        now=now,
        reason=reason.strip(),
        data={"extension": ext.pk, "requested_due_date": requested_due_date.isoformat()},
    )
    _announce(task, TaskAction.EXTENSION_REQUESTED, actor, affects_score=False)
    return ext


def check_decision(*, actor, task: Task, extension: Extension, approve: bool, note: str = "") -> str:
    """The rules of deciding a request, on its task read with the plan's owner unit: a leader of the owner
    unit (PermissionDenied), a request still pending and, to approve, a task whose deadline may still move
    (TaskTransitionError), a reason to reject (ValidationError). Returns the note, trimmed. The one check of
    a decision, taken alone or in bulk (`tasks.services.decisions`)."""
    if not is_owner_leader(task, actor):
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị ban hành kế hoạch được quyết định gia hạn."))
    if extension.state != ExtensionState.PENDING:
        raise TaskTransitionError(_("Đề nghị này đã được quyết định."))
    if approve and task.state not in (*OPEN_STATES, TaskState.SUBMITTED):
        # Moving the deadline of a finished task would rewrite whether it was done on time.
        raise TaskTransitionError(
            _("Nhiệm vụ đang ở trạng thái “%(state)s”: không thể đổi hạn hoàn thành nữa.")
            % {"state": task.get_state_display()}
        )
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"reason": [_("Cần nêu lý do khi từ chối đề nghị.")]})
    return note


def apply_decision(*, actor, task: Task, extension: Extension, approve: bool, note: str, now) -> dict:
    """Write a checked decision: the request, the task's due date when approved, the history row. Returns
    the history row's data; the caller announces the change."""
    ext = extension
    ext.state = ExtensionState.APPROVED if approve else ExtensionState.REJECTED
    ext.decided_by, ext.decided_at, ext.decision_note = actor, now, note
    ext.save()
    data = {"extension": ext.pk, "approved": approve}
    if approve:
        data.update(from_due=str(task.due_date), to_due=ext.requested_due_date.isoformat())
        task.due_date = ext.requested_due_date
        task.effective_due_date = effective_due_date(task.due_date)
        task.save(update_fields=["due_date", "effective_due_date", "updated_at"])
    _log(task, action=TaskAction.EXTENSION_DECIDED, actor=actor, now=now, reason=note, data=data)
    return data


@transaction.atomic
def extension_decide(*, actor, extension: Extension, approve: bool, note: str = "", now=None) -> Extension:
    """A leader of the owner unit approves (the due date moves) or rejects an extension request."""
    now = now or timezone.now()
    task = _lock(extension.task)
    ext = Extension.objects.select_for_update().get(pk=extension.pk)
    note = check_decision(actor=actor, task=task, extension=ext, approve=approve, note=note)
    apply_decision(actor=actor, task=task, extension=ext, approve=approve, note=note, now=now)
    _announce(task, TaskAction.EXTENSION_DECIDED, actor, affects_score=approve)
    return ext
