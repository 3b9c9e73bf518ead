"""The calendar feed a user subscribes to (`CalendarFeed`): the deadlines of their own open tasks as an
iCalendar text (`notifications.ical`), one all-day event per task on its effective due date, with a UID
that stays the same for the task's whole life (a moved deadline moves the event, never duplicates it).

"Their own open tasks" are the ones of their "Việc của tôi" (`tasks.selectors.my_tasks_q`, within what they
see) that are assigned and not yet approved: assigned, in progress, returned, or submitted (still waiting for
approval, so still a deadline). Read in one query; the text is kept in the cache for a few minutes, keyed by
the token (revoking drops it), so a calendar polling often costs one indexed lookup of the token.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tasks.choices import DUE_STATES, TaskState
from tasks.models import Task
from tasks.selectors import my_tasks_q

from .ical import AllDayEvent, calendar
from .links import task_url
from .services.feeds import feed_cache_key

#: How long a feed's text is reused before it is read again: calendars poll hourly at most (the feed asks
#: for an hour), so a deadline moved in the app shows in them within the hour either way.
FEED_CACHE_SECONDS = 300
PRODID = "-//Reform Tracker//Task deadlines//VI"


def feed_tasks(*, user, today: dt.date | None = None) -> list[dict]:
    """The user's own open tasks that have a deadline, by deadline (one query, plus the user's memberships
    when not read yet)."""
    return list(
        Task.objects.visible_to(user)
        .filter(my_tasks_q(user), state__in=DUE_STATES, effective_due_date__isnull=False)
        .order_by("effective_due_date", "id")
        .values(
            "id",
            "title",
            "state",
            "effective_due_date",
            "updated_at",
            "plan__number",
            "plan__title",
            "assignee_unit__name",
        )
    )


def _uid_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "reform-tracker"


def feed_text(*, user, today: dt.date | None = None) -> str:
    """The iCalendar text of the user's feed, in their language."""
    today = today or timezone.localdate()
    domain = _uid_domain()
    states = dict(TaskState.choices)
    with translation.override(user.language or "vi"):
        events = []
        for t in feed_tasks(user=user, today=today):
            state = str(states.get(t["state"], t["state"]))
            if t["effective_due_date"] < today:
                state = f"{state} — {_('Quá hạn')}"
            url = task_url(t["id"])
            description = "\n".join(
                (
                    _("Kế hoạch: %(number)s — %(title)s")
                    % {"number": t["plan__number"], "title": t["plan__title"]},
                    _("Đơn vị thực hiện: %(unit)s") % {"unit": t["assignee_unit__name"]},
                    _("Hạn hoàn thành: %(date)s") % {"date": t["effective_due_date"].strftime("%d/%m/%Y")},
                    _("Trạng thái: %(state)s") % {"state": state},
                    _("Xem nhiệm vụ: %(url)s") % {"url": url},
                )
            )
            events.append(
                AllDayEvent(
                    uid=f"task-{t['id']}@{domain}",
                    day=t["effective_due_date"],
                    summary=_("Hạn: %(title)s") % {"title": t["title"]},
                    description=description,
                    url=url,
                    stamp=t["updated_at"],
                )
            )
        name = _("Hạn nhiệm vụ — %(name)s") % {"name": user.display_name}
        return calendar(events, name=name, prodid=PRODID)


def feed_text_cached(*, feed, today: dt.date | None = None) -> str:
    """`feed_text` of the feed's user, from the cache when it was read in the last few minutes that same
    day (an open task turns overdue at midnight)."""
    today = today or timezone.localdate()
    key = feed_cache_key(feed.token)
    cached = cache.get(key)
    if cached is not None and cached[0] == today.isoformat():
        return cached[1]
    text = feed_text(user=feed.user, today=today)
    cache.set(key, (today.isoformat(), text), FEED_CACHE_SECONDS)
    return text
