"""The task page and what every form on it shares: the state machine's steps and the progress report. The
page asks `tasks.permissions` what to offer this user now; the services decide, and their refusals come
back as the page's messages (a missing right is the 403 page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_fsm import ConcurrentTransition

from org.calendar import get_calendar
from org.web import add_service_errors, paginate
from plans.models import PlanState

from .. import permissions, services
from ..choices import ExtensionState, TaskAction, TaskState, TaskTone
from ..events import task_viewed_send
from ..forms import (
    CommentForm,
    EvidenceForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    ProgressForm,
    ReasonForm,
)
from ..selectors import due_soon_until, task_timeline, task_tone, timeline_entries
from .common import STATE_ERRORS, TASK_CHANGED, back, get_task, post_or_task_page

# The steps' buttons, in the order they are shown, under the steps' names (`TaskAction`'s labels).
BUTTON_ORDER = (
    TaskAction.START,
    TaskAction.SUBMIT,
    TaskAction.APPROVE,
    TaskAction.ASSIGN,
    TaskAction.RETURN,
    TaskAction.REOPEN,
    TaskAction.CANCEL,
)
TRANSITION_DONE = {
    TaskAction.ASSIGN: gettext_lazy("Đã giao nhiệm vụ."),
    TaskAction.START: gettext_lazy("Đã bắt đầu thực hiện."),
    TaskAction.SUBMIT: gettext_lazy("Đã trình duyệt."),
    TaskAction.APPROVE: gettext_lazy("Đã duyệt nhiệm vụ."),
    TaskAction.RETURN: gettext_lazy("Đã trả lại nhiệm vụ."),
    TaskAction.CANCEL: gettext_lazy("Đã hủy nhiệm vụ."),
    TaskAction.REOPEN: gettext_lazy("Đã mở lại nhiệm vụ."),
}
PRIMARY = {TaskAction.START, TaskAction.SUBMIT, TaskAction.APPROVE, TaskAction.ASSIGN}
#: A history row's action, as the page names it.
HISTORY_LABELS = dict(TaskAction.choices)


# --- The page ----------------------------------------------------------------------------------------------


def _hint(task, action: str, *, has_evidence: bool) -> str:
    """What a step offered to the user still needs (SPEC §2's "needs"), said next to its button before they
    try. Advice only: the button stays, and the service checks the same and answers with its own reason."""
    if action == TaskAction.ASSIGN and task.plan.state != PlanState.ISSUED:
        return _("Kế hoạch chưa ban hành: ban hành kế hoạch trước khi giao.")
    if action == TaskAction.ASSIGN and not task.due_date:
        return _("Nhiệm vụ chưa có hạn hoàn thành: sửa nhiệm vụ để thêm hạn.")
    if action == TaskAction.SUBMIT and not has_evidence:
        return _("Tải lên ít nhất một tài liệu kiểm chứng trước khi trình.")
    return ""


def _actions(task, user, *, has_evidence: bool, forms: dict) -> list[dict]:
    """The steps this user may take now (django-fsm asks `permissions.can_transition`), in button order."""
    available = {
        ("return" if t.name == "return_" else t.name) for t in task.get_available_user_state_transitions(user)
    }
    return [
        {
            "name": action.value,
            "label": action.label,
            "primary": action in PRIMARY,
            "needs_reason": action in permissions.REASON_REQUIRED,
            "hint": _hint(task, action, has_evidence=has_evidence),
            "form": forms.get(action) or _reason_form(action),
        }
        for action in BUTTON_ORDER
        if action in available
    ]


def _reason_form(action: str, data=None) -> ReasonForm:
    return ReasonForm(data, required=action in permissions.REASON_REQUIRED, prefix=str(action))


def _offers(user, task, pending) -> dict:
    """Which of the page's other forms and buttons this user gets now."""
    return {
        "can_edit": permissions.can_edit(user, task),
        "can_report": permissions.can_report_progress(user, task),
        "can_upload": permissions.can_change_evidence(user, task),
        "can_request_extension": permissions.can_request_extension(user, task, pending=pending),
        "can_decide_extension": permissions.can_decide_extension(user, task, pending=pending),
        "can_comment": permissions.can_comment(user, task),
    }


def _forms(task, forms: dict) -> dict:
    """The page's forms: the ones posted back with errors, fresh ones otherwise."""
    return {
        "progress_form": forms.get("progress_form") or ProgressForm(initial={"progress": task.progress}),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(),
        "extension_form": forms.get("extension_form") or ExtensionRequestForm(),
        "decision_form": forms.get("decision_form") or ExtensionDecisionForm(),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "open_action": forms.get("open_action", ""),
    }


def _dates(task) -> dict:
    """The holiday that moved the due date, and the last return's reason for a returned task."""
    holiday = ""
    if task.due_date and task.effective_due_date and task.effective_due_date != task.due_date:
        holiday = get_calendar().holiday_name(task.due_date) or ""
    last_return = None
    if task.state == TaskState.RETURNED:
        last_return = task.events.filter(action=TaskAction.RETURN).order_by("-at", "-id").first()
    return {"holiday": holiday, "last_return": last_return}


def task_context(request, task, **forms) -> dict:
    """Everything the task page draws. `forms`: forms posted back with errors (see `_forms`), and
    `action_forms` by step."""
    user = request.user
    today = timezone.localdate()
    evidence = list(task.evidence.select_related("uploaded_by").order_by("uploaded_at", "id"))
    extensions = list(task.extensions.select_related("requested_by", "decided_by").order_by("-requested_at"))
    pending = next((x for x in extensions if x.state == ExtensionState.PENDING), None)
    # History rows and comments in one timeline, newest first, paged in SQL (two reads for the page's rows).
    history = paginate(request, task_timeline(task), per_page=20, param="history")
    history.object_list = timeline_entries(history.object_list)
    subtasks = task.subtasks.all().visible_to(user).order_by("effective_due_date", "id")[:50]
    return {
        "task": task,
        "tone": task_tone(task, today=today, soon_until=due_soon_until(today)),
        "tone_labels": dict(TaskTone.choices),
        "today": today,
        **_offers(user, task, pending),
        "actions": _actions(task, user, has_evidence=bool(evidence), forms=forms.get("action_forms", {})),
        "evidence": evidence,
        "extensions": extensions,
        "pending_extension": pending,
        "history": history,
        "history_labels": HISTORY_LABELS,
        **_dates(task),
        "subtasks": subtasks if task.parent_id is None else [],
        **_forms(task, forms),
    }


def render_task(request, task, status: int = 200, **forms):
    return render(request, "tasks/task_detail.html", task_context(request, task, **forms), status=status)


@login_required
@require_GET
def task_detail(request, pk: int):
    task = get_task(request, pk)
    task_viewed_send(task_id=task.pk, user_id=request.user.pk)
    return render_task(request, task)


# --- The forms on it ---------------------------------------------------------------------------------------


def submit_task_form(request, task, form, call, *, done, anchor: str = "", field_map=None, **render):
    """What every form of the task page shares: a valid form calls the service with its cleaned data; the
    service's field errors go back next to their fields (400); a state or concurrency conflict becomes a
    message on the task page; success redirects there with `done` (or `done(data)`) as the message. A
    missing right is the service's PermissionDenied: the 403 page."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc, field_map=field_map)
        except ConcurrentTransition:
            messages.error(request, TASK_CHANGED)
            return back(task)
        except STATE_ERRORS as exc:
            messages.error(request, str(exc))
            return back(task)
        else:
            messages.success(request, done(form.cleaned_data) if callable(done) else done)
            return back(task, anchor)
    return render_task(request, task, status=400, **render)


def task_form_view(form_class, service, *, done, anchor: str, open_action: str = ""):
    """A task-page form posting to its own URL: the form's cleaned data are `service`'s arguments. With
    errors, the form comes back to the page as `<open_action or anchor>_form` (see `_forms`)."""

    @login_required
    @post_or_task_page
    def view(request, pk: int):
        task = get_task(request, pk)
        form = form_class(request.POST)
        return submit_task_form(
            request,
            task,
            form,
            lambda data: service(actor=request.user, task=task, **data),
            done=done,
            anchor=anchor,
            open_action=open_action,
            **{f"{open_action or anchor}_form": form},
        )

    return view


@login_required
@post_or_task_page
def task_transition(request, pk: int, action: str):
    if action not in services.TRANSITIONS:
        raise Http404
    task = get_task(request, pk)
    form = _reason_form(action, request.POST)
    return submit_task_form(
        request,
        task,
        form,
        lambda data: services.TRANSITIONS[action](actor=request.user, task=task, reason=data["reason"]),
        done=TRANSITION_DONE[action],
        action_forms={action: form},
        open_action=action,
    )


task_progress = task_form_view(
    ProgressForm, services.task_report_progress, done=gettext_lazy("Đã cập nhật tiến độ."), anchor="progress"
)
