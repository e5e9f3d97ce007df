"""Account emails, sent by a worker: a slow or failing mail server must not show in (or break) the request.

Tasks take ids and tenant ids, and re-read their rows: by the time a worker runs, the
address may be verified or the user deactivated, and then nothing is sent.
"""

import smtplib

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from celery import shared_task

from users.emails import canonical_email_or_none
from users.models import User

from .adapters import frontend_url
from .email_confirmation import confirmation_key

# A mail server that refuses or times out is worth a few retries; a template bug is not.
_RETRY = {"autoretry_for": (smtplib.SMTPException, OSError), "retry_backoff": True, "max_retries": 5}


@shared_task(name="authapp.send_email_confirmation", **_RETRY)
def send_email_confirmation(*, tenant_id: int, address_id: int, signup: bool) -> None:
    address = (
        EmailAddress.objects.select_related("user__tenant")
        .filter(pk=address_id, user__tenant_id=tenant_id, user__is_active=True, verified=False)
        .first()
    )
    if address is None:
        return
    context = {
        "user": address.user,
        "activate_url": frontend_url("verify-email", key=confirmation_key(address)),
    }
    template = "account/email/email_confirmation_signup" if signup else "account/email/email_confirmation"
    get_account_adapter(None).send_mail(template, address.email, context)


@shared_task(name="authapp.resend_email_confirmation", **_RETRY)
def resend_email_confirmation(*, tenant_id: int, email: str) -> None:
    """A new link if ``email`` is an unverified address of an active user of the tenant; else nothing."""
    canonical = canonical_email_or_none(email)
    address = (
        EmailAddress.objects.filter(
            user__tenant_id=tenant_id, user__is_active=True, email=canonical, verified=False
        ).first()
        if canonical
        else None
    )
    if address is not None:
        send_email_confirmation(tenant_id=tenant_id, address_id=address.pk, signup=False)


@shared_task(name="authapp.send_password_reset", **_RETRY)
def send_password_reset(*, tenant_id: int, email: str) -> None:
    """The reset link, if ``email`` names an active user of the tenant; the request never looked."""
    canonical = canonical_email_or_none(email)
    if canonical is None:
        return
    user = User.objects.for_tenant(tenant_id).select_related("tenant").filter(email=canonical, is_active=True).first()
    if user is None:
        return
    uid = user_pk_to_url_str(user)
    # Made here, not in the request: Django's token embeds the time it was made.
    token = default_token_generator.make_token(user)
    context = {
        "user": user,
        "uid": uid,
        "token": token,
        "password_reset_url": frontend_url("reset-password", uid=uid, token=token),
    }
    get_account_adapter(None).send_mail("account/email/password_reset_key", user.email, context)
