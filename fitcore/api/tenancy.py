"""Tenant isolation, the product's first promise.

Three walls, each enough on its own for the common case:

1. ``TenantOwned.objects`` fails closed: a queryset that was never given a tenant
   raises when evaluated instead of returning every tenant's rows. The unscoped
   manager is called ``unscoped`` so every use of it is easy to find in review.
2. ``TenantScopedViewSet`` builds every queryset from the authenticated principal;
   subclasses narrow it through ``scope_queryset`` and cannot replace it.
3. ``ScopedRelatedField`` resolves foreign keys in payloads inside the caller's
   scope, so another tenant's id is "does not exist", like a missing one.

Ids, in paths, payloads and ``?user=``, are ASCII digits (``parse_object_id``): Python's
``int()``, and so every Django lookup, also reads fullwidth (U+FF11) or Arabic-Indic
(U+0661) digits as 1, which would give one object many names.

The isolation sweep test (fitcore/tests/test_isolation_sweep.py) checks all of it
route by route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from rest_framework import mixins, pagination, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from .models import TenantManager, TenantOwned, TenantQuerySet, TenantScopeError
from .principals import acts_for_tenant, is_api_key, principal_tenant
from .serializers import RowSerializer

__all__ = [
    "ScopedListSerializer",
    "ScopedRelatedField",
    "TenantManager",
    "TenantOwned",
    "TenantQuerySet",
    "TenantScopeError",
    "TenantScopedViewSet",
    "TenantUserField",
    "acting_user",
    "acts_for_tenant",
    "is_api_key",
    "owner_for_write",
    "parse_object_id",
    "principal_tenant",
    "tenant_queryset",
]

_M = TypeVar("_M", bound=models.Model)

if TYPE_CHECKING:
    from users.models import Tenant

# --- views ------------------------------------------------------------------------


class TenantScopedViewSet(viewsets.GenericViewSet):
    """The only way views reach tenant-owned rows.

    ``model`` names the table. ``owner_field`` names the FK to the end user who owns
    a row (``"user"``); set it to ``None`` for tenant-level resources (API keys).

    - A user's JWT sees the rows it owns (``owner_field=request.user``) in its tenant;
      so does a tenant admin's: the role manages users and keys, not members' private data.
    - An API key sees every row of its tenant, optionally narrowed by ``?user=<id>``.
    - Tenant-level resources (``owner_field=None``) show the whole tenant to anyone the
      view's permissions let in (e.g. IsTenantWide: API keys and tenant admins).

    Subclasses narrow with ``scope_queryset(qs)``; overriding ``get_queryset`` or
    ``get_object`` is refused when the class is created. A ``perform_create`` that
    calls a service passes it ``**self.scoped_save_kwargs()``.
    """

    model: ClassVar[type[models.Model]]
    owner_field: ClassVar[str | None] = "user"
    # True: a tenant admin's login sees the whole tenant's rows, like an API key (e.g. the
    # payments ledger); otherwise the role sees only its own, like any member.
    tenant_admins_see_tenant: ClassVar[bool] = False
    # Catalogue tables (foods, template meals): rows with no tenant are FitCore's and every
    # tenant reads them. The table's tenant column is nullable for that; views keep them
    # read-only (check_catalogue_write).
    global_rows: ClassVar[bool] = False
    # Rows of the tenant that every member reads though no member owns them, as a filter
    # (``{"is_template": True}``): a tenant's template meals and plans.
    tenant_shared: ClassVar[dict[str, Any] | None] = None
    # With ``global_rows``: an anonymous caller reads FitCore's rows only (the published
    # workout catalogue). The view's permissions decide whether anonymous callers get in.
    anonymous_reads_global: ClassVar[bool] = False
    # What the router lets through to get_object. Not \d+: that matches every Unicode digit.
    lookup_value_regex = "[1-9][0-9]*"
    _guarded = ("get_queryset", "get_object")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls._guarded:
            # The resolved attribute, not just this class's own: a mixin listed first could
            # otherwise bring in its own get_queryset.
            if getattr(cls, name) is not getattr(TenantScopedViewSet, name, None):
                raise TypeError(
                    f"{cls.__name__} overrides {name}(); narrow the queryset in scope_queryset() instead, "
                    "so tenant scoping cannot be bypassed."
                )
        # CreateModelMixin listed before this class would shadow our perform_create with
        # a bare serializer.save(): put the scoped one back.
        if cls.perform_create is mixins.CreateModelMixin.perform_create:
            cls.perform_create = TenantScopedViewSet.perform_create  # type: ignore[method-assign]
        if cls.perform_update is mixins.UpdateModelMixin.perform_update:
            cls.perform_update = TenantScopedViewSet.perform_update  # type: ignore[method-assign]
        # The list: rows straight from .values() when the list serializer is a RowSerializer.
        # A function of the class's own: schema decorators annotate it, and must not reach
        # another viewset's list through a shared function object.
        if getattr(cls, "list", None) is mixins.ListModelMixin.list:

            def list(self: TenantScopedViewSet, request: Any, *args: Any, **kwargs: Any) -> Response:
                return self.list_rows(request, *args, **kwargs)

            cls.list = list  # type: ignore[attr-defined]

    def list_rows(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        # ListModelMixin.list, with the fast path of RowSerializer (fitcore.api.serializers).
        serializer_class = self.get_serializer_class()
        if not (isinstance(serializer_class, type) and issubclass(serializer_class, RowSerializer)):
            return mixins.ListModelMixin.list(self, request, *args, **kwargs)  # type: ignore[arg-type]
        plan = serializer_class.row_plan()
        # get_queryset() keeps the principal's tenant's rows only: tenant.* fields come from it.
        anonymous = not getattr(request.user, "is_authenticated", False)  # anonymous_reads_global
        tenant = None if anonymous else principal_tenant(request)
        queryset = self.filter_queryset(self.get_queryset())
        columns = plan.columns if anonymous else plan.scoped_columns
        if isinstance(self.paginator, pagination.CursorPagination):
            # The cursor is built from the last row's ordering values: fetch them too.
            ordering = [name.lstrip("-") for name in self.paginator.get_ordering(request, queryset, self)]
            columns = (*columns, *(name for name in ordering if name not in columns))
        rows = queryset.values(*columns)
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(plan.render_many(rows, tenant))
        return self.get_paginated_response(plan.render_many(page, tenant))

    def scope_queryset(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """Hook: filter, annotate and select_related here. The tenant filter is already applied."""
        return queryset

    def get_queryset(self) -> models.QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no principal
            return self.model._default_manager.none()
        request = self.request
        if self.global_rows and self.anonymous_reads_global and not getattr(request.user, "is_authenticated", False):
            return self.scope_queryset(self.model._default_manager.filter(tenant__isnull=True))
        if self.global_rows or self.tenant_shared:
            return self.scope_queryset(self._catalogue_queryset())
        queryset = tenant_queryset(self.model, principal_tenant(request))
        if self.owner_field is not None:
            if not (is_api_key(request) or (self.tenant_admins_see_tenant and acts_for_tenant(request))):
                queryset = queryset.filter(**{self.owner_field: request.user})
            # For a user's login too, so one list answers every caller alike: a malformed id is a
            # 400, and another user's id narrows a user's own rows to none.
            user_id = request.query_params.get("user")
            if user_id is not None:
                queryset = queryset.filter(**{f"{self.owner_field}_id": _parse_id(user_id, "user")})
        return self.scope_queryset(queryset)

    def _catalogue_queryset(self) -> models.QuerySet[Any]:
        # The caller's own rows as above, or'ed with the tenant's shared rows and FitCore's.
        # ``?user=`` narrows the owned part: an API key then sees what that user sees.
        request = self.request
        tenant = principal_tenant(request)
        owned = Q(tenant=tenant)
        if self.owner_field is not None:
            if not (is_api_key(request) or (self.tenant_admins_see_tenant and acts_for_tenant(request))):
                owned &= Q(**{self.owner_field: request.user})
            user_id = request.query_params.get("user")
            if user_id is not None:
                owned &= Q(**{f"{self.owner_field}_id": _parse_id(user_id, "user")})
        visible = owned
        if self.tenant_shared:
            visible |= Q(tenant=tenant, **self.tenant_shared)
        if self.global_rows:
            visible |= Q(tenant__isnull=True)
        return self.model._default_manager.filter(visible)

    def get_object(self) -> Any:
        queryset = self.filter_queryset(self.get_queryset())
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field
        value = self.kwargs[lookup_url_kwarg]
        if _is_integer_key(self.model, self.lookup_field):
            # Also when a subclass widens lookup_value_regex, or a view is called without the router.
            value = parse_object_id(value)
            if value is None:
                raise NotFound()
        try:
            obj = queryset.get(**{self.lookup_field: value})
        except (ObjectDoesNotExist, ValueError, TypeError):
            # Same answer for "missing" and "another tenant's": existence never leaks.
            raise NotFound() from None
        self.check_object_permissions(self.request, obj)
        return obj

    def scoped_save_kwargs(self) -> dict[str, Any]:
        """``tenant`` and the owner come from the principal, never from the body.

        An API key names the owner in the payload through a ``TenantUserField``, which
        only accepts users of its tenant; a user's login always writes its own rows.
        """
        kwargs: dict[str, Any] = {"tenant": principal_tenant(self.request)}
        if self.owner_field is not None and not is_api_key(self.request):
            kwargs[self.owner_field] = self.request.user
        return kwargs

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        kwargs = self.scoped_save_kwargs()
        owner = self.owner_field
        if owner is not None and owner not in kwargs and serializer.validated_data.get(owner) is None:
            raise ValidationError({owner: ["Name the user this belongs to."]}, code="required")
        serializer.save(**kwargs)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        # Same rule as create: a user's login cannot hand its row to someone else.
        kwargs = self.scoped_save_kwargs()
        kwargs.pop("tenant")  # a row never changes tenant
        serializer.save(**kwargs)


_MAX_ID = 2**63 - 1  # PostgreSQL's bigint
_MAX_ID_DIGITS = len(str(_MAX_ID))


def parse_object_id(value: object) -> int | None:
    """``value`` as a row id, or None if it cannot be one.

    An id is a JSON integer that is not a boolean, or a string of ASCII digits without a
    leading zero, in 1..2**63-1: one spelling per id. ``int()`` alone would also take any
    Unicode decimal digit (fullwidth, Arabic-Indic, Devanagari...), signs, spaces,
    underscores, ``007`` and floats' truncation (1.5 -> 1).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and not value.startswith("0")
        and len(value) <= _MAX_ID_DIGITS
    ):
        number = int(value)
    else:
        return None
    return number if 0 < number <= _MAX_ID else None


