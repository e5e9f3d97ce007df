"""Abstract models every app builds on. No DRF imports here: models load before the API layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from django.db import models

if TYPE_CHECKING:
    from users.models import Tenant


class BaseModel(models.Model):
    """Every table gets creation and modification times (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


_M = TypeVar("_M", bound=models.Model)


class TenantScopeError(RuntimeError):
    """A tenant-owned table was queried without saying whose rows; a bug, never a user error."""


class TenantQuerySet(models.QuerySet[_M], Generic[_M]):
    """Fails closed: evaluating it without ``for_tenant()`` raises ``TenantScopeError``.

    The tenant it was scoped to travels with every clone, and combining two querysets
    (``|``, ``&``, ``^``, ``union()``…) requires both to be scoped to the same tenant.
    """

    _scoped_tenant_id: int | None = None

    def for_tenant(self, tenant: Tenant | int) -> TenantQuerySet[_M]:
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        if tenant_id is None:
            raise TenantScopeError("for_tenant() needs a saved tenant")
        if self._scoped_tenant_id not in (None, tenant_id):
            raise TenantScopeError("this queryset is already scoped to another tenant")
        qs = self.filter(tenant_id=tenant_id)
        qs._scoped_tenant_id = tenant_id
        return qs

    def _clone(self) -> Any:
        clone = super()._clone()  # type: ignore[misc]
        clone._scoped_tenant_id = self._scoped_tenant_id
        return clone

    def _same_tenant(self, *others: Any) -> None:
        for other in others:
            if self._scoped_tenant_id is None or getattr(other, "_scoped_tenant_id", None) != self._scoped_tenant_id:
                raise TenantScopeError("combined querysets must be scoped to one and the same tenant")

    def __or__(self, other: Any) -> Any:
        self._same_tenant(other)
        return super().__or__(other)

    def __and__(self, other: Any) -> Any:
        self._same_tenant(other)
        return super().__and__(other)

    def __xor__(self, other: Any) -> Any:
        self._same_tenant(other)
        return super().__xor__(other)

    def _combinator_query(self, combinator: str, *other_qs: Any, all: bool = False) -> Any:
        self._same_tenant(*other_qs)
        return super()._combinator_query(combinator, *other_qs, all=all)  # type: ignore[misc]

    def raw(self, *args: Any, **kwargs: Any) -> Any:
        raise TenantScopeError(f"raw SQL bypasses tenant scoping; use {self.model.__name__}.unscoped.raw()")

    def _require_scope(self) -> None:
        if self._scoped_tenant_id is None and not self.query.is_empty():
            raise TenantScopeError(
                f"{self.model.__name__}.objects was queried without for_tenant(); "
                f"use for_tenant(), or {self.model.__name__}.unscoped where crossing tenants is intended."
            )

    # Every way a queryset reaches the database goes through one of these.
    def _fetch_all(self) -> None:
        self._require_scope()
        super()._fetch_all()

    def iterator(self, *args: Any, **kwargs: Any) -> Any:
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        self._require_scope()
        return super().count()

    def exists(self) -> bool:
        self._require_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._require_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._require_scope()
        return super().delete()

    def in_bulk(self, *args: Any, **kwargs: Any) -> Any:
        self._require_scope()
        return super().in_bulk(*args, **kwargs)


class TenantManager(models.Manager[_M], Generic[_M]):
    def get_queryset(self) -> TenantQuerySet[_M]:
        return TenantQuerySet(self.model, using=self._db)

    def for_tenant(self, tenant: Tenant | int) -> TenantQuerySet[_M]:
        return self.get_queryset().for_tenant(tenant)


class TenantOwned(BaseModel):
    """Base of every tenant-owned table: an indexed, non-null ``tenant``.

    Keep ``tenant`` in every unique constraint of a subclass, so the schema can be
    distributed by tenant later (architecture.md, "Scaling past one machine").
    """

    # PROTECT: a tenant's data is removed on purpose (offboarding), never by a stray delete.
    tenant = models.ForeignKey("users.Tenant", on_delete=models.PROTECT, related_name="+", db_index=True)

    # Declared first, so it is the default manager: admin, migrations, related-object
    # access (already scoped by its parent row) and uniqueness validation use it.
    unscoped = models.Manager()
    objects: ClassVar[TenantManager[Any]] = TenantManager()

    class Meta:
        abstract = True
