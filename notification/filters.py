import django_filters

from fitcore.api.filters import FilterSet, StrictBooleanFilter

from .models import Notification, NotificationType


class NotificationFilter(FilterSet):
    """``?unread=true`` and ``?type=workout_reminder``; an unknown type or a non-boolean is a 400."""

    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", help_text="`true`: only unread ones.")
    type = django_filters.ChoiceFilter(choices=NotificationType.choices)

    class Meta:
        model = Notification
        fields = ["unread", "type"]
