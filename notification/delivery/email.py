"""Notification email: text and HTML from per-type templates, through Django's mail backend.

Templates are looked up per type, ``notification/email/<type>.txt`` and ``.html``, falling
back to ``default``; all extend ``base``. The context has the user's display name, the
tenant's name (the brand the user signed up with), the profile's units (for the
``weight``/``distance``/``energy`` filters of ``notification_units``) and the notification.
The backend is settings' EMAIL_BACKEND: SMTP from the environment in production, the
console in development, memory in tests; django-anymail's backends drop in the same way.
"""

from __future__ import annotations

import smtplib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import select_template

from . import DeliveryFailed, InvalidTarget, RetryableDeliveryError

if TYPE_CHECKING:
    from notification.models import Notification
    from users.models import User


def absolute_link(link: str) -> str:
    """A path (``/plans/12``) opens in the web app; a deep link or URL is used as it is."""
    if link.startswith("/"):
        return f"{settings.FRONTEND_URL.rstrip('/')}{link}"
    return link


def display_name(user: User) -> str:
    return user.first_name or user.email.partition("@")[0]


def template_context(notification: Notification) -> dict[str, Any]:
    user = notification.user
    profile = getattr(user, "profile", None)
    return {
        "notification": notification,
        "type": notification.type,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "link": absolute_link(notification.link) if notification.link else "",
        "name": display_name(user),
        "units": getattr(profile, "units", "metric"),
        "brand": user.tenant.name,
        "preferences_url": f"{settings.FRONTEND_URL.rstrip('/')}/settings/notifications",
    }


def render_email(notification: Notification, address: str | None = None) -> EmailMultiAlternatives:
    context = template_context(notification)
    names = [f"notification/email/{notification.type}", "notification/email/default"]
    text = select_template([f"{name}.txt" for name in names]).render(context)
    html = select_template([f"{name}.html" for name in names]).render(context)
    subject = " ".join(notification.title.split())  # one line, whatever the title holds
    email = EmailMultiAlternatives(subject=subject, body=text, to=[address or notification.user.email])
    email.attach_alternative(html, "text/html")
    return email


def send_email(notification: Notification, address: str | None = None) -> None:
    """To the user's address, or to ``address`` (a security copy for a previous address)."""
    user = notification.user
    if not user.is_active or not (address or user.email):
        raise InvalidTarget("The user is deactivated or has no email address.", reason="no_address")
    email = render_email(notification, address)
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as error:
        raise DeliveryFailed(f"The mail server refused the address: {error.recipients}") from error
    except (smtplib.SMTPException, OSError) as error:  # connection refused, timeouts, 4xx replies
        raise RetryableDeliveryError(f"Mail server: {error}") from error
