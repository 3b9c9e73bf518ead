from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_create, name="create"),
    path("<int:pk>/edit/", views.plan_edit, name="edit"),
    path("<int:pk>/issue/", views.plan_transition, {"action": "issue"}, name="issue"),
    path("<int:pk>/close/", views.plan_transition, {"action": "close"}, name="close"),
]
