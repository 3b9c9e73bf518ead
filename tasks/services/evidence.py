"""What the assignee unit reports on an open task: its progress, and the evidence files (Tài liệu kiểm
chứng) with the metric value the latest of them gives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import EVIDENCE_STATES, PROGRESS_STATES, TaskAction
from ..files import inspect_upload
from ..models import Evidence, Task
from ..permissions import is_assignee_member
from .common import TaskTransitionError, _announce, _lock, _log


@transaction.atomic
def task_report_progress(*, actor, task: Task, progress: int, note: str = "", now=None) -> Task:
    """The assignee unit reports progress (0–100) on an open task."""
    now = now or timezone.now()
    task = _lock(task)
    if not is_assignee_member(task, actor):
        raise PermissionDenied(_("Chỉ cán bộ đơn vị thực hiện được cập nhật tiến độ."))
    if task.state not in PROGRESS_STATES:
        raise TaskTransitionError(_("Chỉ cập nhật tiến độ được khi nhiệm vụ đang thực hiện."))
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        raise ValidationError({"progress": [_("Tiến độ là số nguyên từ 0 đến 100.")]})
    old = task.progress
    task.progress = progress
    task.save(update_fields=["progress", "updated_at"])
    _log(
        task,
        action=TaskAction.PROGRESS,
        actor=actor,
        now=now,
        reason=note,
        data={"from": old, "to": progress},
    )
    _announce(task, TaskAction.PROGRESS, actor, affects_score=False)
    return task


def _refresh_metric(task: Task) -> bool:
    """SPEC §2: the task's metric value is the one given with its latest evidence that carries one."""
    latest = (
        task.evidence.filter(metric_value__isnull=False)
        .order_by("-uploaded_at", "-id")
        .values_list("metric_value", flat=True)
        .first()
    )
    if latest != task.metric_value:
        task.metric_value = latest
        task.save(update_fields=["metric_value", "updated_at"])
        return True
    return False


def _check_evidence_open(task: Task, actor, *, denied: str, closed: str) -> None:
    """Evidence is added and removed by members of the assignee unit, while the task is open."""
    if not is_assignee_member(task, actor):
        raise PermissionDenied(denied)
    if task.state not in EVIDENCE_STATES:
        raise TaskTransitionError(closed % {"state": task.get_state_display()})


@transaction.atomic
def evidence_add(
    *,
    actor,
    task: Task,
    file,
    doc_number: str = "",
    doc_date: dt.date | None = None,
    description: str = "",
    metric_value: Decimal | None = None,
    now=None,
) -> Evidence:
    """Attach an evidence file to an open task. The file is checked by content, hashed and stored under a
    generated name."""
    now = now or timezone.now()
    task = _lock(task)
    _check_evidence_open(
        task,
        actor,
        denied=_("Chỉ cán bộ đơn vị thực hiện được tải lên tài liệu kiểm chứng."),
        closed=_(
            "Chỉ thêm được tài liệu kiểm chứng khi nhiệm vụ đang thực hiện (hiện ở trạng thái “%(state)s”)."
        ),
    )
    info = inspect_upload(file)
    file.name = info.name
    evidence = Evidence(
        task=task,
        file=file,
        original_name=info.name,
        content_type=info.content_type,
        size=info.size,
        sha256=info.sha256,
        doc_number=doc_number,
        doc_date=doc_date,
        description=description,
        metric_value=metric_value,
        uploaded_by=actor,
        uploaded_at=now,
    )
    evidence.full_clean(exclude=["file"])
    evidence.save()
    try:
        metric_changed = _refresh_metric(task)
        data = {
            "evidence": evidence.pk,
            "name": info.name,
            "sha256": info.sha256,
            "metric_value": str(metric_value) if metric_value is not None else None,
        }
        _log(task, action=TaskAction.EVIDENCE_ADDED, actor=actor, now=now, data=data)
    except BaseException:
        # The row will roll back: remove the stored file too, so nothing is half-written.
        evidence.file.storage.delete(evidence.file.name)
        raise
    _announce(task, TaskAction.EVIDENCE, actor, affects_score=metric_changed)
    return evidence


@transaction.atomic
def evidence_delete(*, actor, evidence: Evidence, now=None) -> None:
    """Remove an evidence file from an open task (never once the task is approved)."""
    now = now or timezone.now()
    task = _lock(evidence.task)
    _check_evidence_open(
        task,
        actor,
        denied=_("Chỉ cán bộ đơn vị thực hiện được xóa tài liệu kiểm chứng."),
        closed=_("Không xóa được tài liệu của nhiệm vụ đang ở trạng thái “%(state)s”."),
    )
    name, storage = evidence.file.name, evidence.file.storage
    data = {"evidence": evidence.pk, "name": evidence.original_name, "sha256": evidence.sha256}
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))
    metric_changed = _refresh_metric(task)
    _log(task, action=TaskAction.EVIDENCE_REMOVED, actor=actor, now=now, data=data)
    _announce(task, TaskAction.EVIDENCE, actor, affects_score=metric_changed)