def _is_integer_key(model: type[models.Model], lookup_field: str) -> bool:
    """Whether ``lookup_field`` of ``model`` holds integer ids (through a foreign key to one, too)."""
    field: Any
    try:
        field = model._meta.pk if lookup_field == "pk" else model._meta.get_field(lookup_field)
    except FieldDoesNotExist:
        return False
    while getattr(field, "target_field", None) is not None and field.target_field is not field:
        field = field.target_field
    return isinstance(field, models.IntegerField)


def _parse_id(value: str, field: str) -> int:
    number = parse_object_id(value)
    if number is None:
        raise ValidationError({field: ["Expected a positive whole number id."]}, code="invalid")
    return number


def acting_user(request: Any, value: object = None) -> Any:
    """The end user a request is about: a user's login is itself; an API key names one of its
    tenant's active users (``value``, else ``?user=``), and must.

    A missing or malformed id is a 400 on ``user``; an id outside the caller's reach (another
    tenant's user, or another user than a login's own) is a 404, like any unseen object.
    """
    from django.contrib.auth import get_user_model

    raw = request.query_params.get("user") if value is None else value
    if not is_api_key(request):
        if raw is not None and _parse_id(str(raw), "user") != request.user.pk:
            raise NotFound()
        return request.user
    if raw is None:
        raise ValidationError({"user": ["API keys name the user: ?user=<id>."]}, code="required")
    number = _parse_id(str(raw), "user")
    user = (
        get_user_model()
        ._default_manager.filter(tenant=principal_tenant(request), is_active=True, pk=number)
        .select_related("tenant")
        .first()
    )
    if user is None:
        raise NotFound()
    return user


