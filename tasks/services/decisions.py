"""A leader's decisions on many items at once (the approval inbox, `POST /api/tasks/bulk-approve/`): approve
or return submitted tasks, approve or reject extension requests. Each item is checked by the very rule of
the single step (`transitions.check_step`, `extensions.check_decision`): an item the actor may not decide,
or no longer can (approved meanwhile by someone else, a request already decided), is refused with its
reason and the others still go through. The items are read and locked in one query; the tasks' changes,
their history rows and their outbox events are written in bulk (one event per task, as for a single
step: the notices and scores that follow are exactly the single step's).

Only someone who may decide something at all (`permissions.can_decide_any`) may call these: anyone else is
refused as a whole (PermissionDenied, 403). An id the actor cannot see is refused like one that does not
exist ("not found"), so the answer tells nothing about other units' tasks."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..choices import TaskAction, TaskState
from ..models import Extension, Task
from ..permissions import can_decide_any
from .common import TaskTransitionError, tasks_announce_each, tasks_log_bulk
from .extensions import apply_decision, check_decision
from .transitions import SCORED_ACTIONS, check_step, mark_approved, take_step

#: At most this many items in one call (a page of the inbox is 25).
BULK_MAX = 200

NOT_FOUND = gettext_lazy("Không tìm thấy mục này, hoặc bạn không được xem.")


@dataclass(frozen=True)
class Refusal:
    """An item not decided: its id, why (`code`: not_found, forbidden, conflict, invalid) and the message."""

    id: int
    code: str
    message: str
    title: str = ""


@dataclass
class Decisions:
    """What a bulk call did: the items decided (tasks or extension requests, in id order) and the refused."""

    done: list = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def done_ids(self) -> list[int]:
        return [item.pk for item in self.done]


def _clean_ids(ids, name: str) -> list[int]:
    """The ids once each, in the order given; 400 when there are none, too many, or one is not an id."""
    try:
        unique = list(dict.fromkeys(int(i) for i in ids or ()))
    except (TypeError, ValueError):
        raise ValidationError({name: [_("Mã không hợp lệ.")]}) from None
    if not unique:
        raise ValidationError({name: [_("Chọn ít nhất một mục.")]})
    if len(unique) > BULK_MAX:
        raise ValidationError({name: [_("Mỗi lần chọn tối đa %(n)d mục.") % {"n": BULK_MAX}]})
    if any(i <= 0 or i >= 2**63 for i in unique):
        raise ValidationError({name: [_("Mã không hợp lệ.")]})
    return unique


def _check_actor(actor) -> None:
    if not can_decide_any(actor):
        raise PermissionDenied(_("Chỉ lãnh đạo đơn vị ban hành kế hoạch được duyệt hoặc trả lại nhiệm vụ."))


def _refusal(item_id: int, exc: Exception, title: str = "") -> Refusal:
    if isinstance(exc, PermissionDenied):
        code = "forbidden"
    elif isinstance(exc, ValidationError):
        code = "invalid"
    else:
        code = "conflict"
    message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return Refusal(id=item_id, code=code, message=message, title=title)


def _tasks_decide(*, actor, task_ids, action: TaskAction, reason: str, now) -> Decisions:
    now = now or timezone.now()
    _check_actor(actor)
    ids = _clean_ids(task_ids, "ids")
    require_reason = action == TaskAction.RETURN
    reason = (reason or "").strip()
    if require_reason and not reason:
        raise ValidationError({"reason": [_("Cần nêu lý do.")]})
    tasks = {
        t.pk: t
        for t in Task.objects.visible_to(actor)
        .filter(pk__in=ids)
        .select_related("plan__owner_unit", "assignee_unit")
        .select_for_update(of=("self",))
        .order_by("id")  # rows locked in one order: two bulk calls never deadlock
    }
    result = Decisions()
    for pk in ids:
        task = tasks.get(pk)
        if task is None:
            result.refused.append(Refusal(id=pk, code="not_found", message=str(NOT_FOUND)))
            continue
        try:
            check_step(actor=actor, task=task, action=action, reason=reason, require_reason=require_reason)
        except (PermissionDenied, TaskTransitionError, ValidationError) as exc:
            result.refused.append(_refusal(pk, exc, task.title))
            continue
        if action == TaskAction.APPROVE:
            mark_approved(task, now)
        take_step(task, action)
        task.updated_at = now
        result.done.append(task)
    if not result.done:
        return result
    fields = ["state", "updated_at"]
    if action == TaskAction.APPROVE:
        fields += ["approved_at", "progress"]
    Task.objects.bulk_update(result.done, fields)
    tasks_log_bulk(
        result.done, action=action, actor=actor, now=now, from_state=TaskState.SUBMITTED, reason=reason
    )
    tasks_announce_each(result.done, action=action, actor=actor, affects_score=action in SCORED_ACTIONS)
    return result


@transaction.atomic
def tasks_approve_bulk(*, actor, task_ids, now=None) -> Decisions:
    """Approve the submitted tasks `task_ids` (each as `task_approve` would: the actor leads the plan's
    owner unit, the task is submitted); the others are refused with their reason. One read, bulk writes."""
    return _tasks_decide(actor=actor, task_ids=task_ids, action=TaskAction.APPROVE, reason="", now=now)


@transaction.atomic
def tasks_return_bulk(*, actor, task_ids, reason: str, now=None) -> Decisions:
    """Return the submitted tasks `task_ids` to their assignee units with one reason for all (each as
    `task_return` would); no reason refuses the call (400); the tasks that cannot be returned are refused
    with their reason."""
    return _tasks_decide(actor=actor, task_ids=task_ids, action=TaskAction.RETURN, reason=reason, now=now)


@transaction.atomic
def extensions_decide_bulk(*, actor, extension_ids, approve: bool, note: str = "", now=None) -> Decisions:
    """Approve or reject the extension requests `extension_ids` (each as `extension_decide` would; a
    rejection needs the note, one for all). The requests and their tasks are read and locked in one query;
    each decision is written as the single one is, the outbox events in one insert."""
    now = now or timezone.now()
    _check_actor(actor)
    ids = _clean_ids(extension_ids, "extensions")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"reason": [_("Cần nêu lý do khi từ chối đề nghị.")]})
    visible = Task.objects.visible_to(actor).values("pk")
    extensions = {
        x.pk: x
        for x in Extension.objects.filter(pk__in=ids, task__in=visible)
        .select_related("task__plan__owner_unit", "task__assignee_unit")
        .select_for_update(of=("self", "task"))
        .order_by("task_id", "id")
    }
    result = Decisions()
    decided_tasks = []
    for pk in ids:
        ext = extensions.get(pk)
        if ext is None:
            result.refused.append(Refusal(id=pk, code="not_found", message=str(NOT_FOUND)))
            continue
        task = ext.task
        try:
            check_decision(actor=actor, task=task, extension=ext, approve=approve, note=note)
        except (PermissionDenied, TaskTransitionError, ValidationError) as exc:
            result.refused.append(_refusal(pk, exc, task.title))
            continue
        apply_decision(actor=actor, task=task, extension=ext, approve=approve, note=note, now=now)
        result.done.append(ext)
        decided_tasks.append(task)
    tasks_announce_each(
        decided_tasks, action=TaskAction.EXTENSION_DECIDED, actor=actor, affects_score=approve
    )
    return result
