"""Per-request values that log lines and error bodies need without a request object."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[int | str | None] = ContextVar("user_id", default=None)
tenant_id_var: ContextVar[int | None] = ContextVar("tenant_id", default=None)
