from django.urls import path, re_path

from . import views

app_name = "tasks"

urlpatterns = [
    path("my-tasks/", views.my_tasks, name="mine"),
    path("tasks/", views.all_tasks, name="list"),
    path("tasks/lead-options/", views.lead_options, name="lead_options"),
    path("tasks/<int:pk>/", views.task_detail, name="detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="edit"),
    path("tasks/<int:pk>/progress/", views.task_progress, name="progress"),
    path("tasks/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("tasks/<int:pk>/evidence/<int:eid>/download/", views.evidence_download, name="evidence_download"),
    path("tasks/<int:pk>/evidence/<int:eid>/delete/", views.evidence_delete, name="evidence_delete"),
    path("tasks/<int:pk>/extensions/", views.extension_request, name="extension_request"),
    path("tasks/<int:pk>/extensions/<int:xid>/decide/", views.extension_decide, name="extension_decide"),
    re_path(
        r"^tasks/(?P<pk>[0-9]+)/(?P<action>assign|start|submit|approve|return|cancel|reopen)/$",
        views.task_transition,
        name="transition",
    ),
    # Plan pages that show tasks (plans may not import tasks).
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_pk>/tasks/new/", views.task_create, name="create"),
    path("plans/<int:pk>/assign-drafts/", views.plan_assign_drafts, name="assign_drafts"),
    path("plans/<int:pk>/import/", views.plan_import, name="import"),
    path("plans/<int:pk>/import/template.xlsx", views.plan_import_template, name="import_template"),
    path("plans/<int:pk>/export.xlsx", views.plan_export, name="export"),
]
