from django.conf import settings
from django.db import models
from django.utils import timezone

from fitcore.api.models import TenantOwned


class ApiKey(TenantOwned):
    """A partner backend's credential. Only a hash of the key is stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True, editable=False, help_text="Shown to identify the key.")
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, help_text="e.g. users:read, nutrition:write, workouts:*, *")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Rotation happens once per key: the old key records when, the new one where it came from.
    rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    rotated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Lookups go by prefix alone (no tenant is known yet); the tenant stays in the
            # unique constraint so the table can be distributed by tenant.
            models.UniqueConstraint("tenant", "prefix", name="authapp_apikey_unique_prefix_per_tenant"),
        ]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired
