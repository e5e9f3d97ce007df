"""The orjson renderer writes what DRF's JSONRenderer writes, value for value."""

import datetime
import decimal
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFRenderer

from fitcore.api.renderers import JSONRenderer
from users.models import Tenant

BERLIN = ZoneInfo("Europe/Berlin")

VALUES = {
    "text": "Grüße ✓",
    "utc": datetime.datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=datetime.UTC),
    "utc_whole_second": datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC),
    "berlin": datetime.datetime(2026, 7, 1, 9, 30, tzinfo=BERLIN),
    "naive": datetime.datetime(2026, 12, 1, 9, 30),
    "date": datetime.date(2026, 12, 1),
    "time": datetime.time(7, 15),
    "time_in_a_zone": datetime.time(7, 15, tzinfo=BERLIN),  # no offset without a date: written as naive
    "duration": datetime.timedelta(minutes=90, seconds=1.5),
    "decimal": decimal.Decimal("61.25"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "lazy": gettext_lazy("Not found."),
    "tuple": (1, 2),
    "set_of_one": {3},
    "nested": {"list": [1, 2.5, None, True], "empty": {}},
    "int_keys": {1: "one"},
    "big": 2**64,
    "separators": "a\u2028b\u2029c",
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_each_value_parses_as_drf_writes_it(name: str) -> None:
    data = {"value": VALUES[name]}
    ours = JSONRenderer().render(data)
    theirs = DRFRenderer().render(data)
    assert json.loads(ours) == json.loads(theirs)


def test_plain_documents_are_byte_identical() -> None:
    data = {"id": 1, "email": "a@acme.example", "joined": VALUES["utc"], "weight": VALUES["decimal"], "x": None}
    assert JSONRenderer().render(data) == DRFRenderer().render(data)


@pytest.mark.django_db
def test_querysets_render_as_lists(tenant) -> None:
    data = {"slugs": Tenant.objects.filter(pk=tenant.pk).values_list("slug", flat=True)}
    assert json.loads(JSONRenderer().render(data)) == {"slugs": ["acme"]}


def test_what_drf_refuses_is_refused() -> None:
    aware_time = {"value": datetime.time(7, 15, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))}
    with pytest.raises(ValueError):
        DRFRenderer().render(aware_time)
    with pytest.raises((ValueError, TypeError)):
        JSONRenderer().render(aware_time)
    with pytest.raises(TypeError):
        JSONRenderer().render({"value": object()})


def test_indent_requests_get_drf_rendering() -> None:
    data = {"a": [1]}
    assert JSONRenderer().render(data, "application/json; indent=2") == DRFRenderer().render(
        data, "application/json; indent=2"
    )
