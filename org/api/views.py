from django.db import transaction
from django.db.models import Prefetch, Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.exceptions import PermissionDenied

from org import services
from org.models import Membership, Unit, User
from org.permissions import administered_units_q
from org.selectors import user_is_admin, users_visible_to

from .serializers import UnitSerializer, UserSerializer


class IsUnitAdmin(permissions.BasePermission):
    """Reads for every signed-in user (scoped); writes for administrators."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or user_is_admin(request.user)


class UnitViewSet(viewsets.ModelViewSet):
    serializer_class = UnitSerializer
    permission_classes = [permissions.IsAuthenticated, IsUnitAdmin]
    filterset_fields = {"kind": ["exact"], "parent": ["exact", "isnull"], "code": ["exact"]}
    search_fields = ["code", "name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return Unit.objects.visible_to(self.request.user).order_by("code")

    def perform_create(self, serializer):
        d = serializer.validated_data
        serializer.instance = services.unit_create(
            actor=self.request.user, code=d["code"], name=d["name"], kind=d["kind"], parent=d.get("parent")
        )

    def perform_update(self, serializer):
        serializer.instance = services.unit_update(
            actor=self.request.user, unit=serializer.instance, **serializer.validated_data
        )


@extend_schema(description="Administrators create users with their memberships.")
class UserViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = UserSerializer
    queryset = User.objects.none()  # for the schema; requests use get_queryset
    # Checked before the body is read: a non-admin gets 403, never field errors.
    permission_classes = [permissions.IsAuthenticated, IsUnitAdmin]
    filterset_fields = ["username"]

    def get_queryset(self):
        # An administrator lists the users holding a membership in the subtree they administer (SPEC §1);
        # anyone else, themselves. Memberships are shown only inside that subtree (and one's own): a listing
        # never tells where else a user works. One query for all of them.
        user = self.request.user
        shown = Membership.objects.all()
        if not user.is_superuser:  # (an empty Q() or'ed with another is that other: no shortcut here)
            shown = shown.filter(administered_units_q(user, "unit__") | Q(user_id=user.pk))
        return (
            users_visible_to(user)
            .order_by("username")
            .prefetch_related(Prefetch("memberships", queryset=shown.select_related("unit"), to_attr="shown"))
        )

    @transaction.atomic
    def perform_create(self, serializer):
        if not user_is_admin(self.request.user):
            raise PermissionDenied("Only administrators create users.")
        d = serializer.validated_data
        serializer.instance = services.user_create(
            actor=self.request.user,
            username=d["username"],
            password=d["password"],
            full_name=d.get("full_name", ""),
            email=d.get("email", ""),
            memberships=[(m["unit"], m["role"]) for m in d.get("memberships", [])],
        )
