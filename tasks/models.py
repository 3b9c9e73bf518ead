"""Tasks (Nhiệm vụ) with their state machine, evidence (Tài liệu kiểm chứng), extensions (Gia hạn) and the
append-only history of every step."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from org.models import AppendOnlyModel, AppendOnlyQuerySet
from org.scoping import ScopedQuerySet, subtree_q

# The vocabularies and the status rule live in `choices` and `status`; importable from here as before.
from .choices import DUE_STATES, ExtensionState, Priority, TaskAction, TaskState, TaskStatus
from .choices import OPEN_STATES as OPEN_STATES
from .mentions import render_mentions
from .permissions import transition_permission
from .status import overdue_q, status_parts, task_status
from .status import status_conditions as status_conditions


class TaskQuerySet(ScopedQuerySet):
    def scope_q(self, paths: list[str]) -> Q:
        """SPEC §1: a task is visible (`visible_to`) when its assignee unit or its plan's owner unit lies in
        the subtree of a unit where the user holds a membership; a draft only on the owner's side (members of
        the plan's owner unit or its ancestors) until it is assigned. Every task query reaching a user goes
        through `visible_to`."""
        return subtree_q("plan__owner_unit__", paths) | self._assignee_side_q(paths)

    @staticmethod
    def _assignee_side_q(paths: list[str]) -> Q:
        return subtree_q("assignee_unit__", paths) & ~Q(state=TaskState.DRAFT)

    def assigned_in(self, paths: list[str]) -> TaskQuerySet:
        """Tasks assigned (no longer drafts) to a unit in the subtrees at `paths`: the side of `scope_q` by
        which the assignee unit's members see a task, and a plan (`PlanQuerySet.scope_q`)."""
        return self.filter(self._assignee_side_q(paths))

    def with_status(self, today: dt.date) -> TaskQuerySet:
        """Annotate `status_code` in SQL, exactly as `task_status` computes it."""
        _uncounted, approved, in_time, past_due = status_parts(today)
        return self.annotate(
            status_code=Case(
                When(state=TaskState.CANCELLED, then=Value(TaskStatus.CANCELLED)),
                When(state=TaskState.DRAFT, then=Value(TaskStatus.DRAFT)),
                When(approved & in_time, then=Value(TaskStatus.ON_TIME)),
                When(approved, then=Value(TaskStatus.LATE)),
                When(past_due, then=Value(TaskStatus.OVERDUE)),
                default=Value(TaskStatus.PENDING),
                output_field=models.CharField(),
            )
        )

    def overdue(self, today: dt.date) -> TaskQuerySet:
        """Tasks not done whose effective due date is before `today` (the "overdue" status)."""
        return self.filter(overdue_q(today))

    def not_overdue(self, today: dt.date) -> TaskQuerySet:
        return self.exclude(overdue_q(today))


def _step(action: TaskAction, source, target):
    """A step of the task state machine. It only changes the state: the services check the right (the one
    rule of `tasks.permissions`, also given here as the transition's `permission` so that
    `get_available_user_state_transitions(user)` lists what a user may do), save, log and announce
    (CONVENTIONS). The method is named as the action, `return_` for `return` (a keyword)."""

    def step(self) -> None:
        pass

    step.__name__ = "return_" if action == TaskAction.RETURN else str(action)
    step.__qualname__ = f"Task.{step.__name__}"
    permission = transition_permission(action)
    return transition(field="state", source=source, target=target, permission=permission)(step)


