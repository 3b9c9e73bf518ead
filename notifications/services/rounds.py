"""Round notices (SPEC §3a): the assessment round's reminders and its publication, planned into the same
ledger and carried by the same channels as the task reminders (§4).

Scoring owns the round and never imports this app: it sends `criteria.events.round_deadlines` every 15
minutes with every open deadline's debtors (`RoundTarget`: a scored unit's leaders that still owe a
self-assessment or an explanation) and `round_published` once a publication has committed. Here the pure
policy (`policy.round_reminder_offset`) says which reminder each deadline gives now, and the ledger's
unique key (criteria set, kind, due date, offset, unit, recipient) makes each notice at most once: a
repeated cycle, a repeated publication signal or two planners at once plan nothing new, while a new
published version (a correction republished) notifies again.

Everything is read and written in bulk (a national set scores 3,400 units, each with a few leaders): one
read of what the ledger already has for the few (set, kind, date, offset) groups of a cycle, one read each
of the users, sets and units concerned, one insert statement per 2,000 rows, one for the deliveries. An
idle cycle (everything already planned) only reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from criteria.events import RoundPublication, RoundTarget
from criteria.models import CriteriaSet
from org.calendar import get_calendar
from org.models import Unit, User

from ..models import Notification, ReminderPolicySetting
from ..policy import ROUND_OFFSETS, round_last_day, round_reminder_offset
from ..texts import RoundInfo, round_due_text, round_published_text
from .common import Planned, _batched, _local_date
from .delivery import _deliveries_create
from .ledger import ROUND_LEDGER, ledger_insert

log = logging.getLogger("notifications.services")

PUBLISHED = "results_published"
# Rows per insert statement.
INSERT_BATCH = 2000

# A wanted round notice: (criteria set id, kind, due date, offset, unit id, recipient id), the ledger key.
_Key = tuple[int, str, dt.date, int, int, int]


@transaction.atomic
def round_deadlines_plan(*, targets: Iterable[RoundTarget], now: dt.datetime | None = None) -> list[Planned]:
    """Plan the round deadline reminders due at `now` for these debtors into the ledger, with their
    deliveries, at most once each; returns the notices this call created.

    Per (kind, deadline) the policy gives the offset due now (7, 3, 1, 0 working days before a
    self-assessment deadline, 3, 1, 0 before an explanation deadline; in the global reminder policy's
    sending window, 08:00 on working days by default; only the most recent after downtime; nothing once
    the deadline is over). Targets of an unknown kind are logged and left out."""
    now = now or timezone.now()
    calendar = get_calendar()
    policy = ReminderPolicySetting.global_policy()
    today = _local_date(now)
    offsets: dict[tuple[str, dt.date], int | None] = {}
    wanted: list[_Key] = []
    for target in targets:
        if target.kind not in ROUND_OFFSETS:
            log.error("round target of unknown kind %r left out: %s", target.kind, target)
            continue
        group = (target.kind, target.deadline)
        if group not in offsets:
            offsets[group] = round_reminder_offset(target.deadline, target.kind, now, calendar, policy=policy)
        offset = offsets[group]
        if offset is None:
            continue
        for user_id in target.recipient_ids:
            wanted.append(
                (target.criteria_set_id, target.kind, target.deadline, offset, target.unit_id, user_id)
            )
    # Working days left until the end of each deadline, for the texts ("Còn 3 ngày làm việc …"): a round
    # opened late gets its first reminder with the days really left, not those of its offset.
    remaining = {
        deadline: calendar.working_days_between(today, round_last_day(deadline, calendar))
        for (_kind, deadline), offset in offsets.items()
        if offset is not None
    }

    def text(key: _Key, info: RoundInfo, language: str) -> tuple[str, str]:
        _set, kind, deadline, _offset, _unit, _user = key
        return round_due_text(info, kind, deadline=deadline, remaining=remaining[deadline], language=language)

    return _plan(wanted, text, now=now)


@transaction.atomic
def round_published_notify(*, publication: RoundPublication, now: dt.datetime | None = None) -> list[Planned]:
    """The notice that a set's results are published, to the leaders of each scored unit, with its
    deliveries; once per published version (its due date the decision date, its offset the version), so a
    repeated signal notifies no one again and a republication after a correction notifies everyone."""
    if publication.decided_on is None:
        raise ValueError("a publication needs its decision date (the notices' key)")
    now = now or timezone.now()
    wanted: list[_Key] = [
        (
            publication.criteria_set_id,
            PUBLISHED,
            publication.decided_on,
            publication.version,
            unit_id,
            user_id,
        )
        for unit_id, user_ids in publication.recipients.items()
        for user_id in user_ids
    ]

    def text(key: _Key, info: RoundInfo, language: str) -> tuple[str, str]:
        return round_published_text(
            info,
            version=publication.version,
            decision_number=publication.decision_number,
            decided_on=publication.decided_on,
            language=language,
        )

    return _plan(wanted, text, now=now)


def _plan(wanted: list[_Key], text, *, now: dt.datetime) -> list[Planned]:
    """Insert the wanted round notices the ledger does not have yet (texts written by `text(key, info,
    language)`), create their deliveries, and return them."""
    missing = _missing(wanted)
    if not missing:
        return []
    # Only active users get notices; sets and units that are gone (deleted meanwhile) are left out.
    languages = dict(
        User.objects.filter(pk__in={k[5] for k in missing}, is_active=True).values_list("pk", "language")
    )
    sets = {
        pk: (code, name)
        for pk, code, name in CriteriaSet.objects.filter(pk__in={k[0] for k in missing}).values_list(
            "pk", "code", "name"
        )
    }
    units = dict(Unit.objects.filter(pk__in={k[4] for k in missing}).values_list("pk", "name"))
    infos: dict[tuple[int, int], RoundInfo] = {}
    texts: dict[tuple, tuple[str, str]] = {}
    rows: list[tuple] = []
    for key in missing:
        set_id, kind, due_date, offset, unit_id, user_id = key
        if user_id not in languages or set_id not in sets or unit_id not in units:
            continue
        info = infos.get((set_id, unit_id))
        if info is None:
            code, name = sets[set_id]
            info = infos[(set_id, unit_id)] = RoundInfo(
                criteria_set_id=set_id,
                set_code=code,
                set_name=name,
                unit_id=unit_id,
                unit_name=units[unit_id],
            )
        language = languages[user_id] or "vi"
        text_key = (set_id, kind, due_date, offset, unit_id, language)
        if text_key not in texts:
            texts[text_key] = text(key, info, language)
        title, body = texts[text_key]
        # In `ROUND_LEDGER.columns` order.
        rows.append((user_id, kind, set_id, unit_id, title, body, due_date, offset))
    created: list[dict] = []
    for batch in _batched(rows, INSERT_BATCH):
        created.extend(ledger_insert(batch, now, ROUND_LEDGER))
    _deliveries_create([(n["id"], n["recipient_id"]) for n in created], now=now)
    return [
        Planned(
            notification_id=n["id"],
            task_id=None,
            recipient_id=n["recipient_id"],
            kind=n["kind"],
            offset=n["offset"],
            due_date=n["due_date"],
            title=n["title"],
            criteria_set_id=n["criteria_set_id"],
            unit_id=n["unit_id"],
        )
        for n in created
    ]


def _missing(wanted: list[_Key]) -> list[_Key]:
    """The wanted keys (deduplicated, in order) the ledger does not have: one read for the few (set, kind,
    due date, offset) groups they fall in, along the round notices' unique index."""
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return []
    groups = sorted({k[:4] for k in wanted})
    existing: set[_Key] = set()
    for chunk in _batched(groups, 200):
        condition = reduce(
            or_, (Q(criteria_set_id=s, kind=kind, due_date=d, offset=o) for s, kind, d, o in chunk)
        )
        existing.update(
            Notification.objects.filter(condition).values_list(
                "criteria_set_id", "kind", "due_date", "offset", "unit_id", "recipient_id"
            )
        )
    return [k for k in wanted if k not in existing]
