"""Serializer building blocks every app uses, so the API contract says the same thing everywhere.

"Not set" is ``null`` in the API, in both directions. A Django ``CharField(choices=...,
blank=True)`` stores "not set" as ``""``; clients generated from the schema know only
the enum's members, so a ``""`` in a response crashes them (a Python client raises
``'' is not a valid SexEnum``). ``OptionalChoiceField`` answers ``null`` for it and
takes ``null`` to clear it, and the project's ``ModelSerializer`` picks that field for
every such model field by itself.

Decimal measurements are rounded, not refused: a JSON number such as 50.300000000000004
(what 503 * 0.1 is in binary floating point) is a schema-valid ``number``, and a client
cannot be expected to send decimal strings. ``RoundedDecimalField`` rounds half up to the
field's places and the schema states the range it accepts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings


class _BlankIsNull:
    # "Not set" is null in JSON, both ways, and "" in the (blank) column. A comment, not a
    # docstring: the schema would show it as every subclass's description.

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        kwargs.setdefault("allow_blank", False)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        value = super().run_validation(data)  # type: ignore[misc]
        return "" if value is None else value

    def to_representation(self, value: Any) -> Any:
        if value in ("", None):
            return None
        return super().to_representation(value)  # type: ignore[misc]


class OptionalChoiceField(_BlankIsNull, serializers.ChoiceField):
    """A choice that may be unset: ``null`` in JSON both ways, ``""`` in the database.

    ``""`` itself is not a member of the enum, so it is refused on input like any
    other unknown value.
    """


class OptionalCharField(_BlankIsNull, serializers.CharField):
    """Text that may be unset: ``null`` in JSON both ways, ``""`` in the database (a blank CharField)."""


class RoundedDecimalField(serializers.DecimalField):
    """A decimal measurement that accepts any number in range and rounds it to ``decimal_places``.

    Only the range is validated (``min_value``/``max_value``, both required): digits beyond
    the field's precision are rounded half up instead of refused. Output is a JSON number.
    """

    def __init__(self, *, max_digits: int, decimal_places: int, min_value: Decimal, max_value: Decimal, **kwargs: Any):
        kwargs.setdefault("coerce_to_string", False)
        super().__init__(
            max_digits=max_digits,
            decimal_places=decimal_places,
            min_value=min_value,
            max_value=max_value,
            rounding=ROUND_HALF_UP,
            **kwargs,
        )

    def validate_precision(self, value: Decimal) -> Decimal:
        # The range bounds the whole digits, and is checked here, before quantize(): a
        # number with 30 digits would overflow the rounding context. Extra decimal places
        # are rounded by quantize() rather than refused.
        if self.max_value is not None and value > self.max_value:
            self.fail("max_value", max_value=self.max_value)
        if self.min_value is not None and value < self.min_value:
            self.fail("min_value", min_value=self.min_value)
        return value


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number: the string "NaN" or "Infinity" is refused like any other non-number."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


SLUG_PATTERN = r"^[-a-zA-Z0-9_]{1,64}$"
_SLUG = re.compile(SLUG_PATTERN)


@extend_schema_field({"type": "string", "pattern": SLUG_PATTERN})
class SlugChoiceField(serializers.SlugRelatedField):
    """A row named by its slug (a category); anything that is not a slug is refused unread.

    DRF reads an empty string as null in a nullable relation, and would send any other
    string to the database (a NUL byte is an error there, not a miss); null is how a
    client clears the field.
    """

    def run_validation(self, data: Any = empty) -> Any:
        if isinstance(data, str) and not _SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data[:64])
        return super().run_validation(data)


class StrictKeysSerializer(serializers.Serializer):
    # An input object that refuses keys it does not declare (a misspelt key must not be ignored).
    # (A comment, not a docstring: the schema would show it as every subclass's description.)
    #
    # DRF drops unknown keys silently, which is right for most payloads (clients send back
    # what they read). Where the keys are themselves choices (a type, a channel), a typo
    # would quietly do nothing; these answer 400 naming the key, with ``unknown_key``'s
    # message and code, and the schema says ``additionalProperties: false``.

    unknown_key: tuple[str, str] = ("Unknown key.", "unknown_key")

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                message, code = self.unknown_key
                raise serializers.ValidationError(
                    {key: [serializers.ErrorDetail(message, code=code)] for key in unknown}
                )
        return super().to_internal_value(data)


class StrictKeysSerializerSchema(OpenApiSerializerExtension):
    target_class = StrictKeysSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        return cast(dict[str, Any], schema)


class RoundedDecimalFieldSchema(OpenApiSerializerFieldExtension):
    """A plain number with the range the field accepts (drf-spectacular would derive ±10^digits)."""

    target_class = RoundedDecimalField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field: RoundedDecimalField = self.target
        schema = build_basic_type(OpenApiTypes.NUMBER) or {"type": "number"}
        schema["minimum"] = float(field.min_value)  # type: ignore[arg-type]
        schema["maximum"] = float(field.max_value)  # type: ignore[arg-type]
        return dict(schema)


class ModelSerializer(serializers.ModelSerializer):
    # The project's ModelSerializer: a blank-able choice field becomes an ``OptionalChoiceField``.
    #
    # For output, see ``OutputModelSerializer`` below (compiled once per class).

    def build_standard_field(self, field_name: str, model_field: models.Field[Any, Any]) -> tuple[type, dict]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if model_field.choices and model_field.blank and not model_field.null:
            field_class = OptionalChoiceField
            kwargs.pop("allow_blank", None)
            kwargs.pop("allow_null", None)
        return field_class, kwargs


# Base classes below carry comments, not docstrings: drf-spectacular describes a serializer
# by the first docstring up its class hierarchy, and these would describe every subclass.

# --- the fast path for lists -----------------------------------------------------------

# Fields whose to_representation returns a value from the database unchanged.
_AS_STORED: tuple[type[serializers.Field], ...] = (
    serializers.CharField,
    serializers.IntegerField,
    serializers.BooleanField,
    serializers.FloatField,
)


@dataclass(frozen=True)
class RowPlan:
    """How one RowSerializer turns a ``.values()`` row into output: built once per class."""

    columns: tuple[str, ...]
    fields: tuple[tuple[str, str, Callable[[Any], Any] | None], ...]  # (name, column, convert)
    # Fields read through ``tenant`` (``tenant.slug``): (name, attribute path on the tenant).
    tenant_fields: tuple[tuple[str, str], ...] = ()
    # The columns to fetch when every row belongs to one known tenant: no join to it.
    scoped_columns: tuple[str, ...] = ()

    def render(self, row: dict[str, Any], tenant_values: dict[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, column, convert in self.fields:
            value = tenant_values[name] if tenant_values is not None and name in tenant_values else row[column]
            out[name] = value if value is None or convert is None else convert(value)
        return out

    def render_many(self, rows: Any, tenant: Any = None) -> list[dict[str, Any]]:
        """Render ``rows``; with ``tenant``, the rows (fetched with ``scoped_columns``) are all its own."""
        render = self.render
        if tenant is None or not self.tenant_fields:
            return [render(row) for row in rows]
        values = {name: _follow(tenant, path) for name, path in self.tenant_fields}
        return [render(row, values) for row in rows]


def _follow(instance: Any, path: str) -> Any:
    for attribute in path.split("."):
        instance = getattr(instance, attribute)
    return instance


def _blank_as_null(value: Any) -> Any:
    return None if value == "" else value


def _utc_iso(value: Any) -> Any:
    """DateTimeField.to_representation for an aware datetime when output is UTC ISO 8601, minus the calls."""
    if value.tzinfo is None:
        raise ValueError  # naive: never from our database; let the field say what it does
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z"


def _datetime_converter(field: serializers.DateTimeField) -> Callable[[Any], Any]:
    """A fast path for the common case (ISO output in UTC), the field's own method otherwise.

    Valid because the project never activates a per-request time zone (settings.TIME_ZONE is the
    current zone everywhere); test_compiled_output compares both paths.
    """
    represent = field.to_representation
    iso = str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
    utc = settings.USE_TZ and settings.TIME_ZONE == "UTC" and not hasattr(field, "timezone")
    if not (iso and utc):
        return represent

    def convert(value: Any) -> Any:
        if isinstance(value, str) or not value:
            return represent(value)  # type: ignore[arg-type]  # as DRF passes it on
        try:
            return _utc_iso(value)
        except (ValueError, OverflowError):
            return represent(value)

    return convert


class RowSerializer(serializers.Serializer):
    # An output serializer for list rows, read straight from ``.values()``.
    #
    # A list of 20 model instances costs more in Python than the query that fetched them:
    # instances are built, then DRF walks every field of every row. A RowSerializer declares
    # its fields as usual (the schema is generated from them), and ``TenantScopedViewSet``'s
    # list then fetches only those columns with ``.values()`` and maps each row through a
    # plan compiled once per class (``row_plan()``): values that are already JSON-ready pass
    # as they are; the rest go through the field's own ``to_representation``.
    #
    # Fields: plain fields whose ``source`` is a column or a ``.``-path through foreign keys
    # (``tenant.slug``), ``SlugRelatedField`` and ``PrimaryKeyRelatedField``. Fields read
    # through ``tenant`` are the same on every row of a tenant-scoped list: the list takes
    # them from the principal's tenant instead of joining the tenant table for each row. Anything that
    # needs the instance (``SerializerMethodField``, nested serializers, ``source="*"``) is
    # refused when the plan is built: use a ModelSerializer for that endpoint instead.
    # Used as a normal serializer (``RowSerializer(row).data``) it works on dicts and
    # instances alike.

    _plan: ClassVar[RowPlan | None] = None

    @classmethod
    def row_plan(cls) -> RowPlan:
        if cls.__dict__.get("_plan") is None:
            cls._plan = _compile(cls())
        assert cls._plan is not None  # noqa: S101 - set just above
        return cls._plan


def _compile(prototype: RowSerializer) -> RowPlan:
    fields: list[tuple[str, str, Callable[[Any], Any] | None]] = []
    tenant_fields: list[tuple[str, str]] = []
    for field in prototype._readable_fields:
        name = f"{type(prototype).__name__}.{field.field_name}"
        if isinstance(field, serializers.SerializerMethodField | serializers.BaseSerializer) or field.source == "*":
            raise ImproperlyConfigured(f"{name}: a RowSerializer reads columns; this field needs the instance.")
        column = str(field.source).replace(".", "__")
        convert: Callable[[Any], Any] | None
        if isinstance(field, serializers.ManyRelatedField | serializers.FileField):
            # Many values per row (.values() would repeat the row), or a file whose URL needs storage.
            raise ImproperlyConfigured(f"{name}: a RowSerializer cannot read this field from a column.")
        if isinstance(field, serializers.SlugRelatedField):
            column, convert = f"{column}__{field.slug_field}", None
        elif isinstance(field, serializers.PrimaryKeyRelatedField):
            convert = None
        elif isinstance(field, serializers.RelatedField):
            raise ImproperlyConfigured(f"{name}: only slug and primary-key relations can be read as columns.")
        elif isinstance(field, OptionalChoiceField | OptionalCharField):
            convert = _blank_as_null
        elif type(field) is serializers.ChoiceField or type(field) in _AS_STORED:
            convert = None
        elif type(field) is serializers.DateTimeField:
            convert = _datetime_converter(field)
        else:
            convert = field.to_representation
        fields.append((str(field.field_name), column, convert))
        if column.startswith("tenant__"):
            tenant_fields.append((str(field.field_name), column.removeprefix("tenant__").replace("__", ".")))
    columns = tuple(dict.fromkeys(column for _, column, _ in fields))
    return RowPlan(
        columns=columns,
        fields=tuple(fields),
        tenant_fields=tuple(tenant_fields),
        scoped_columns=tuple(column for column in columns if not column.startswith("tenant__")),
    )


# --- the fast path for single objects ------------------------------------------------------

Convert = Callable[[Any, dict[str, Any]], Any]  # (attribute, serializer context) -> output


@dataclass(frozen=True)
class OutputPlan:
    """How a serializer class turns an instance into output: built once per class."""

    fields: tuple[tuple[str, Callable[[Any], Any], Convert | None], ...]  # (name, get attribute, convert)

    def render(self, instance: Any, context: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, get, convert in self.fields:
            try:
                value = get(instance)
            except SkipField:  # an optional key missing from a dict, as DRF leaves it out
                continue
            out[name] = value if value is None or convert is None else convert(value, context)
        return out


def _file_url(field: serializers.FileField) -> Convert:
    """FileField.to_representation, with the request taken from the serializer being rendered."""
    use_url = getattr(field, "use_url", api_settings.UPLOADED_FILES_USE_URL)

    def convert(value: Any, context: dict[str, Any]) -> Any:
        if not value:
            return None
        if not use_url:
            return value.name
        try:
            url = value.url
        except AttributeError:
            return None
        request = context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    return convert


def _nested(serializer: serializers.BaseSerializer[Any]) -> Convert:
    if isinstance(serializer, serializers.ListSerializer):
        child = _nested(serializer.child)  # type: ignore[arg-type]

        def convert_many(value: Any, context: dict[str, Any]) -> Any:
            items = value.all() if isinstance(value, models.manager.BaseManager) else value
            return [child(item, context) for item in items]

        return convert_many
    if not isinstance(serializer, CompiledOutputMixin):
        return lambda value, context: type(serializer)(value, context=context).data
    plan = type(serializer).output_plan()
    return plan.render


def _field_convert(field: serializers.Field) -> Convert | None:
    if isinstance(field, serializers.BaseSerializer):
        return _nested(field)
    if isinstance(field, serializers.FileField):
        return _file_url(field)
    if isinstance(field, serializers.HyperlinkedRelatedField):
        raise ImproperlyConfigured(f"{field.field_name}: hyperlinked fields need the request; not compiled.")
    if isinstance(field, OptionalChoiceField | OptionalCharField):
        return lambda value, context: _blank_as_null(value)
    if type(field) in _AS_STORED or type(field) is serializers.ChoiceField:
        return lambda value, context: value
    if type(field) is serializers.DateTimeField:
        as_utc = _datetime_converter(field)
        return lambda value, context: as_utc(value)
    represent = field.to_representation
    return lambda value, context: represent(value)


def _attribute_getter(field: serializers.Field) -> Callable[[Any], Any]:
    """``field.get_attribute`` (which follows ``source`` and answers None past a missing relation),
    with DRF's PKOnlyObject unwrapped as Serializer.to_representation does."""
    get = field.get_attribute

    def attribute(instance: Any) -> Any:
        value = get(instance)
        if isinstance(value, PKOnlyObject) and value.pk is None:
            return None
        return value

    return attribute


