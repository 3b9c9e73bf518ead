from django.urls import path

from .views import appraisal, breakdown, dashboard, ranking, self_assessment, survey
from .views import round as round_views

app_name = "scoring"

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("ranking/", ranking.ranking, name="ranking"),
    path("ranking/report.pdf", ranking.ranking_pdf, name="ranking_pdf"),
    path("ranking/<int:set_id>/units/<int:unit_id>/", breakdown.unit_breakdown, name="breakdown"),
    path(
        "ranking/<int:set_id>/units/<int:unit_id>/report.pdf",
        breakdown.unit_breakdown_pdf,
        name="breakdown_pdf",
    ),
    path("ranking/<int:set_id>/published/<int:version>.xlsx", ranking.published_xlsx, name="published_xlsx"),
    path("ranking/<int:set_id>/published/<int:version>.pdf", ranking.published_pdf, name="published_pdf"),
    path("appraisal/", appraisal.appraisal_index, name="appraisal"),
    path("appraisal/<int:set_id>/survey/", survey.survey_import, name="survey"),
    path("appraisal/<int:set_id>/survey/template.csv", survey.survey_template, name="survey_template"),
    path("appraisal/<int:set_id>/units/<int:unit_id>/", appraisal.appraisal_unit, name="appraisal_unit"),
    # The assessment round (SPEC §3a): the round of a set, a unit's self-assessment, its evidence files.
    path("round/<int:set_id>/", round_views.round_page, name="round"),
    path("round/<int:set_id>/units/<int:unit_id>/", self_assessment.self_assessment, name="self_assessment"),
    path("round/evidence/<int:evidence_id>/", self_assessment.criterion_evidence, name="criterion_evidence"),
]
