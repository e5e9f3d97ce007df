"""Staff views of health data: read-only, because samples change through ingestion (versions,
tombstones, the profile's weight) and an admin edit would bypass all three."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import HealthImport, HealthSample, IdempotentReply, SampleTombstone


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HealthSample)
class HealthSampleAdmin(ReadOnlyAdmin):
    list_display = ["user", "metric", "value", "stage", "start_time", "source", "source_name"]
    list_filter = ["metric", "source"]
    # Exact matches only: a substring search would scan the largest table.
    search_fields = ["=user__email", "=external_id"]
    list_select_related = ["user"]
    date_hierarchy = "start_time"
    show_full_result_count = False  # no COUNT(*) over millions of rows per page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deletes go through the API, which leaves tombstones for sync


@admin.register(SampleTombstone)
class SampleTombstoneAdmin(ReadOnlyAdmin):
    list_display = ["user", "metric", "source", "external_id", "deleted_at"]
    list_filter = ["metric", "source"]
    search_fields = ["=user__email"]
    list_select_related = ["user"]
    show_full_result_count = False


@admin.register(HealthImport)
class HealthImportAdmin(ReadOnlyAdmin):
    list_display = ["user", "format", "status", "file_name", "workouts_imported", "created_at", "finished_at"]
    list_filter = ["status", "format"]
    search_fields = ["user__email", "file_name"]
    list_select_related = ["user"]


@admin.register(IdempotentReply)
class IdempotentReplyAdmin(ReadOnlyAdmin):
    list_display = ["principal", "key", "status_code", "created_at"]
    search_fields = ["=key", "=principal"]
    exclude = ["body"]