class CompiledOutputMixin:
    # Serializers whose output is compiled once per class instead of rebuilt per request.
    #
    # DRF builds a serializer's fields for every instance it creates (a ModelSerializer by
    # introspecting the model, field by field) before it reads a single attribute: on
    # ``/users/me/`` that was most of the request. With this mixin, output goes through an
    # ``OutputPlan`` compiled from the class's fields once: each field's attribute getter and
    # converter, nested serializers compiled in turn. The fields must not depend on the
    # instance or the request (no ``get_fields()`` that looks at ``self.context``); a class
    # that needs that sets ``compiled_output = False``. tests/test_compiled_output.py renders
    # every compiled serializer both ways and compares.

    compiled_output: ClassVar[bool] = True
    _output: ClassVar[OutputPlan | None] = None

    @classmethod
    def output_plan(cls) -> OutputPlan:
        if cls.__dict__.get("_output") is None:
            prototype = cls()
            cls._output = OutputPlan(
                fields=tuple(
                    (str(field.field_name), _attribute_getter(field), _field_convert(field))
                    for field in prototype._readable_fields  # type: ignore[attr-defined]
                )
            )
        assert cls._output is not None  # noqa: S101 - set just above
        return cls._output

    def to_representation(self, instance: Any) -> Any:
        if not self.compiled_output:
            return super().to_representation(instance)  # type: ignore[misc]
        return type(self).output_plan().render(instance, self.context)  # type: ignore[attr-defined]


class OutputModelSerializer(CompiledOutputMixin, ModelSerializer):
    # The project's ModelSerializer for responses: output compiled once per class.
    pass


class OutputSerializer(CompiledOutputMixin, serializers.Serializer):
    # A plain Serializer for responses: output compiled once per class.
    pass


def validate_whole_list(data: Any, payload: dict[str, Any], key: str, serializer: Any) -> None:
    """A list in a PATCH replaces the whole list, so each of its items is validated in full.

    A partial serializer skips required fields in nested items too (an item without its food);
    ``serializer`` is the list's own field taken from a non-partial instance of the parent,
    and ``data`` the request's body. Errors keep the list's name (``items[2].grams``).
    """
    if key not in payload:
        return
    try:
        payload[key] = serializer.run_validation(data[key])
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({key: exc.detail}) from None
