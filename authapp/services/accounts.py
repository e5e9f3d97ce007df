"""Email/password account flows: register, sign in, passwords, email verification.

allauth owns accounts here (EmailAddress rows, confirmation keys, reset tokens, the
emails); dj-rest-auth and simplejwt own tokens; django-axes watches every password
check. Nothing here touches the Django session: a session write would leave a cookie
and a ``django_session`` row behind on a JWT API.
"""

from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account import signals as allauth_signals
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from fitcore.api.tasks import enqueue_after_commit
from users.models import Tenant, User

from .. import tasks
from ..email_confirmation import address_for_key
from ..error_codes import EMAIL_TAKEN_MESSAGE, AuthErrorCode, EmailNotVerified, InvalidCredentials, field_error
from ..lockout import lockout_reset

# --- settings ------------------------------------------------------------------------


def email_verification_method() -> str:
    """ACCOUNT_EMAIL_VERIFICATION as a plain string: "none", "optional" or "mandatory"."""
    return str(allauth_settings.EMAIL_VERIFICATION.value)


def email_verification_mandatory() -> bool:
    return email_verification_method() == "mandatory"


def email_is_verified(user: User) -> bool:
    # Both sides are stored canonical (users.emails), so equality is the comparison.
    return EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()


# --- registration and sign-in --------------------------------------------------------


def account_register(
    *,
    request: HttpRequest,
    tenant: Tenant,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create ``tenant``'s user with an unverified primary EmailAddress; email the link unless verification is off.

    The caller has validated the password and checked the (canonical) email is free;
    the unique constraint still decides a race between two sign-ups with the same address.
    """
    request.signup_tenant = tenant  # type: ignore[attr-defined]  # read by AccountAdapter.new_user
    user: User = get_account_adapter(request).new_user(request)
    user.email = User.objects.normalize_email(email)
    user.first_name = first_name
    user.last_name = last_name
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            address = EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    except IntegrityError:
        if User.objects.for_tenant(tenant).filter(email=user.email).exists():
            raise field_error("email", EMAIL_TAKEN_MESSAGE, AuthErrorCode.EMAIL_TAKEN) from None
        raise
    allauth_signals.user_signed_up.send(sender=User, request=request, user=user)
    if email_verification_method() != "none":
        email_verification_send(request=request, address=address, signup=True)
    return user


def account_authenticate(*, request: HttpRequest, tenant: Tenant, email: str, password: str) -> User:
    """Check a password through ``django.contrib.auth.authenticate``, so django-axes counts it.

    ``request`` must be the Django ``HttpRequest``: axes marks a lockout on it, and its
    middleware then answers 429 instead of this function's 401. A refused email
    verification (403) is only told to someone who knew the password.
    """
    user = authenticate(request, email=email, password=password, tenant=tenant)
    if user is None:
        raise InvalidCredentials()
    if email_verification_mandatory() and not email_is_verified(user):
        raise EmailNotVerified()
    # What django.contrib.auth.login() would send, without its session: axes clears the
    # failures of this user+IP (AXES_RESET_ON_SUCCESS) and Django stamps last_login.
    user_logged_in.send(sender=type(user), request=request, user=user)
    return user


# --- passwords -----------------------------------------------------------------------


def account_password_check(*, request: HttpRequest, user: User, password: str) -> bool:
    """Is ``password`` the signed-in ``user``'s? Checked like a sign-in, so django-axes counts it.

    A stolen access token must not turn the password change into a guessing oracle:
    failures add to the same per-email-and-IP counter as failed logins, and once it is
    locked this answers False without checking, while ``request.axes_locked_out`` makes
    AxesMiddleware answer 429 (see authapp.lockout). A success clears the counter.
    """
    checked = authenticate(request, email=user.email, password=password, tenant=user.tenant)
    if checked is None or checked.pk != user.pk:
        return False
    lockout_reset(email=user.email)
    return True


def account_password_change(*, request: HttpRequest, user: User, new_password: str) -> User:
    """Every token issued before carries the old password's hash claim and stops working."""
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    allauth_signals.password_changed.send(sender=User, request=request, user=user)
    return user


def account_password_reset_send(*, request: HttpRequest, tenant: Tenant, email: str) -> None:
    """Queue one task that emails a reset link if ``tenant`` has an active user with ``email``.

    The request does the same work whoever the address belongs to (no look-up here, one
    task queued), so neither the answer nor its timing tells whether an account exists;
    the worker decides. The link opens ``{FRONTEND_URL}/reset-password?uid=..&token=..``;
    the token is Django's generator (bound to the password hash and last login), so it
    dies with the next password change or sign-in.
    """
    enqueue_after_commit(tasks.send_password_reset, tenant_id=tenant.pk, email=email)


def account_password_reset_confirm(*, request: HttpRequest, user: User, new_password: str) -> User:
    """Set the new password; the emailed link also proves the inbox, so verify the address and lift lockouts."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        EmailAddress.objects.filter(user=user, email=user.email, verified=False).update(verified=True)
    lockout_reset(email=user.email)
    allauth_signals.password_reset.send(sender=User, request=request, user=user)
    return user


# --- email verification --------------------------------------------------------------


def email_verification_send(*, request: HttpRequest | None, address: EmailAddress, signup: bool) -> None:
    """Email the confirmation link, from a worker, after commit (the row must exist when it is clicked)."""
    enqueue_after_commit(
        tasks.send_email_confirmation, tenant_id=address.user.tenant_id, address_id=address.pk, signup=signup
    )


def email_verification_resend(*, request: HttpRequest, tenant: Tenant, email: str) -> None:
    """A new link for an unverified address of ``tenant``; nothing, and no hint of it, otherwise.

    Like the password reset, the request only queues a task, whoever the address belongs to.
    """
    enqueue_after_commit(tasks.resend_email_confirmation, tenant_id=tenant.pk, email=email)


def email_address_verify(*, request: HttpRequest, key: str) -> EmailAddress:
    """Confirm the address a key from our email was issued for (authapp.email_confirmation)."""
    with transaction.atomic():
        address = address_for_key(key)
        # Conditional, so two clicks of one link confirm once.
        if address is None or not EmailAddress.objects.filter(pk=address.pk, verified=False).update(verified=True):
            raise field_error(
                "key", "This confirmation link is invalid, expired or already used.", AuthErrorCode.INVALID_KEY
            )
    address.verified = True
    allauth_signals.email_confirmed.send(sender=EmailAddress, request=request, email_address=address)
    return address
