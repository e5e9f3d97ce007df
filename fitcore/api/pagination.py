"""Default pagination: limit/offset with a count for catalogues, cursor for time-ordered streams.

Parameters are strict: ``?limit=abc``, ``?limit=0.5``, ``?offset=-1`` or a limit above the
maximum are 400 problems naming the parameter, never silently the default page (a client
that asked for 500 rows and got 20 would believe it had them all). The schema states the
same bounds.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Window
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

MAX_OFFSET = 2**63 - 1
_TOTAL = "_page_total"


def query_int(request: Request, name: str, *, default: int | None, minimum: int, maximum: int) -> int | None:
    """An integer query parameter: ASCII digits only (``int()`` accepts others), within bounds, else a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(maximum)):
        raise ValidationError({name: [f"Expected a whole number from {minimum} to {maximum}."]}, code="invalid")
    value = int(raw)
    if value < minimum:
        raise ValidationError({name: [f"Ensure this value is at least {minimum}."]}, code="min_value")
    if value > maximum:
        raise ValidationError({name: [f"Ensure this value is at most {maximum}."]}, code="max_value")
    return value


def _window_countable(queryset: Any) -> bool:
    """Whether COUNT(*) OVER () on this queryset counts the rows it returns."""
    query = getattr(queryset, "query", None)
    if query is None:  # a list, not a queryset
        return False
    return not (query.distinct or query.group_by or query.combinator or query.is_sliced)


def _integer_parameter(name: str, description: str, minimum: int, maximum: int) -> dict[str, Any]:
    return {
        "name": name,
        "required": False,
        "in": "query",
        "description": description,
        "schema": {"type": "integer", "minimum": minimum, "maximum": maximum},
    }


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """Catalogues (foods, workouts, users): clients need a total to render pages.

    The total rides on the page query (``COUNT(*) OVER ()``): one round trip instead of a
    ``COUNT(*)`` and then the page. Only a page with no rows (an empty list, or an offset
    past the end) needs a separate count, and so do querysets whose rows are not the rows
    the window sees (``DISTINCT``, ``GROUP BY``, unions). The window makes PostgreSQL read
    every matching row before it can return the first page: cheaper than a second round
    trip up to tens of thousands of rows, slower beyond (a list that large is synced with
    cursor pagination, which counts nothing).
    """

    default_limit = 20
    max_limit = 100

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        if not _window_countable(queryset):
            self.count = self.get_count(queryset)
            return list(queryset[self.offset : self.offset + self.limit])
        counted = queryset.annotate(**{_TOTAL: Window(Count("*"))})
        rows = list(counted[self.offset : self.offset + self.limit])
        if rows:
            first = rows[0]
            self.count = first[_TOTAL] if isinstance(first, dict) else getattr(first, _TOTAL)
            if isinstance(first, dict):
                for row in rows:
                    del row[_TOTAL]
        else:
            self.count = queryset.count()
        return rows

    def get_limit(self, request: Request) -> int | None:
        return query_int(request, self.limit_query_param, default=self.default_limit, minimum=1, maximum=self.max_limit)

    def get_offset(self, request: Request) -> int:
        return query_int(request, self.offset_query_param, default=0, minimum=0, maximum=MAX_OFFSET) or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            _integer_parameter(
                self.limit_query_param,
                f"Rows per page, 1-{self.max_limit} (default {self.default_limit}).",
                1,
                self.max_limit,
            ),
            _integer_parameter(self.offset_query_param, "Rows to skip (default 0).", 0, MAX_OFFSET),
        ]


class CursorPagination(pagination.CursorPagination):
    """Append-only streams (health samples, diary, notifications, logs).

    No COUNT(*), stable under concurrent inserts, and an index on the ordering
    keeps every page one index range scan. Views set ``ordering`` to an indexed
    field; ``-created_at`` is the default. A cursor that was not one we issued is a
    400 on ``cursor`` (DRF answers 404, as if the list did not exist).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"

    def get_page_size(self, request: Request) -> int:
        size = query_int(
            request, self.page_size_query_param, default=self.page_size, minimum=1, maximum=self.max_page_size
        )
        return size or self.page_size

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: ["This cursor is not valid."]}, code="invalid") from None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        return [
            _integer_parameter(
                self.page_size_query_param,
                f"Rows per page, 1-{self.max_page_size} (default {self.page_size}).",
                1,
                self.max_page_size,
            )
            if parameter["name"] == self.page_size_query_param
            else parameter
            for parameter in parameters
        ]
