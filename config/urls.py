from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from org.api.views import UnitViewSet, UserViewSet
from plans.api.views import PlanViewSet
from tasks.api.views import EvidenceViewSet, ExtensionViewSet, TaskViewSet

router = DefaultRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("users", UserViewSet, basename="user")
router.register("plans", PlanViewSet, basename="plan")
router.register("tasks", TaskViewSet, basename="task")
router.register(r"tasks/(?P<task_pk>\d+)/evidence", EvidenceViewSet, basename="task-evidence")
router.register(r"tasks/(?P<task_pk>\d+)/extensions", ExtensionViewSet, basename="task-extension")

api_urls = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("api/", include(api_urls)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