def owner_for_write(request: Any, named: Any) -> Any:
    """The user a new row belongs to: a login's own; an API key must name one (``user``, a
    ``TenantUserField``, so one of its tenant's active users)."""
    if not is_api_key(request):
        return request.user
    if named is None:
        raise ValidationError({"user": ["Name the user this belongs to."]}, code="required")
    return named


def tenant_queryset(model: type[_M], tenant: Tenant) -> models.QuerySet[_M]:
    """Rows of ``model`` belonging to ``tenant``, for tenant-owned tables and for ``User``."""
    manager = model._default_manager
    objects = getattr(model, "objects", manager)
    if hasattr(objects, "for_tenant"):
        return objects.for_tenant(tenant)
    return manager.filter(tenant=tenant)


# --- serializer fields -------------------------------------------------------------


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key in a payload, resolved only inside the caller's scope.

    ``ScopedRelatedField(model=MealPlan)`` accepts ids of the caller's tenant; with
    ``owner_field``, a user's login may only name its own rows (an API key, acting for
    the whole tenant, any of the tenant's). Another tenant's id fails exactly like a
    missing one.
    """

    def __init__(
        self,
        *,
        model: type[models.Model],
        owner_field: str | None = None,
        global_rows: bool = False,
        tenant_shared: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.scoped_model = model
        self.scoped_owner_field = owner_field
        # As on TenantScopedViewSet: FitCore's rows (no tenant) and the tenant's shared ones
        # may be named too (a global food in a meal, a tenant's template meal in a plan).
        self.global_rows = global_rows
        self.tenant_shared = tenant_shared
        kwargs.setdefault("queryset", model._default_manager.none())  # replaced per request
        super().__init__(**kwargs)

    # Rows preloaded by ScopedListSerializer for a whole list of items: id -> row.
    _bulk: dict[Any, Any] | None = None

    def to_internal_value(self, data: Any) -> Any:
        if _is_integer_key(self.scoped_model, "pk"):
            number = parse_object_id(data)
            if number is None:
                if isinstance(data, str | int) and not isinstance(data, bool):
                    self.fail("does_not_exist", pk_value=data)
                self.fail("incorrect_type", data_type=type(data).__name__)
            data = number
        if self._bulk is not None:
            row = self._bulk.get(data)
            if row is None:
                self.fail("does_not_exist", pk_value=data)
            return row
        return super().to_internal_value(data)

    def get_queryset(self) -> models.QuerySet[Any]:
        request = self.context.get("request")
        if request is None or not getattr(request.user, "is_authenticated", False):
            return self.scoped_model._default_manager.none()
        tenant = principal_tenant(request)
        if self.global_rows or self.tenant_shared:
            owned = Q(tenant=tenant)
            if self.scoped_owner_field is not None and not is_api_key(request):
                owned &= Q(**{self.scoped_owner_field: request.user})
            if self.tenant_shared:
                owned |= Q(tenant=tenant, **self.tenant_shared)
            if self.global_rows:
                owned |= Q(tenant__isnull=True)
            return self.scoped_model._default_manager.filter(owned)
        queryset = tenant_queryset(self.scoped_model, tenant)
        if self.scoped_owner_field is not None and not is_api_key(request):
            queryset = queryset.filter(**{self.scoped_owner_field: request.user})
        return queryset


class ScopedListSerializer(serializers.ListSerializer):
    """A list of items whose ``ScopedRelatedField``s are resolved in one query per field.

    Without it, each item's foreign key is its own query (a 50-item meal, 100 queries). The
    rows come from the fields' own scoped querysets, so what an item may name is unchanged.
    Use it with ``class Meta: list_serializer_class = ScopedListSerializer`` on the item serializer.
    """

    def to_internal_value(self, data: Any) -> Any:
        fields = [
            (name, field)
            for name, field in self.child.fields.items()  # type: ignore[union-attr]
            if isinstance(field, ScopedRelatedField) and not field.read_only
        ]
        if isinstance(data, list):
            for name, field in fields:
                ids = {parse_object_id(item.get(name)) for item in data if isinstance(item, dict)} - {None}
                field._bulk = field.get_queryset().in_bulk(list(ids)) if ids else {}
        try:
            return super().to_internal_value(data)
        finally:
            for _, field in fields:
                field._bulk = None


class TenantUserField(ScopedRelatedField):
    """Names the end user a row belongs to: for an API key, any active user of its
    tenant; for a user's login, only itself (the view then sets the owner anyway)."""

    def __init__(self, **kwargs: Any) -> None:
        from django.contrib.auth import get_user_model

        super().__init__(model=get_user_model(), **kwargs)

    def get_queryset(self) -> models.QuerySet[Any]:
        request = self.context.get("request")
        if request is None or not getattr(request.user, "is_authenticated", False):
            return self.scoped_model._default_manager.none()
        users = self.scoped_model._default_manager.filter(tenant=principal_tenant(request), is_active=True)
        return users if is_api_key(request) else users.filter(pk=request.user.pk)
