"""Account events of the layers below, turned into notifications (connected in NotificationConfig.ready).

authapp and users cannot import this app; they send signals (allauth's sign-up and
password signals, ``users.signals.email_changed``) and this module answers each with
exactly one ``notify()``, inside the sender's transaction.
"""

from __future__ import annotations

from typing import Any

from .models import Channel, NotificationType
from .services import notify


def welcome(sender: type, user: Any, **kwargs: Any) -> None:
    brand = user.tenant.name
    notify(
        user=user,
        type=NotificationType.ACCOUNT,
        title=f"Welcome to {brand}",
        body=f"Your {brand} account is ready. Set up your profile to get plans that fit you.",
        data={"event": "welcome"},
        link="/profile",
        dedupe_key="account:welcome",  # one welcome per account, however many sign-up signals arrive
        channels={Channel.IN_APP, Channel.PUSH},  # the confirmation email is the welcome by mail
    )


def password_changed(sender: type, user: Any, **kwargs: Any) -> None:
    notify(
        user=user,
        type=NotificationType.ACCOUNT,
        title="Your password was changed",
        body="The password of your account was just changed, and every other device was signed out.",
        data={"event": "password_changed"},
    )


def email_changed(sender: type, user: Any, old_email: str, **kwargs: Any) -> None:
    notify(
        user=user,
        type=NotificationType.ACCOUNT,
        title="Your email address was changed",
        body=f"The email address of your account was changed from {old_email} to {user.email}.",
        data={"event": "email_changed", "old_email": old_email, "new_email": user.email},
        # Whoever changed it can read the new inbox; the previous owner must hear of it too.
        copy_to=[old_email],
    )
