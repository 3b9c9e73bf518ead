"""Criteria-set API (SPEC §5): the list of sets, a set with its tree, importing a set from its file.

Thin: parse the request, ask who may act (403), call a service or a selector. The scores on a set are
actions of the same resource (`/api/criteria-sets/{id}/scores/`, …) added by `scoring.api.views`, whose
subclass of `CriteriaSetViewSet` is the one the router serves.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from criteria import permissions, selectors, services
from criteria.models import CriteriaSet

from .serializers import CriteriaSetDetailSerializer, CriteriaSetSerializer, FileUploadSerializer

#: Criteria files are small (the parser refuses more than 1 MB).
CRITERIA_MAX_BYTES = 1_000_000


class YAMLParser(parsers.BaseParser):
    """A criteria-set file sent as the raw request body; the service reads and checks it."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(CRITERIA_MAX_BYTES + 1) if stream is not None else b""


class XYAMLParser(YAMLParser):
    media_type = "application/x-yaml"


class TextYAMLParser(YAMLParser):
    media_type = "text/yaml"


def read_upload(request, limit: int) -> tuple[bytes, str]:
    """The bytes (at most `limit` + 1, so that the reader can tell a file that is too big) and the name of
    the file sent in the multipart field `file`; a ValidationError when there is none."""
    upload = request.data.get("file") if hasattr(request.data, "get") else None
    if upload is None or not hasattr(upload, "read"):
        raise ValidationError({"file": [_("Tải tệp lên ở trường 'file'.")]})
    return upload.read(limit + 1), getattr(upload, "name", "") or ""


@extend_schema(tags=["criteria-sets"])
class CriteriaSetViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Criteria sets (visible to every signed-in user; `permissions.can_manage_criteria_set` imports them:
    today a superuser, as a new set has no owner unit)."""

    queryset = CriteriaSet.objects.none()
    filter_backends: list = []
    lookup_value_regex = r"\d+"
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, YAMLParser, XYAMLParser, TextYAMLParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CriteriaSet.objects.none()
        return selectors.criteria_set_list()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CriteriaSetDetailSerializer
        return CriteriaSetSerializer

    def _detail(self, cs: CriteriaSet) -> dict:
        tree = selectors.criteria_tree(criteria_set=cs)
        return CriteriaSetDetailSerializer(cs, context={"request": self.request, "tree": tree}).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._detail(self.get_object()))

    @extend_schema(
        request={
            "multipart/form-data": FileUploadSerializer,
            "application/yaml": OpenApiTypes.BINARY,
        },
        responses={201: CriteriaSetDetailSerializer},
        description="Import a criteria set from its YAML file. A set without an owner unit scores every "
        "unit of its kind, so only a superuser imports one (else 403, nothing written). A wrong file is "
        "refused whole: 400 with {'file': ['criterion 1.2: …']} and nothing written.",
    )
    def create(self, request, *args, **kwargs):
        # Asked before reading the upload; the service decides again, with the same predicate.
        if not permissions.can_manage_criteria_set(request.user, None):
            raise PermissionDenied(services.CRITERIA_SET_DENIED)
        if isinstance(request.data, bytes):
            data = request.data
        else:
            data, _name = read_upload(request, CRITERIA_MAX_BYTES)
        if not data:
            raise ValidationError({"file": [_("Tệp rỗng.")]})
        cs = services.criteria_set_import(data=data, actor=request.user)
        return Response(self._detail(cs), status=status.HTTP_201_CREATED)
