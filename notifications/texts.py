"""What notifications say, in the recipient's language (Vietnamese by default, English by preference).

Every task text names the task, the plan, the due date, how early or late it is, and links to the task
page. A round notice (SPEC §3a) names the criteria set, the unit and the deadline or the decision, and links
to the unit's self-assessment or to the set's results.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.conf import settings
from django.urls import get_urlconf
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import round_url, task_url
from .policy import DueReminder, describe


@dataclass(frozen=True)
class TaskInfo:
    """What a text needs to know about a task (gathered in bulk by the planner)."""

    id: int
    title: str
    plan_number: str
    plan_title: str
    unit_name: str
    due_date: dt.date | None
    progress: int


def _date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


def _lines(task: TaskInfo, status: str, extra: list[str] = ()) -> str:
    lines = [
        _("Nhiệm vụ: %(title)s") % {"title": task.title},
        _("Kế hoạch: %(number)s — %(title)s") % {"number": task.plan_number, "title": task.plan_title},
        _("Đơn vị thực hiện: %(unit)s") % {"unit": task.unit_name},
        _("Hạn hoàn thành: %(date)s") % {"date": _date(task.due_date)},
    ]
    if status:
        lines.append(status)
    lines.extend(extra)
    lines.append(_("Xem nhiệm vụ: %(url)s") % {"url": task_url(task.id)})
    return "\n".join(lines)


def _status(reminder: DueReminder, task: TaskInfo) -> str:
    n = abs(reminder.offset)
    if reminder.kind == "at_risk":
        return _(
            "Đã qua nửa thời gian thực hiện, tiến độ mới đạt %(progress)d%%; còn %(n)d ngày làm việc đến hạn."
        ) % {"progress": task.progress, "n": n}
    if reminder.offset > 0:
        return _("Còn %(n)d ngày làm việc đến hạn.") % {"n": n}
    if reminder.offset == 0:
        return _("Hôm nay là ngày đến hạn.")
    return _("Đã quá hạn %(n)d ngày làm việc.") % {"n": n}


def reminder_text(task: TaskInfo, reminder: DueReminder, language: str) -> tuple[str, str]:
    """(title, body) of a reminder for a recipient who reads `language`.

    The words are translated once per language, kind and offset (a planning cycle writes tens of
    thousands of reminders that differ only in the task), then only the task's own values are filled in:
    the same text as `_lines` builds."""
    language = language or "vi"
    progress = task.progress if reminder.kind == "at_risk" else None
    prefix, description, status = _reminder_words(language, reminder.kind, reminder.offset, progress)
    title = f"[{prefix}] {task.title} — {description}"
    head, plan, unit, due, link = _line_templates(language)
    body = "\n".join(
        (
            head % {"title": task.title},
            plan % {"number": task.plan_number, "title": task.plan_title},
            unit % {"unit": task.unit_name},
            due % {"date": _date(task.due_date)},
            *((status,) if status else ()),
            link % {"url": task_url(task.id)},
        )
    )
    return title[:500], body


@functools.lru_cache(maxsize=4096)
def _reminder_words(language: str, kind: str, offset: int, progress: int | None) -> tuple[str, str, str]:
    """(title prefix, description, status line) of a reminder, in `language`."""
    reminder = DueReminder(kind=kind, offset=offset, day=dt.date.min, stream="")
    with translation.override(language):
        prefix = _("Báo cáo lãnh đạo") if kind == "escalation" else _("Nhắc việc")
        info = TaskInfo(0, "", "", "", "", None, progress or 0)
        return str(prefix), describe(reminder), _status(reminder, info)


@functools.lru_cache(maxsize=16)
def _line_templates(language: str) -> tuple[str, str, str, str, str]:
    """The lines of `_lines`, translated into `language`, still to be filled in."""
    with translation.override(language):
        return (
            _("Nhiệm vụ: %(title)s"),
            _("Kế hoạch: %(number)s — %(title)s"),
            _("Đơn vị thực hiện: %(unit)s"),
            _("Hạn hoàn thành: %(date)s"),
            _("Xem nhiệm vụ: %(url)s"),
        )


NOTICE_TITLES = {
    "assigned": gettext_noop("Nhiệm vụ mới được giao"),
    "submitted": gettext_noop("Nhiệm vụ trình duyệt"),
    "returned": gettext_noop("Nhiệm vụ bị trả lại"),
    "approved": gettext_noop("Nhiệm vụ đã được duyệt"),
    "extension_requested": gettext_noop("Đề nghị gia hạn nhiệm vụ"),
    "extension_decided": gettext_noop("Quyết định về đề nghị gia hạn"),
}


#: Who acted, as the notice of each event names them (the one who assigned, submitted, returned, approved,
#: asked for or decided on an extension).
ACTOR_LABELS = {
    "assigned": gettext_noop("Người giao: %(name)s"),
    "submitted": gettext_noop("Người trình: %(name)s"),
    "returned": gettext_noop("Người trả lại: %(name)s"),
    "approved": gettext_noop("Người duyệt: %(name)s"),
    "extension_requested": gettext_noop("Người đề nghị: %(name)s"),
    "extension_decided": gettext_noop("Người quyết định: %(name)s"),
}


def notice_text(
    task: TaskInfo,
    kind: str,
    language: str,
    *,
    actor: str = "",
    reason: str = "",
    approved: bool | None = None,
    new_due: dt.date | None = None,
) -> tuple[str, str]:
    """(title, body) of an event notice (assigned, submitted, returned, approved, extension asked or
    decided).

    The words are translated once per language, kind, actor, reason and decision (a batch of 68,000
    assigned tasks has one of each), then only the task's own values are filled in: the same text as
    `_lines` builds."""
    language = language or "vi"
    head, extra = _notice_words(language, kind, actor, reason, approved, new_due)
    task_line, plan_line, unit_line, due_line, link = _line_templates(language)
    body = "\n".join(
        (
            task_line % {"title": task.title},
            plan_line % {"number": task.plan_number, "title": task.plan_title},
            unit_line % {"unit": task.unit_name},
            due_line % {"date": _date(task.due_date)},
            *extra,
            link % {"url": _task_url(task.id)},
        )
    )
    return f"{head}: {task.title}"[:500], body


@functools.lru_cache(maxsize=1024)
def _notice_words(
    language: str, kind: str, actor: str, reason: str, approved: bool | None, new_due: dt.date | None
) -> tuple[str, tuple[str, ...]]:
    """(head, the lines after the task's) of an event notice, in `language`."""
    with translation.override(language):
        head = _(NOTICE_TITLES[kind])
        extra: list[str] = []
        if kind == "extension_decided" and approved is not None:
            if approved:
                head = _("Đề nghị gia hạn được chấp thuận")
                extra.append(_("Hạn mới: %(date)s") % {"date": _date(new_due)})
            else:
                head = _("Đề nghị gia hạn bị từ chối")
        if kind == "extension_requested" and new_due:
            extra.append(_("Hạn đề nghị: %(date)s") % {"date": _date(new_due)})
        if actor:
            extra.append(_(ACTOR_LABELS[kind]) % {"name": actor})
        if reason:
            extra.append(_("Lý do, ý kiến: %(reason)s") % {"reason": reason})
        return str(head), tuple(str(line) for line in extra)


#: A task id no task page link contains by chance, to find where the id goes in the link.
_URL_SAMPLE_ID = 987654321987


def _task_url(task_id: int) -> str:
    """`task_url(task_id)`, from the link of one sample id per site and urlconf, with the id put in its
    place (a reversal per task is most of a 68,000-task batch's texts)."""
    head, tail = _task_url_parts(settings.SITE_URL, get_urlconf())
    if head is None:
        return task_url(task_id)
    return f"{head}{task_id}{tail}"


@functools.lru_cache(maxsize=16)
def _task_url_parts(site: str, urlconf) -> tuple[str | None, str]:
    sample = task_url(_URL_SAMPLE_ID)
    if sample.count(str(_URL_SAMPLE_ID)) != 1:
        return None, ""
    head, tail = sample.split(str(_URL_SAMPLE_ID))
    return head, tail


#: How much of a comment a "mentioned" notice quotes: enough to know what is asked, the rest is on the page.
MENTION_EXCERPT = 160


def mention_text(task: TaskInfo, language: str, *, actor: str, excerpt: str) -> tuple[str, str]:
    """(title, body) of the notice that `actor` mentioned the recipient in a comment on `task`: short, the
    title saying who wrote, the body the start of what they wrote (the app shows it with its "Mở nhiệm vụ"
    button; the e-mail adds the task's lines and its link)."""
    words = " ".join(excerpt.split())
    if len(words) > MENTION_EXCERPT:
        words = words[: MENTION_EXCERPT - 1].rstrip() + "…"
    with translation.override(language or "vi"):
        if actor:
            head = _("%(name)s nhắc đến bạn trong ý kiến trao đổi") % {"name": actor}
        else:
            head = _("Bạn được nhắc đến trong ý kiến trao đổi")
        # The title names who wrote: the body adds only what they wrote (the task's lines are the e-mail's).
        title = f"{head}: {task.title}"
        return title[:500], _lines(task, "", [_("Ý kiến: “%(text)s”") % {"text": words}])


@dataclass(frozen=True)
class RoundInfo:
    """What a round notice's text needs to know about the set and the unit (gathered in bulk)."""

    criteria_set_id: int
    set_code: str
    set_name: str
    unit_id: int
    unit_name: str


@functools.lru_cache(maxsize=256)
def _round_due_templates(language: str, kind: str, today: bool) -> tuple[str, tuple[str, ...]]:
    """(title, body lines) of a round deadline reminder in `language`, still to be filled in with `n`,
    `set`, `code`, `unit`, `date` and `url`."""
    with translation.override(language):
        if kind == "self_assessment_due":
            if today:
                title = _("Hôm nay là hạn cuối tự đánh giá %(set)s (%(code)s) — %(unit)s")
            else:
                title = _("Còn %(n)d ngày làm việc đến hạn tự đánh giá %(set)s (%(code)s) — %(unit)s")
            deadline = _("Hạn tự đánh giá: hết ngày %(date)s")
            owed = _("Đơn vị chưa gửi bản tự đánh giá; quá hạn, bản đang có sẽ được gửi và ghi là nộp muộn.")
            link = _("Tự đánh giá: %(url)s")
        elif kind == "explanation_due":
            if today:
                title = _("Hôm nay là hạn cuối giải trình %(set)s (%(code)s) — %(unit)s")
            else:
                title = _("Còn %(n)d ngày làm việc đến hạn giải trình %(set)s (%(code)s) — %(unit)s")
            deadline = _("Hạn giải trình: hết ngày %(date)s")
            owed = _("Có tiêu chí được thẩm định thấp hơn điểm đơn vị tự chấm đang chờ đơn vị giải trình.")
            link = _("Giải trình: %(url)s")
        else:
            raise ValueError(f"not a round deadline kind: {kind!r}")
        lines = (
            _("Bộ tiêu chí: %(code)s — %(set)s"),
            _("Đơn vị: %(unit)s"),
            deadline,
            owed,
            link,
        )
        return str(title), tuple(str(line) for line in lines)


def round_due_text(
    info: RoundInfo, kind: str, *, deadline: dt.date, remaining: int, language: str
) -> tuple[str, str]:
    """(title, body) of a round deadline reminder (`self_assessment_due`, `explanation_due`) to a unit's
    leader who reads `language`: the working days `remaining` until the end of `deadline` (0: today is the
    last day), the set, the unit, the deadline and the link to the unit's self-assessment."""
    title, lines = _round_due_templates(language or "vi", kind, remaining <= 0)
    values = {
        "n": remaining,
        "set": info.set_name,
        "code": info.set_code,
        "unit": info.unit_name,
        "date": _date(deadline),
        "url": round_url(kind, info.criteria_set_id, info.unit_id),
    }
    return (title % values)[:500], "\n".join(line % values for line in lines)


@functools.lru_cache(maxsize=32)
def _round_published_templates(language: str, corrected: bool) -> tuple[str, tuple[str, ...]]:
    with translation.override(language):
        if corrected:
            title = _(
                "Đã công bố lại kết quả %(set)s (%(code)s) sau đính chính: Quyết định số %(number)s "
                "ngày %(date)s"
            )
        else:
            title = _("Đã công bố kết quả %(set)s (%(code)s): Quyết định số %(number)s ngày %(date)s")
        lines = (
            _("Bộ tiêu chí: %(code)s — %(set)s"),
            _("Đơn vị: %(unit)s"),
            _("Quyết định số %(number)s ngày %(date)s"),
            _("Phiên bản kết quả: %(version)d"),
            _("Xem kết quả: %(url)s"),
        )
        return str(title), tuple(str(line) for line in lines)


def round_published_text(
    info: RoundInfo, *, version: int, decision_number: str, decided_on: dt.date, language: str
) -> tuple[str, str]:
    """(title, body) of the notice that a set's results are published (version 2 and later: republished
    after a correction), to a scored unit's leader, linking to the set's results."""
    title, lines = _round_published_templates(language or "vi", version > 1)
    values = {
        "set": info.set_name,
        "code": info.set_code,
        "unit": info.unit_name,
        "number": decision_number or "—",
        "date": _date(decided_on),
        "version": version,
        "url": round_url("results_published", info.criteria_set_id, info.unit_id),
    }
    return (title % values)[:500], "\n".join(line % values for line in lines)


def in_app_summary(body: str, *, about_task: bool) -> str:
    """The short text the app shows of a notice whose `body` is the e-mail's: without the lines that carry a
    link (the page has its button) and, for a task, without the task's, plan's and unit's lines (the title
    names the task, its page the rest): the due date, how early or late, who acted and why."""
    lines = [line for line in body.splitlines() if "://" not in line and line.strip()]
    if about_task:
        lines = lines[3:]  # `_lines` and `reminder_text`: task, plan, unit, then the due date
    return "\n".join(lines)


def digest_text(items: list[tuple[str, str]], day: dt.date, language: str) -> tuple[str, str]:
    """(subject, body) of a daily digest listing (title, body) items."""
    with translation.override(language or "vi"):
        subject = _("Tóm tắt thông báo ngày %(date)s (%(n)d mục)") % {"date": _date(day), "n": len(items)}
        parts = [_("Các thông báo của bạn kể từ bản tóm tắt trước:"), ""]
        for i, (title, body) in enumerate(items, 1):
            parts.append(f"{i}. {title}")
            parts.extend(f"   {line}" for line in body.splitlines())
            parts.append("")
        return subject, "\n".join(parts)
