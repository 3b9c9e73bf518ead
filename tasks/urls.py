from django.urls import path, re_path

from .views import calendar, cascade, comments, detail, edit, evidence, extensions, inbox, lists, series

app_name = "tasks"

urlpatterns = [
    path("my-tasks/", lists.my_tasks, name="mine"),
    path("my-tasks/export.xlsx", lists.my_tasks_export, name="mine_export"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("tasks/", lists.all_tasks, name="list"),
    path("tasks/export.xlsx", lists.all_tasks_export, name="list_export"),
    path("calendar/", calendar.task_calendar, name="calendar"),
    path("tasks/lead-options/", edit.lead_options, name="lead_options"),
    path("tasks/<int:pk>/", detail.task_detail, name="detail"),
    path("tasks/<int:pk>/edit/", edit.task_edit, name="edit"),
    path("tasks/<int:pk>/cascade/", cascade.task_cascade, name="cascade"),
    path("tasks/<int:pk>/split/", edit.task_split, name="split"),
    path("tasks/<int:pk>/progress/", detail.task_progress, name="progress"),
    path("tasks/<int:pk>/evidence/", evidence.evidence_upload, name="evidence_upload"),
    path("tasks/<int:pk>/evidence/<int:eid>/download/", evidence.evidence_download, name="evidence_download"),
    path("tasks/<int:pk>/evidence/<int:eid>/delete/", evidence.evidence_delete, name="evidence_delete"),
    path("tasks/<int:pk>/comments/", comments.comment_add, name="comment_add"),
    path("tasks/<int:pk>/extensions/", extensions.extension_request, name="extension_request"),
    path("tasks/<int:pk>/extensions/<int:xid>/decide/", extensions.extension_decide, name="extension_decide"),
    re_path(
        r"^tasks/(?P<pk>[0-9]+)/(?P<action>assign|start|submit|approve|return|cancel|reopen)/$",
        detail.task_transition,
        name="transition",
    ),
    path("plans/<int:plan_pk>/tasks/new/", edit.task_create, name="create"),
    path("series/<int:pk>/", series.series_detail, name="series_detail"),
    path("series/<int:pk>/pause/", series.series_pause, {"paused": True}, name="series_pause"),
    path("series/<int:pk>/resume/", series.series_pause, {"paused": False}, name="series_resume"),
    path("series/<int:pk>/skip/", series.series_skip, name="series_skip"),
]
