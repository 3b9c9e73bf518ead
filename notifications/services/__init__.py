"""Writes for notifications, by sub-domain: `planning` (reminders into the ledger, with `candidates` and
`ledger`), `rounds` (the assessment round's reminders and publication notices, SPEC §3a, through the same
ledger), `notices` (event notices), `delivery` (claiming and sending over the channels), `digests`, and
`reading` (marking read, preferences). Import the public names from here.

How reminders stay exactly once (SPEC §4, and the opposite of the peers' known mistakes):
- Planning is a scan, never a delayed broker message: `reminders_plan` runs every 15 minutes, asks the pure
  policy what is due *now* for each candidate task, and inserts ledger rows with
  `bulk_create(ignore_conflicts=True)`; the unique key (task, recipient, kind, effective due date, offset)
  turns every repeat, retry or concurrent planner into a no-op.
- Candidates are chosen in SQL by state and effective due date (indexed), and only where the reminder that
  the policy would now give is not in the ledger yet: an idle cycle reads a few distinct dates, not tasks.
- Delivery rows are claimed with `select_for_update(skip_locked=True)`, sent outside the lock, and marked
  sent only after the channel accepted them; failures back off and end as `failed` with the error kept.
  A sweeper re-queues rows left in `sending` by a worker that died.

A test or hook that replaces a helper (`_plan_chunk`, `_claim`) patches the submodule that defines and
calls it; the entry points below are looked up here by their callers (`notifications.tasks`, `remind`).
"""

from .common import Planned
from .delivery import (
    BACKOFF,
    MAX_ATTEMPTS,
    STUCK_AFTER,
    SendResult,
    backoff,
    deliveries_requeue_stuck,
    deliveries_send,
)
from .digests import DIGEST_AT, digests_send
from .feeds import calendar_feed_delete, calendar_feed_reset
from .notices import NOTICE_KINDS, notices_for_event
from .phone_channels import preference_phone_channels_set
from .planning import CHUNK_SIZE, PlanResult, reminders_plan, reminders_plan_chunks, reminders_plan_tasks
from .reading import (
    notification_mark_read,
    notifications_mark_all_read,
    notifications_mark_task_read,
    preference_set,
)
from .rounds import round_deadlines_plan, round_published_notify
from .zalo import zalo_token_current, zalo_token_refresh

__all__ = [
    "BACKOFF",
    "CHUNK_SIZE",
    "DIGEST_AT",
    "MAX_ATTEMPTS",
    "NOTICE_KINDS",
    "STUCK_AFTER",
    "PlanResult",
    "Planned",
    "SendResult",
    "backoff",
    "calendar_feed_delete",
    "calendar_feed_reset",
    "deliveries_requeue_stuck",
    "deliveries_send",
    "digests_send",
    "notices_for_event",
    "notification_mark_read",
    "notifications_mark_all_read",
    "notifications_mark_task_read",
    "preference_phone_channels_set",
    "preference_set",
    "reminders_plan",
    "reminders_plan_chunks",
    "reminders_plan_tasks",
    "round_deadlines_plan",
    "round_published_notify",
    "zalo_token_current",
    "zalo_token_refresh",
]
