from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from config import views
from config.auth import TokenLogoutView, TokenView
from config.ops.metrics import metrics_view
from notifications.api.views import NotificationViewSet
from org.api.views import UnitViewSet, UserViewSet
from plans.api.views import PlanViewSet
from scoring.api.improvement import ImprovementPlanView
from scoring.api.views import CriteriaSetViewSet
from tasks.api.series import SeriesViewSet
from tasks.api.views import EvidenceViewSet, ExtensionViewSet, TaskViewSet

router = DefaultRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("users", UserViewSet, basename="user")
router.register("plans", PlanViewSet, basename="plan")
router.register("tasks", TaskViewSet, basename="task")
router.register(r"tasks/(?P<task_pk>\d+)/evidence", EvidenceViewSet, basename="task-evidence")
router.register(r"tasks/(?P<task_pk>\d+)/extensions", ExtensionViewSet, basename="task-extension")
router.register("series", SeriesViewSet, basename="series")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("criteria-sets", CriteriaSetViewSet, basename="criteria-set")

# The API documentation pages (drf-spectacular's Swagger UI and Redoc, served from the sidecar package) carry
# an inline script and style, and Redoc runs a worker from a blob: the site-wide policy (settings) allows
# that on these two pages only.
docs_csp = csp_update(
    {"script-src": [SELF, UNSAFE_INLINE], "style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}
)

api_urls = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/token/logout/", TokenLogoutView.as_view(), name="api-token-logout"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_csp(SpectacularSwaggerView.as_view(url_name="schema")), name="api-docs"),
    path("redoc/", docs_csp(SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"),
    # Under the units resource (org's), served by scoring: org imports nothing above it.
    path("units/<int:pk>/improvement-plan/", ImprovementPlanView.as_view(), name="unit-improvement-plan"),
    path("", include(router.urls)),
]

urlpatterns = [
    # Operations (config.ops): health probes without sign-in, metrics for allowed addresses or a token.
    path("health/", include("config.ops.health")),
    path("metrics", metrics_view, name="metrics"),
    path("api/", include(api_urls)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("notifications/", include("notifications.urls")),
    # Server-rendered pages.
    path("", views.home, name="home"),
    path("accounts/", include("org.urls")),
    path("plans/", include("tasks.plan_urls")),  # the plan pages show tasks: they live in tasks
    path("", include("tasks.urls")),
    path("", include("scoring.urls")),
]

handler403 = "config.views.error_403"
handler404 = "config.views.error_404"
handler500 = "config.views.error_500"
