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

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers
from rest_framework.fields import empty


class OptionalChoiceField(serializers.ChoiceField):
    """A choice that may be unset: ``null`` in JSON both ways, ``""`` in the database.

    ``""`` itself is not a member of the enum, so it is refused on input like any
    other unknown value.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["allow_null"] = True
        kwargs["allow_blank"] = False
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        value = super().run_validation(data)
        return "" if value is None else value

    def to_representation(self, value: Any) -> Any:
        if value in ("", None):
            return None
        return super().to_representation(value)


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
    """The project's ModelSerializer: a blank-able choice field becomes an ``OptionalChoiceField``."""

    def build_standard_field(self, field_name: str, model_field: models.Field[Any, Any]) -> tuple[type, dict]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if model_field.choices and model_field.blank and not model_field.null:
            field_class = OptionalChoiceField
            kwargs.pop("allow_blank", None)
            kwargs.pop("allow_null", None)
        return field_class, kwargs
