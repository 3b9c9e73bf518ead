"""django-prometheus's request metrics, hardened: its PrometheusAfterMiddleware reads Content-Length with a
bare int() and answers a malformed one ("lots") with a 500; here such a body counts as empty, as Django
itself reads it (config.middleware.RequestBodyLimitMiddleware does the same)."""

from __future__ import annotations

from django_prometheus import middleware
from django_prometheus.utils import Time


def _declared_length(request) -> int:
    try:
        return max(0, int(request.headers.get("content-length") or 0))
    except ValueError:
        return 0


class PrometheusAfterMiddleware(middleware.PrometheusAfterMiddleware):
    def process_request(self, request):
        # The package's process_request, with the length read safely.
        method = self._method(request)
        self.label_metric(self.metrics.requests_by_method, request, method=method).inc()
        transport = self._transport(request)
        self.label_metric(self.metrics.requests_by_transport, request, transport=transport).inc()
        if request.headers.get("x-requested-with") == "XMLHttpRequest":
            self.label_metric(self.metrics.requests_ajax, request).inc()
        self.label_metric(self.metrics.requests_body_bytes, request).observe(_declared_length(request))
        request.prometheus_after_middleware_event = Time()