class Task(ConcurrentTransitionMixin, models.Model):
    plan = models.ForeignKey(
        "plans.Plan", verbose_name=_("kế hoạch"), on_delete=models.PROTECT, related_name="tasks"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("nhiệm vụ cha"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subtasks",
    )
    # A cascaded copy: the plan's task it was issued from, one copy per unit (`tasks_cascade`).
    source = models.ForeignKey(
        "self",
        verbose_name=_("nhiệm vụ gốc"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="copies",
        editable=False,
        db_index=False,  # the unique constraint below leads with it
    )
    # An occurrence of a recurring series, and its period's key (e.g. "2027-Q1", "2027-03").
    series = models.ForeignKey(
        "tasks.TaskSeries",
        verbose_name=_("chuỗi định kỳ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occurrences",
        editable=False,
        db_index=False,  # the unique constraint below leads with it
    )
    # db_default: rows written outside the ORM (generate_load's COPY, hand-written floors) get "" too.
    period = models.CharField(_("kỳ"), max_length=32, blank=True, editable=False, default="", db_default="")
    title = models.CharField(_("tên nhiệm vụ"), max_length=500)
    description = models.TextField(_("mô tả"), blank=True)
    assignee_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("đơn vị thực hiện"),
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
        db_index=False,  # the indexes below lead with it
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cán bộ chủ trì"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_tasks",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người giao"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    start_date = models.DateField(_("ngày bắt đầu"), null=True, blank=True)
    due_date = models.DateField(_("hạn hoàn thành"), null=True, blank=True)
    # The due date moved to the next working day; kept in a column so deadlines are indexed queries.
    effective_due_date = models.DateField(_("hạn thực tế"), null=True, blank=True, editable=False)
    priority = models.CharField(
        _("mức ưu tiên"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    criterion_code = models.CharField(_("mã tiêu chí"), max_length=32, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("tiến độ (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    metric_value = models.DecimalField(
        _("giá trị số liệu"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    state = FSMField(_("trạng thái"), default=TaskState.DRAFT, choices=TaskState.choices, protected=True)
    assigned_at = models.DateTimeField(_("thời điểm giao"), null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("thời điểm trình"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("thời điểm duyệt"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhiệm vụ")
        verbose_name_plural = _("nhiệm vụ")
        ordering = ["effective_due_date", "id"]
        indexes = [
            models.Index(fields=["assignee_unit", "state"]),
            models.Index(fields=["plan", "state"]),
            models.Index(fields=["state", "effective_due_date"]),
            models.Index(fields=["lead", "state"]),
            # The import's duplicate check reads the (unit, title) of a plan's tasks of the file's units and
            # titles from this index alone (with the state, to leave cancelled tasks out).
            models.Index(
                fields=["plan", "assignee_unit", "title"], include=["state"], name="task_import_key_idx"
            ),
            # Scoring reads a batch of units' linked tasks from this index alone (an index-only scan): it
            # includes the columns that decide the status, the plan, and the latest metric and its tie-break.
            models.Index(
                fields=["assignee_unit", "criterion_code"],
                include=[
                    "plan",
                    "state",
                    "effective_due_date",
                    "submitted_at",
                    "approved_at",
                    "metric_value",
                    "id",
                ],
                name="task_scoring_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=TaskState.values), name="tasks_task_state_valid"),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="tasks_task_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="tasks_task_progress"
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(due_date__isnull=True)
                | Q(start_date__lte=F("due_date")),
                name="tasks_task_start_before_due",
            ),
            # One copy per (source task, unit), one occurrence per (series, period, unit): a cascade or a
            # series' job run twice never duplicates.
            models.UniqueConstraint(
                fields=["source", "assignee_unit"],
                condition=Q(source__isnull=False),
                name="tasks_task_one_copy_per_unit",
            ),
            models.UniqueConstraint(
                fields=["series", "period", "assignee_unit"],
                condition=Q(series__isnull=False),
                name="tasks_task_one_occurrence_per_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_progress(self) -> int:
        """The progress the pages and the export show: 100 once approved (approval says it is done, whatever
        was last reported; tasks approved before approval set it to 100 kept the last report)."""
        return 100 if self.state == TaskState.APPROVED else self.progress

    def status(self, today: dt.date | None = None) -> str:
        return task_status(
            state=self.state,
            effective_due_date=self.effective_due_date,
            submitted_at=self.submitted_at,
            today=today or timezone.localdate(),
        )

    # The state machine: one row per step (action, from, to).
    assign = _step(TaskAction.ASSIGN, TaskState.DRAFT, TaskState.ASSIGNED)
    start = _step(TaskAction.START, TaskState.ASSIGNED, TaskState.IN_PROGRESS)
    submit = _step(TaskAction.SUBMIT, [TaskState.IN_PROGRESS, TaskState.RETURNED], TaskState.SUBMITTED)
    approve = _step(TaskAction.APPROVE, TaskState.SUBMITTED, TaskState.APPROVED)
    return_ = _step(TaskAction.RETURN, TaskState.SUBMITTED, TaskState.RETURNED)
    cancel = _step(TaskAction.CANCEL, [TaskState.DRAFT, *DUE_STATES], TaskState.CANCELLED)
    reopen = _step(TaskAction.REOPEN, TaskState.APPROVED, TaskState.IN_PROGRESS)


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    """Stored under a generated name: the user's file name never reaches the file system."""
    ext = PurePosixPath(filename).suffix.lower()[:8]
    now = timezone.now()
    return f"evidence/{now:%Y/%m}/{uuid.uuid4().hex}{ext}"


class Evidence(models.Model):
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("tệp"), upload_to=evidence_upload_to, max_length=255)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    content_type = models.CharField(_("kiểu nội dung"), max_length=128)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(max_length=64)
    doc_number = models.CharField(_("số văn bản"), max_length=64, blank=True)
    doc_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    description = models.TextField(_("trích yếu"), blank=True)
    metric_value = models.DecimalField(
        _("giá trị số liệu"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("thời điểm tải lên"), default=timezone.now)

    class Meta:
        verbose_name = _("tài liệu kiểm chứng")
        verbose_name_plural = _("tài liệu kiểm chứng")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["task", "uploaded_at"])]

    def __str__(self) -> str:
        return f"{self.doc_number or self.original_name}"


class Extension(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    previous_due_date = models.DateField(_("hạn cũ"))
    requested_due_date = models.DateField(_("hạn đề nghị"))
    reason = models.TextField(_("lý do"))
    state = models.CharField(
        _("trạng thái"), max_length=10, choices=ExtensionState.choices, default=ExtensionState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("ý kiến"), blank=True)

    class Meta:
        verbose_name = _("đề nghị gia hạn")
        verbose_name_plural = _("đề nghị gia hạn")
        ordering = ["-requested_at"]
        constraints = [
            # One open request per task at a time.
            models.UniqueConstraint(
                fields=["task"], condition=Q(state="pending"), name="tasks_extension_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ExtensionState.values), name="tasks_extension_state"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} → {self.requested_due_date}"


class TaskEvent(AppendOnlyModel):
    """One step in a task's life: who did what, when, why. Append-only."""

    append_only_message = "Task history is append-only."

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("hành động"), max_length=32, choices=TaskAction.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("thời điểm"), default=timezone.now)
    reason = models.TextField(_("lý do"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("lịch sử nhiệm vụ")
        verbose_name_plural = _("lịch sử nhiệm vụ")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["task", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action}"


#: The longest comment (ý kiến trao đổi) accepted, in characters: a message, not a report (a report is
#: evidence). The service, the form, the API and a check constraint all hold it.
COMMENT_MAX_LENGTH = 4000


class TaskComment(AppendOnlyModel):
    """A comment on a task (ý kiến trao đổi), shown with the history in the task's timeline. Written by
    anyone who can see the task (`tasks.permissions.can_comment`, through `tasks.services.task_comment_add`);
    `mentions` are the users its `@username`s named who can see the task, and were told. Append-only like
    the history it sits in: what was said stays said."""

    append_only_message = "Task comments are append-only."

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người viết"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("nội dung"), max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(_("thời điểm"), default=timezone.now)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("người được nhắc đến"), blank=True, related_name="+"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("ý kiến trao đổi")
        verbose_name_plural = _("ý kiến trao đổi")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["task", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    GreaterThanOrEqual(Length("body"), 1),
                    LessThanOrEqual(Length("body"), COMMENT_MAX_LENGTH),
                ),
                name="tasks_taskcomment_body_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%d/%m/%Y %H:%M} {self.body[:40]}"

    def body_html(self):
        """The body as the timeline shows it: escaped, with the mentions that reached someone highlighted
        (`mentions` prefetched: no query per comment)."""
        return render_mentions(self.body, {u.username.lower(): u.display_name for u in self.mentions.all()})


class Outbox(models.Model):
    """Task changes not yet handed to every receiver (see tasks.events)."""

    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sự kiện chờ gửi")
        verbose_name_plural = _("sự kiện chờ gửi")

    def __str__(self) -> str:
        return f"{self.payload.get('action')} #{self.payload.get('task_id')}"


# Recurring tasks: `series`, importable from here as every model of the app.
from .series import Schedule, TaskSeries  # noqa: E402, F401
