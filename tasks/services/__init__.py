"""Writes for tasks, by sub-domain. Every step takes the acting user, checks their right (403) and the state
(409), saves, appends to the history in the same transaction, and announces the change after commit.

- `crud`: adding and changing tasks, and the checks of what a task refers to (`validate_task_links`);
- `transitions`: the steps of the state machine (`TRANSITIONS` by action) and assigning a plan's drafts;
- `evidence`: what the assignee unit reports: progress and evidence files;
- `extensions`: asking for and deciding a later due date;
- `decisions`: a leader's decisions on many items at once (the approval inbox): approve or return tasks,
  decide extension requests, each by the single step's rule, refusals reported per item;
- `deadlines`: effective due dates, and refreshing them when the calendar changes;
- `imports`: a plan's tasks from an XLSX file;
- `cascade`: a task issued to many units (one copy each), and a received task split into sub-tasks;
- `recurrence`: recurring series (a template with a schedule, `tasks.schedule`) and the job creating their
  occurrences in bulk;
- `multi`: one task given to several units at once from the task form (a copy per unit);
- `bulk`: many tasks of a plan at once (`tasks_create_bulk`: the import, cascades, recurring series), every
  row checked in one pass, one history row per task and one outbox event per batch;
- `comments`: comments on a task (ý kiến trao đổi) and the `@mentions` in them;
- `common`: the row lock, the history row (`_log`), the announcement (`_announce`), `TaskTransitionError`.

Callers import the services from here. To patch one in a test, patch the module that defines and calls
it (e.g. `tasks.services.transitions._log`, `tasks.services.evidence._refresh_metric`): a name set on this
package changes nobody's globals.
"""

from .bulk import BulkResult, tasks_create_bulk
from .cascade import CascadeResult, can_split, task_cascade, task_split, tasks_cascade
from .comments import CommentAdded, task_comment_add
from .common import TaskTransitionError
from .crud import (
    ASSIGNEE_OUT_OF_REACH,
    EDITABLE_FIELDS,
    LEAD_NOT_MEMBER,
    SCORED_FIELDS,
    task_create,
    task_update,
    validate_task_links,
)
from .deadlines import effective_due_date, tasks_refresh_effective_due_dates
from .decisions import (
    BULK_MAX,
    Decisions,
    Refusal,
    extensions_decide_bulk,
    tasks_approve_bulk,
    tasks_return_bulk,
)
from .evidence import EVIDENCE_STATES, evidence_add, evidence_delete, task_report_progress
from .extensions import extension_decide, extension_request
from .imports import tasks_import_xlsx
from .multi import tasks_create_for_units
from .recurrence import (
    series_create,
    series_due_occurrences,
    series_generate_due,
    series_pause,
    series_skip,
    series_update,
)
from .transitions import (
    SCORED_ACTIONS,
    TRANSITIONS,
    task_approve,
    task_assign,
    task_cancel,
    task_reopen,
    task_return,
    task_start,
    task_submit,
    tasks_assign_drafts,
)

__all__ = [
    "ASSIGNEE_OUT_OF_REACH",
    "BULK_MAX",
    "Decisions",
    "Refusal",
    "extensions_decide_bulk",
    "tasks_approve_bulk",
    "tasks_return_bulk",
    "BulkResult",
    "CascadeResult",
    "CommentAdded",
    "can_split",
    "task_cascade",
    "tasks_cascade",
    "task_split",
    "EDITABLE_FIELDS",
    "EVIDENCE_STATES",
    "LEAD_NOT_MEMBER",
    "SCORED_ACTIONS",
    "SCORED_FIELDS",
    "TRANSITIONS",
    "TaskTransitionError",
    "effective_due_date",
    "evidence_add",
    "evidence_delete",
    "extension_decide",
    "extension_request",
    "series_create",
    "series_due_occurrences",
    "series_generate_due",
    "series_pause",
    "series_skip",
    "series_update",
    "task_approve",
    "task_assign",
    "task_cancel",
    "task_comment_add",
    "task_create",
    "task_reopen",
    "task_report_progress",
    "task_return",
    "task_start",
    "task_submit",
    "task_update",
    "tasks_assign_drafts",
    "tasks_create_bulk",
    "tasks_create_for_units",
    "tasks_import_xlsx",
    "tasks_refresh_effective_due_dates",
    "validate_task_links",
]
