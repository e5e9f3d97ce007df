import django_filters

from fitcore.api.filters import FilterSet, UtcDateTimeFilter

from .models import Transaction


class TransactionFilter(FilterSet):
    """``?kind=refund``, ``?status=failed``, ``?created_after=`` / ``?created_before=`` (ISO 8601)."""

    kind = django_filters.ChoiceFilter(choices=Transaction.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Transaction.Status.choices)
    created_after = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Lines written at or after this time."
    )
    created_before = UtcDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Lines written before this time."
    )

    class Meta:
        model = Transaction
        fields = ["kind", "status", "created_after", "created_before"]
