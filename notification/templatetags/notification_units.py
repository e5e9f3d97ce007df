"""Measurements in the reader's units, for notification templates: ``{{ data.weight_kg|weight:units }}``.

Values are stored metric; ``units`` is the profile's ``metric`` or ``imperial``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

KG_PER_LB = Decimal("0.45359237")
KM_PER_MILE = Decimal("1.609344")
KJ_PER_KCAL = Decimal("4.184")


def _number(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _format(value: Decimal, places: int) -> str:
    return f"{value:,.{places}f}"


def _in_units(value: object, units: str, *, metric: str, imperial: str, per_imperial: Decimal, places: int) -> str:
    number = _number(value)
    if number is None:
        return ""
    if units == "imperial":
        return f"{_format(number / per_imperial, places)} {imperial}"
    return f"{_format(number, places)} {metric}"


@register.filter
def weight(kilograms: object, units: str = "metric") -> str:
    return _in_units(kilograms, units, metric="kg", imperial="lb", per_imperial=KG_PER_LB, places=1)


@register.filter
def distance(kilometres: object, units: str = "metric") -> str:
    return _in_units(kilometres, units, metric="km", imperial="mi", per_imperial=KM_PER_MILE, places=2)


@register.filter
def energy(kilocalories: object, units: str = "metric") -> str:
    """Food energy is kcal for both unit systems in the US and UK; metric readers also see kJ."""
    value = _number(kilocalories)
    if value is None:
        return ""
    if units == "imperial":
        return f"{_format(value, 0)} kcal"
    return f"{_format(value, 0)} kcal ({_format(value * KJ_PER_KCAL, 0)} kJ)"
