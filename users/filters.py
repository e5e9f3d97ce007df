import django_filters

from .models import User


class ManagedUserFilter(django_filters.FilterSet):
    """Filters for the tenant's user list: ``?email=ann&role=member&is_active=true&joined_after=2025-01-01``."""

    email = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the email, any case.")
    role = django_filters.ChoiceFilter(choices=User.Role.choices)
    is_active = django_filters.BooleanFilter()
    joined = django_filters.DateFromToRangeFilter(
        field_name="date_joined",
        help_text="Sign-up date range, inclusive: `joined_after` / `joined_before` (YYYY-MM-DD, UTC).",
    )

    class Meta:
        model = User
        fields = ["email", "role", "is_active", "joined"]
