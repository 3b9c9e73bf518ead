"""The site's urls without scoring's pages: a round notice's link falls back to the home page."""

from config.urls import urlpatterns as site

urlpatterns = [p for p in site if getattr(p, "namespace", None) != "scoring"]
