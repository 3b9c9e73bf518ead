"""Server-rendered pages of tasks, and the plan pages (they show tasks; plans may not import tasks). Thin:
reads start from `visible_to(user)`, writes go through the services, which decide who may act; a page only
asks `tasks.permissions` and `plans.permissions` what to offer. A task or plan the user cannot see answers
404; an action they may not take answers 403.

- `lists`: "Việc của tôi" and every task, with the filters (`tasks.filters`) and tabs;
- `detail`: the task page, its steps and progress, and what every form on it shares;
- `evidence`: upload, download and delete evidence;
- `extensions`: ask for a later due date, decide on it;
- `calendar`: the month calendar of deadlines (the grid itself is `tasks.month`, pure);
- `comments`: write a comment (ý kiến trao đổi) with `@mentions`, into the task's timeline;
- `inbox`: the approval inbox (a leader's landing page): submitted tasks and extension requests waiting
  for the user, decided in bulk or row by row through `tasks.services.decisions`;
- `edit`: the task form (add a task to a plan, change one) and the lead options it loads;
- `plans`: every plan page: the list, create, edit, issue and close, the plan page, the XLSX import and
  export, assigning the drafts; URLs in `tasks/plan_urls.py` (namespace `plans`);
- `common`: reading the task or plan a URL names, the errors a service raises.

Templates: `tasks/templates/tasks/` for the task pages, `tasks/templates/plans/` for the plan pages."""
