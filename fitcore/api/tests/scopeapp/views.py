from typing import Any

from rest_framework import mixins, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fitcore.api.pagination import CursorPagination
from fitcore.api.serializers import RowSerializer
from fitcore.api.tenancy import ScopedRelatedField, TenantScopedViewSet, TenantUserField

from .models import Note


class NoteSerializer(serializers.ModelSerializer):
    reply_to = ScopedRelatedField(model=Note, owner_field="user", required=False, allow_null=True)
    user = TenantUserField(required=False)

    class Meta:
        model = Note
        fields = ["id", "title", "reply_to", "user"]


class NoteViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    model = Note
    serializer_class = NoteSerializer
    scope_area = "users"

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("user")


class NoteRowSerializer(RowSerializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    tenant = serializers.CharField(source="tenant.slug", read_only=True)


class NoteStreamViewSet(mixins.ListModelMixin, TenantScopedViewSet):
    """The notes as a time-ordered stream: rows from .values(), cursor pagination."""

    model = Note
    serializer_class = NoteRowSerializer
    pagination_class = CursorPagination
    scope_area = "users"


class LeakyNoteListView(APIView):
    """Deliberately unscoped: what the isolation sweep exists to catch."""

    scope_area = "users"

    def get(self, request: Request) -> Response:
        return Response([{"id": n.pk, "title": n.title} for n in Note.unscoped.all()])


class PublicLeakView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"titles": list(Note.unscoped.values_list("title", flat=True))})


class NoScopeAreaView(APIView):
    """Names no scope_area: the default permission must keep API keys out."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})
