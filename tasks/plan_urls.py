"""The plan pages, under /plans/ (namespace `plans`). They live in tasks (`tasks.views.plans`) because
they show tasks, and plans may not import tasks."""

from django.urls import path

from .views import plans

app_name = "plans"

urlpatterns = [
    path("", plans.plan_list, name="list"),
    path("new/", plans.plan_create, name="create"),
    path("<int:pk>/", plans.plan_detail, name="detail"),
    path("<int:pk>/edit/", plans.plan_edit, name="edit"),
    path("<int:pk>/issue/", plans.plan_transition, {"action": "issue"}, name="issue"),
    path("<int:pk>/close/", plans.plan_transition, {"action": "close"}, name="close"),
    path("<int:pk>/assign-drafts/", plans.plan_assign_drafts, name="assign_drafts"),
    path("<int:pk>/import/", plans.plan_import, name="import"),
    path("<int:pk>/import/template.xlsx", plans.plan_import_template, name="import_template"),
    path("<int:pk>/export.xlsx", plans.plan_export, name="export"),
    path("<int:pk>/report.pdf", plans.plan_report_pdf, name="report_pdf"),
]
