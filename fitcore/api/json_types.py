"""JSON input keeps its types: a string field takes a string, a boolean a boolean, a number a number.

DRF's primitive fields coerce: ``"last_name": 0`` is stored as ``"0"``, ``"marketing_opt_in": 0``
and ``"cookie": "yes"`` become booleans, ``"weight_kg": "80"`` a number; and a string's length is
checked after trimming, so 101 characters with a leading space pass a 100-character limit. The schema promises
the types, generated clients send them, and a request that breaks the promise is a mistake
worth a 400, not a guess. ``install()`` (called once from ``ApiConfig.ready()``) makes the
primitive fields strict for JSON input, for every serializer of every app, including the
fields ModelSerializer builds on its own.

Form input (``QueryDict``: multipart uploads, HTML forms) stays as DRF reads it: there every
value is a string by nature.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from rest_framework import fields

_NUMBERS = (int, float, Decimal)


def _accepts(field: fields.Field, data: Any) -> bool:
    if isinstance(field, fields.BooleanField):
        return isinstance(data, bool)
    if isinstance(data, bool):  # bool is an int in Python, never a number or a string in JSON
        return False
    if isinstance(field, fields.CharField):
        return isinstance(data, str)
    if isinstance(field, fields.IntegerField):
        return isinstance(data, int)
    if isinstance(field, fields.DecimalField) and getattr(field, "coerce_to_string", True):
        return isinstance(data, str)  # a decimal-as-string field: the schema says string
    if isinstance(field, fields.FloatField | fields.DecimalField):
        return isinstance(data, _NUMBERS)
    return True


def _from_form(field: fields.Field) -> bool:
    root = field.root if field.parent is not None else field
    return isinstance(getattr(root, "initial_data", None), QueryDict)


def _strict(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def to_internal_value(self: fields.Field, data: Any) -> Any:
        if not _from_form(self):
            if not _accepts(self, data):
                self.fail("invalid")
            # The schema's maxLength counts the string as sent; DRF would count it after trimming.
            max_length = getattr(self, "max_length", None)
            if isinstance(self, fields.CharField) and max_length is not None and len(data) > max_length:
                self.fail("max_length", max_length=max_length)
        return original(self, data)

    to_internal_value.__wrapped__ = original  # type: ignore[attr-defined]
    return to_internal_value


STRICT_FIELDS: tuple[type[fields.Field], ...] = (
    fields.BooleanField,
    fields.CharField,
    fields.IntegerField,
    fields.FloatField,
    fields.DecimalField,
)


def install() -> None:
    """Idempotent. Subclasses that keep their parent's ``to_internal_value`` (EmailField,
    SlugField, BigIntegerField...) are strict through it; those that replace it run their own."""
    for cls in STRICT_FIELDS:
        current = cls.__dict__["to_internal_value"]
        if not hasattr(current, "__wrapped__"):
            cls.to_internal_value = _strict(current)  # type: ignore[method-assign,assignment]
