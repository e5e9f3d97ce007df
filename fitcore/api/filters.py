"""Filtering that refuses what it does not understand, instead of quietly returning everything.

django-filter's ``BooleanFilter`` reads ``?is_active=banana`` as "no filter" and answers the
whole list; DRF's ``OrderingFilter`` drops unknown fields from ``?ordering=``; a range filter
(``DateFromToRangeFilter``) reports a bad ``joined_after`` under its own name, ``joined``.
Here:

- ``FilterSet`` is the base of every app's filter sets: boolean filters accept only
  ``true``/``false`` (and ``1``/``0``), and filters spread over several query parameters
  (multi-widget ranges) are refused at class creation: declare one filter per parameter
  (``joined_after`` and ``joined_before``), so an error names the parameter the client sent.
- ``OrderingFilter`` answers 400 for an unknown ordering field and documents the accepted
  values in the schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django_filters import rest_framework as drf_filters
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class StrictBooleanField(forms.Field):
    """``true``/``false`` (any case) or ``1``/``0``; anything else is an error, absent is no filter."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise forms.ValidationError("Expected true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, taken to UTC here: PostgreSQL refuses offsets beyond ±15:59 (ISO
    allows ±23:59), and a time near year 1 or 9999 can fall outside the calendar in UTC."""

    def to_python(self, value: Any) -> datetime | None:
        parsed: datetime | None = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("That time is outside the calendar in UTC.", code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``?created_after=2026-12-01T09:00:00+01:00``: ISO 8601, compared in UTC."""

    field_class = UtcDateTimeField


class FilterSet(drf_filters.FilterSet):
    """Base FilterSet of the project (see the module docstring)."""

    FILTER_DEFAULTS = {
        **drf_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    def is_valid(self) -> bool:
        """Also refuses a typed parameter sent empty (``?joined_before=``, ``?is_active=``).

        django-filter reads an empty value as "no filter", so a client's unset variable would
        quietly widen the list. Text filters may be empty: "" is a string.
        """
        valid = bool(super().is_valid())
        for name, declared in self.filters.items():
            if isinstance(declared, django_filters.CharFilter) or self.data.get(name, None) != "":
                continue
            if name in self.form.fields:
                self.form.add_error(
                    name, forms.ValidationError("Give a value, or leave the parameter out.", code="blank")
                )
                valid = False
        return valid

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, declared in cls.declared_filters.items():
            if isinstance(declared, django_filters.BooleanFilter) and not isinstance(declared, StrictBooleanFilter):
                raise ImproperlyConfigured(f"{cls.__name__}.{name}: use fitcore.api.filters.StrictBooleanFilter.")
            if issubclass(declared.field_class, forms.MultiValueField):
                raise ImproperlyConfigured(
                    f"{cls.__name__}.{name} reads several query parameters; declare one filter per parameter "
                    "so that an error names the parameter the client sent."
                )


class DjangoFilterBackend(drf_filters.DjangoFilterBackend):
    """Filter sets a view declares with ``filterset_fields`` are built on the strict base too.

    And cheaply: django-filter builds a new FilterSet class for ``filterset_fields`` on every
    request, and every FilterSet instance deep-copies its filters and builds a form. Here the
    class is built once per view class, and a request that names none of the filter
    parameters (most list calls: ``?limit=20``) skips the FilterSet altogether.
    """

    filterset_base = FilterSet
    _auto_classes: dict[tuple[type, type], type[FilterSet]] = {}

    def get_filterset_class(self, view: Any, queryset: Any = None) -> Any:
        if getattr(view, "filterset_class", None) or not getattr(view, "filterset_fields", None) or queryset is None:
            return super().get_filterset_class(view, queryset)
        key = (type(view), queryset.model)
        if key not in self._auto_classes:
            self._auto_classes[key] = super().get_filterset_class(view, queryset)
        return self._auto_classes[key]

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        params = request.query_params
        if not any(name in params for name in filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


class OrderingFilter(filters.OrderingFilter):
    """DRF's OrderingFilter, but an unknown field is a 400 on ``ordering``, and the schema lists the values."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        params = request.query_params.get(self.ordering_param)
        if params is not None:
            terms = [term.strip() for term in params.split(",")]
            allowed = {name for name, _ in self.get_valid_fields(queryset, view, {"request": request})}
            unknown = [term for term in terms if term.lstrip("-") not in allowed]
            if unknown or not all(terms):
                raise ValidationError(
                    {
                        self.ordering_param: [
                            f"Order by one or more of: {', '.join(sorted(allowed))} (prefix - for descending)."
                        ]
                    },
                    code="invalid",
                )
            return terms
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = getattr(view, "ordering_fields", None)
        if not fields or fields == "__all__":
            return list(super().get_schema_operation_parameters(view))
        values = [value for name in fields for value in (name, f"-{name}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated fields to order by; prefix `-` for descending.",
                "schema": {"type": "array", "items": {"type": "string", "enum": values}, "minItems": 1},
                "style": "form",
                "explode": False,
            }
        ]
