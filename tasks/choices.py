"""The vocabularies of tasks, one place each (NetBox keeps its choice sets in `choices.py` the same way): the
states of the state machine and the named sets of them, how a task stands against its deadline (status) and
how lists colour it (tone), priorities, extension states, and the actions a task's history, the outbox of
task events and the notices built from them name. Pure declarations: no queries, no imports of our models.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskState(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    ASSIGNED = "assigned", _("Đã giao")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    SUBMITTED = "submitted", _("Chờ duyệt")
    RETURNED = "returned", _("Bị trả lại")
    APPROVED = "approved", _("Đã duyệt")
    CANCELLED = "cancelled", _("Đã hủy")


OPEN_STATES = (TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.RETURNED)
#: States whose task is late once its deadline passes: assigned and not approved. A draft is the owner's
#: work in progress, assigned to no one yet: it is never overdue, whatever its due date.
DUE_STATES = (*OPEN_STATES, TaskState.SUBMITTED)
#: What may happen in which state: the services refuse outside these, the pages' predicates
#: (`tasks.permissions.can_edit` …) ask the same sets to offer a button.
FROZEN_STATES = (TaskState.APPROVED, TaskState.CANCELLED)  # details no longer change (reopen first)
PROGRESS_STATES = OPEN_STATES  # progress is reported while the task is open (not once submitted)
EVIDENCE_STATES = OPEN_STATES  # evidence is added and removed while the task is open (not submitted)
EXTENSION_REQUEST_STATES = OPEN_STATES  # a later due date is asked for while the task is open


class TaskStatus(models.TextChoices):
    """SPEC §2: how a task stands against its deadline. A draft and a cancelled task are just their state."""

    ON_TIME = "on_time", _("Hoàn thành đúng hạn")
    LATE = "late", _("Hoàn thành quá hạn")
    OVERDUE = "overdue", _("Quá hạn")
    PENDING = "pending", _("Trong hạn")
    DRAFT = TaskState.DRAFT.value, TaskState.DRAFT.label
    CANCELLED = TaskState.CANCELLED.value, TaskState.CANCELLED.label


class TaskTone(models.TextChoices):
    """How a task is coloured in lists, the way Vietnamese task trackers do: in time (green), due soon
    (amber), overdue (red), done on time (green, solid), done late (purple), cancelled (grey). Each tone but
    "due soon" is a status under the status's own label."""

    IN_TIME = "in_time", TaskStatus.PENDING.label
    DUE_SOON = "due_soon", _("Sắp đến hạn")
    OVERDUE = TaskStatus.OVERDUE.value, TaskStatus.OVERDUE.label
    DONE_ON_TIME = "done_on_time", TaskStatus.ON_TIME.label
    DONE_LATE = "done_late", TaskStatus.LATE.label
    DRAFT = TaskStatus.DRAFT.value, TaskStatus.DRAFT.label
    CANCELLED = TaskStatus.CANCELLED.value, TaskStatus.CANCELLED.label


class Priority(models.TextChoices):
    NORMAL = "normal", _("Bình thường")
    HIGH = "high", _("Cao")
    URGENT = "urgent", _("Khẩn")


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("Chờ quyết định")
    APPROVED = "approved", _("Đã chấp thuận")
    REJECTED = "rejected", _("Bị từ chối")


class TaskAction(models.TextChoices):
    """What happened to a task: the `action` of its history rows (`TaskEvent`), of the outbox's task events
    (`tasks.events.TaskChange`) and the key of the notices `notifications` sends for them. The values are
    stored in those rows: they never change. The steps of the state machine are named as its methods are
    (`return` for `Task.return_`)."""

    CREATE = "create", _("Tạo nhiệm vụ")
    UPDATE = "update", _("Sửa thông tin")
    ASSIGN = "assign", _("Giao nhiệm vụ")
    START = "start", _("Bắt đầu thực hiện")
    SUBMIT = "submit", _("Trình duyệt")
    APPROVE = "approve", _("Duyệt")
    RETURN = "return", _("Trả lại")
    CANCEL = "cancel", _("Hủy nhiệm vụ")
    REOPEN = "reopen", _("Mở lại")
    PROGRESS = "progress", _("Cập nhật tiến độ")
    EVIDENCE_ADDED = "evidence_added", _("Thêm tài liệu kiểm chứng")
    EVIDENCE_REMOVED = "evidence_removed", _("Xóa tài liệu kiểm chứng")
    EXTENSION_REQUESTED = "extension_requested", _("Đề nghị gia hạn")
    EXTENSION_DECIDED = "extension_decided", _("Quyết định gia hạn")
    # Task events only (the outbox), never a history row: an evidence file added or removed (the history
    # says which), and effective due dates moved by a change of the working-day calendar.
    EVIDENCE = "evidence", _("Tài liệu kiểm chứng")
    CALENDAR = "calendar", _("Hạn thực tế")
    # A comment (ý kiến trao đổi, `TaskComment`) was written: the comment is its own record in the task's
    # timeline, so this is an outbox event only (the notices of the people it mentions).
    COMMENT = "comment", _("Ý kiến trao đổi")
