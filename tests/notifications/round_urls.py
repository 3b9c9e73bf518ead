"""The site's urls with stand-ins for scoring's round pages (`scoring:self_assessment`, `scoring:ranking`
with the set's id), until the lead's pages land: the first `scoring` namespace wins when reversing."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as site


def _page(request, **kwargs):
    return HttpResponse("round page")


round_pages = (
    [
        path("<int:set_id>/units/<int:unit_id>/self-assessment/", _page, name="self_assessment"),
        path("ranking/<int:set_id>/", _page, name="ranking"),
    ],
    "scoring",
)

urlpatterns = [path("round-stub/", include(round_pages)), *site]
