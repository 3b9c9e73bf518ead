"""Comments on a task (ý kiến trao đổi) with `@username` mentions that notify.

Who may comment is `tasks.permissions.can_comment`: anyone who can see the task, unless it is cancelled.
A mention reaches a user only if they can see the task (a name nobody has, or a person who cannot see the
task, is told to the writer, never to that person, and the answer does not say which of the two it was: it
would tell who has an account). The comment's event goes through the outbox like every task event
(`tasks.events`); `notifications` plans the "mentioned" notices from it, once per (event, recipient).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import TaskAction
from ..events import TaskChange, task_event_after_commit
from ..mentions import mention_names
from ..models import COMMENT_MAX_LENGTH, Task, TaskComment
from ..permissions import COMMENT_CLOSED_STATES, can_comment
from ..selectors import task_viewers_named
from .common import TaskTransitionError, _lock


@dataclass(frozen=True)
class CommentAdded:
    """A comment written, and the `@names` in it that reached no one (as written, in order)."""

    comment: TaskComment
    not_notified: tuple[str, ...] = ()


def _clean_body(body) -> str:
    text = (body or "").strip() if isinstance(body, str) else ""
    if not text:
        raise ValidationError({"body": [_("Hãy nhập nội dung ý kiến.")]})
    if "\x00" in text:
        raise ValidationError({"body": [_("Nội dung có ký tự không hợp lệ.")]})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "body": [
                    _("Ý kiến dài tối đa %(max)d ký tự (hiện có %(n)d).")
                    % {"max": COMMENT_MAX_LENGTH, "n": len(text)}
                ]
            }
        )
    return text


def _resolve(task: Task, names: list[str]) -> tuple[list, list[str]]:
    """(the users the names reach, the names that reach no one), in one query. A name matches the account
    spelled exactly so, else the one account spelled so without regard to case."""
    users = task_viewers_named(task, names)
    exact = {u.username: u for u in users}
    by_lower: dict[str, list] = {}
    for u in users:
        by_lower.setdefault(u.username.lower(), []).append(u)
    reached, missing = {}, []
    for name in names:
        user = exact.get(name)
        if user is None and len(by_lower.get(name.lower(), ())) == 1:
            user = by_lower[name.lower()][0]
        if user is None:
            missing.append(name)
        else:
            reached[user.pk] = user
    return list(reached.values()), missing


@transaction.atomic
def task_comment_add(*, actor, task: Task, body: str, now=None) -> CommentAdded:
    """Write a comment on a task the actor can see (403 otherwise, 409 on a cancelled task); the body is
    required, stripped and at most `COMMENT_MAX_LENGTH` characters (400 naming `body`). Its `@username`s
    that can see the task are its mentions, told after commit (a "mentioned" notice each); the others are
    returned in `not_notified`."""
    now = now or timezone.now()
    task = _lock(task)
    if not can_comment(actor, task):
        if task.state in COMMENT_CLOSED_STATES and actor.is_authenticated:
            raise TaskTransitionError(
                _("Nhiệm vụ đang ở trạng thái “%(state)s”: không thêm ý kiến được.")
                % {"state": task.get_state_display()}
            )
        raise PermissionDenied(_("Bạn không xem được nhiệm vụ này nên không gửi ý kiến được."))
    text = _clean_body(body)
    mentioned, missing = _resolve(task, mention_names(text))
    comment = TaskComment.objects.create(task=task, author=actor, body=text, created_at=now)
    if mentioned:
        comment.mentions.set(mentioned)
    task_event_after_commit(
        TaskChange(
            task_id=task.pk,
            action=TaskAction.COMMENT,
            plan_id=task.plan_id,
            assignee_unit_id=task.assignee_unit_id,
            actor_id=actor.pk,
            affects_score=False,
            comment_id=comment.pk,
        )
    )
    return CommentAdded(comment=comment, not_notified=tuple(missing))
