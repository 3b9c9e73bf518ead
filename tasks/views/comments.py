"""Comments on the task page (ý kiến trao đổi): the form in the timeline posts here. With htmx the answer is
the timeline (the new comment on top, or the form with its error); without JavaScript, success redirects to
the task page and a refusal draws the page with the form's error (this URL answers GET with the task page,
so a reload never shows the browser's 405)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _

from org.web import add_service_errors, is_htmx

from .. import services
from ..forms import CommentForm
from .common import STATE_ERRORS, back, get_task, post_or_task_page
from .detail import render_task, task_context


def not_notified_message(names) -> str:
    """What the writer is told of the `@names` that reached no one (never which of them has an account)."""
    return _(
        "Không gửi thông báo cho: %(names)s (không có tài khoản này hoặc người đó không xem được nhiệm vụ)."
    ) % {"names": ", ".join(f"@{n}" for n in names)}


@login_required
@post_or_task_page
def comment_add(request, pk: int):
    task = get_task(request, pk)
    form = CommentForm(request.POST)
    added = None
    if form.is_valid():
        try:
            added = services.task_comment_add(actor=request.user, task=task, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except STATE_ERRORS as exc:
            form.add_error(None, str(exc))
    warning = not_notified_message(added.not_notified) if added and added.not_notified else ""
    if is_htmx(request):
        context = task_context(request, task, comment_form=None if added else form)
        context.update(swapped=True, comment_added=added is not None, comment_warning=warning)
        return render(request, "tasks/_history.html", context)
    if added is None:
        return render_task(request, task, status=400, comment_form=form)
    messages.success(request, _("Đã gửi ý kiến."))
    if warning:
        messages.warning(request, warning)
    return back(task, f"comment-{added.comment.pk}")
