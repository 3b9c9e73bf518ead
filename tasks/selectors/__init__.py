"""Reads for tasks. Everything a user is shown starts from `Task.objects.visible_to(user)`.

- `lists`: the task lists: `task_list`, the user's own work (`my_tasks_q`, `my_task_list`), the tasks
  awaiting their approval (`awaiting_my_approval_q`, with the plan ids read first: `PLAN_IDS_INLINE_MAX`),
  the tabs (`BUCKETS`, `bucket_q`, `bucket_counts`) and the deadline year (`year_q`);
- `tone`: the tone of a task (due soon, overdue, done on time …): `due_soon_until`, `task_tone` and its
  SQL twin `with_tone`;
- `sorting`: the sortable columns of the task lists (`TASK_SORT_KEYS`, `TaskSort`, `sorted_tasks`);
- `progress`: the SPEC §2 tally (`StatusCounts`), a plan's by assignee unit (`plan_progress_by_unit`);
- `calendar`: the deadline calendar's tasks (`tasks_due_between`);
- `timeline`: a task's history and comments as one list, and who may be mentioned in its comments;
- `inbox`: the approval inbox: submitted tasks and extension requests waiting for the user's decision.

Callers import the selectors from here. To patch one in a test, patch the module that defines and reads
it (e.g. `tasks.selectors.lists.PLAN_IDS_INLINE_MAX`): a name set on this package changes nobody's globals.
"""

from .calendar import tasks_due_between
from .inbox import (
    ALL_PLANS,
    INBOX_SORTS,
    InboxItem,
    awaiting_my_approval_tasks,
    awaiting_my_decision_extensions,
    inbox_count,
    inbox_items,
    inbox_rows,
)
from .lists import (
    BUCKETS,
    PLAN_IDS_INLINE_MAX,
    awaiting_my_approval_q,
    bucket_counts,
    bucket_q,
    my_task_list,
    my_tasks_q,
    task_list,
    year_q,
)
from .progress import COUNTED_STATUSES, StatusCounts, UnitStatusCounts, plan_progress_by_unit, progress_totals
from .sorting import TASK_SORT_KEYS, TaskSort, default_task_sort, sorted_tasks, task_sort
from .timeline import TimelineEntry, task_timeline, task_viewers_named, timeline_entries
from .tone import due_soon_until, task_tone, with_tone

__all__ = [
    "ALL_PLANS",
    "BUCKETS",
    "COUNTED_STATUSES",
    "INBOX_SORTS",
    "PLAN_IDS_INLINE_MAX",
    "TASK_SORT_KEYS",
    "InboxItem",
    "StatusCounts",
    "TaskSort",
    "TimelineEntry",
    "UnitStatusCounts",
    "awaiting_my_approval_q",
    "awaiting_my_approval_tasks",
    "awaiting_my_decision_extensions",
    "bucket_counts",
    "bucket_q",
    "default_task_sort",
    "due_soon_until",
    "inbox_count",
    "inbox_items",
    "inbox_rows",
    "my_task_list",
    "my_tasks_q",
    "plan_progress_by_unit",
    "progress_totals",
    "sorted_tasks",
    "task_list",
    "task_sort",
    "task_timeline",
    "task_tone",
    "task_viewers_named",
    "tasks_due_between",
    "timeline_entries",
    "with_tone",
    "year_q",
]
