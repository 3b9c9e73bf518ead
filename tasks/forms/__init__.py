"""Forms of the task pages. They only parse and check input; the services decide and write.

- `common`: what several forms share: `DateInput`, the unit picker (`unit_choices`) and the lead officials
  of a unit (`lead_choices`);
- `lists`: the filters of the task lists as the pages draw them (`dress_task_filters`, the deadline years);
- `task`: the task form (add a task to a plan, change one), and the rows of a received task's split into
  sub-tasks (`SplitFormSet`, `split_rows`);
- `evidence`: what the assignee unit reports: progress and evidence files;
- `comments`: a comment on the task page (ý kiến trao đổi);
- `decisions`: the reason a step asks for, the approval inbox's form, asking for and deciding a later due
  date;
- `series`: recurring series, and skipping one period of a series;
- `imports`: the XLSX upload of a plan's tasks.

Callers import the forms from here.
"""

from .comments import CommentForm
from .common import DateInput, lead_choices, unit_choices
from .decisions import ExtensionDecisionForm, ExtensionRequestForm, IdsField, InboxDecisionForm, ReasonForm
from .evidence import EvidenceForm, ProgressForm
from .imports import ImportForm
from .lists import PANEL_FILTERS, UNIT_SELECT_LIMIT, OneOfMany, dress_task_filters, year_choices
from .series import SeriesForm, SkipForm
from .task import ParentChoiceField, SplitFormSet, SplitRowForm, TaskForm, split_rows

__all__ = [
    "PANEL_FILTERS",
    "UNIT_SELECT_LIMIT",
    "CommentForm",
    "DateInput",
    "EvidenceForm",
    "ExtensionDecisionForm",
    "ExtensionRequestForm",
    "IdsField",
    "ImportForm",
    "InboxDecisionForm",
    "OneOfMany",
    "ParentChoiceField",
    "ProgressForm",
    "ReasonForm",
    "SeriesForm",
    "SkipForm",
    "SplitFormSet",
    "SplitRowForm",
    "TaskForm",
    "dress_task_filters",
    "lead_choices",
    "split_rows",
    "unit_choices",
    "year_choices",
]
