from django.urls import path

from . import views

app_name = "scoring"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("ranking/", views.ranking, name="ranking"),
    path("ranking/<int:set_id>/units/<int:unit_id>/", views.unit_breakdown, name="breakdown"),
    path("appraisal/", views.appraisal_index, name="appraisal"),
    path("appraisal/<int:set_id>/survey/", views.survey_import, name="survey"),
    path("appraisal/<int:set_id>/survey/template.csv", views.survey_template, name="survey_template"),
    path("appraisal/<int:set_id>/units/<int:unit_id>/", views.appraisal_unit, name="appraisal_unit"),
]
