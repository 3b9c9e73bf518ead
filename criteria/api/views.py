"""Criteria-set API (SPEC §5): the list of sets, a set with its tree, importing a set from its file.

Thin: parse the request, ask who may act (403), call a service or a selector. The scores on a set are
actions of the same resource (`/api/criteria-sets/{id}/scores/`, …) added by `scoring.api.views`, whose
subclass of `CriteriaSetViewSet` is the one the router serves.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from criteria import permissions, selectors, services
from criteria.models import CriteriaSet
from org.models import Unit

from .serializers import (
    CriteriaSetDetailSerializer,
    CriteriaSetSerializer,
    CriteriaSetUploadSerializer,
    OwnerUnitSerializer,
)

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


#: The owner unit of a raw YAML upload (a multipart upload sends it as a form field beside the file).
OWNER_UNIT_PARAM = OpenApiParameter(
    "owner_unit",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description="Id of the issuing unit, overriding the file's `owner` (with a raw YAML body; a multipart "
    "upload may send it as a form field instead).",
)


@extend_schema(tags=["criteria-sets"])
class CriteriaSetViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Criteria sets (visible to every signed-in user; `permissions.can_manage_criteria_set` imports them:
    the admins and appraisers of the set's owner unit or above, a superuser for a set without owner)."""

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

    def _owner_unit(self, request) -> Unit | None:
        """The `owner_unit` sent with the upload (a form field, or the query string beside a raw body): a
        unit the user can see, else 400 {"owner_unit": [...]}; None when none is sent."""
        raw = request.data.get("owner_unit") if hasattr(request.data, "get") else None
        if raw in (None, ""):
            raw = request.query_params.get("owner_unit")
        if raw in (None, ""):
            return None
        reader = OwnerUnitSerializer(data={"owner_unit": raw}, context={"request": request})
        reader.is_valid(raise_exception=True)
        return reader.validated_data["owner_unit"]

    @extend_schema(
        parameters=[OWNER_UNIT_PARAM],
        request={
            "multipart/form-data": CriteriaSetUploadSerializer,
            "application/yaml": OpenApiTypes.BINARY,
        },
        responses={201: CriteriaSetDetailSerializer},
        description="Import a criteria set from its YAML file. Its owner unit is `owner_unit` when sent, "
        "else the unit the file's `owner` names; the set then scores the units of its kind below that unit. "
        "Only an admin or appraiser of the owner unit (or of a unit above it) imports it, and only a "
        "superuser a set without owner, which scores every unit of its kind (else 403, nothing written). "
        "An `owner_unit` that is no unit you can see is a 400 {'owner_unit': […]}. A wrong file is refused "
        "whole: 400 with {'file': ['criterion 1.2: …']} and nothing written.",
    )
    def create(self, request, *args, **kwargs):
        # Asked before reading the file; the service decides again, with the same predicates, once the
        # owner is known (the file may name it).
        if not permissions.may_import_criteria_sets(request.user):
            raise PermissionDenied(services.IMPORT_DENIED)
        owner = self._owner_unit(request)
        if owner is not None and not permissions.can_manage_criteria_set(request.user, owner):
            raise PermissionDenied(services.denied_message(owner))
        if isinstance(request.data, bytes):
            data = request.data
        else:
            data, _name = read_upload(request, CRITERIA_MAX_BYTES)
        if not data:
            raise ValidationError({"file": [_("Tệp rỗng.")]})
        cs = services.criteria_set_import(data=data, actor=request.user, owner_unit=owner)
        return Response(self._detail(cs), status=status.HTTP_201_CREATED)
