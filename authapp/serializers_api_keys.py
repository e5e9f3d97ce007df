from rest_framework import serializers

from fitcore.api.scopes import ALL_SCOPES, WILDCARDS
from fitcore.api.serializers import OutputModelSerializer

from .models import ApiKey

SCOPE_CHOICES = sorted([*ALL_SCOPES, *WILDCARDS])


class ApiKeySerializer(OutputModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=SCOPE_CHOICES))

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "created_by",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "rotated_at",
            "rotated_from",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "rotated_at": {"help_text": "When this key was rotated; a key is rotated once."},
            "rotated_from": {"help_text": "The key this one replaced, if it came from a rotation."},
        }


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=SCOPE_CHOICES),
        required=False,
        allow_empty=False,
        help_text=(
            "Omit for a key with every scope except `users:tokens`. Wildcards (`*`, `users:*`) never include "
            "`users:tokens`: a key can mint user tokens only if that scope is listed by name."
        ),
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The secret. Shown only in this response; store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields
