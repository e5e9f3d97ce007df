import django_filters

from fitcore.api.filters import FilterSet, StrictBooleanFilter

from .models import User


class ManagedUserFilter(FilterSet):
    """Filters for the tenant's user list: ``?email=ann&role=member&is_active=true&joined_after=2025-01-01``."""

    email = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the email, any case.")
    role = django_filters.ChoiceFilter(choices=User.Role.choices)
    is_active = StrictBooleanFilter(help_text="`true` or `false`.")
    joined_after = django_filters.DateFilter(
        field_name="date_joined", lookup_expr="date__gte", help_text="Signed up on or after this day (UTC)."
    )
    joined_before = django_filters.DateFilter(
        field_name="date_joined", lookup_expr="date__lte", help_text="Signed up on or before this day (UTC)."
    )

    class Meta:
        model = User
        fields = ["email", "role", "is_active", "joined_after", "joined_before"]
