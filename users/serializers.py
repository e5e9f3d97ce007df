from rest_framework import serializers

from .models import User


class UserSerializer(serializers.ModelSerializer):
    """A user as its owner and its tenant's admins see it."""

    tenant: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "role", "tenant", "is_active", "date_joined"]
        read_only_fields = ["id", "email", "role", "tenant", "is_active", "date_joined"]
