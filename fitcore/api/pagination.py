"""Default pagination: limit/offset with a count for catalogues, cursor for time-ordered streams."""

from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """Catalogues (foods, workouts, users): clients need a total to render pages."""

    default_limit = 20
    max_limit = 100


class CursorPagination(pagination.CursorPagination):
    """Append-only streams (health samples, diary, notifications, logs).

    No COUNT(*), stable under concurrent inserts, and an index on the ordering
    keeps every page one index range scan. Views set ``ordering`` to an indexed
    field; ``-created_at`` is the default.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"
