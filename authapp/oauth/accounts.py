"""Who a verified id_token signs in as, inside one tenant: its linked user, a same-email user, or a new one.

Tenant-scoped links
-------------------
allauth's ``SocialAccount`` is unique on ``(provider, uid)`` across the whole
database, yet one Google account may sign into two tenants' apps and must become
two separate users there. So the uid we store is ``"<tenant id>:<sub>"`` (the bare
``sub`` stays in ``extra_data``). The tenant's id, not its slug: slugs can be
renamed, ids cannot. Every social sign-in therefore goes through this module;
allauth's own browser flow, which would store the bare ``sub``, is not mounted.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account import signals as allauth_signals
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import IntegrityError, transaction

from users.emails import canonical_email_or_none
from users.models import Tenant, User

from .errors import SocialErrorCode, refused
from .id_tokens import NAME_MAX_LENGTH, VerifiedIdentity


@dataclass(frozen=True)
class SocialSignIn:
    user: User
    created: bool


def social_account_uid(*, tenant: Tenant, subject: str) -> str:
    return f"{tenant.pk}:{subject}"


def social_sign_in(
    *, tenant: Tenant, identity: VerifiedIdentity, first_name: str = "", last_name: str = ""
) -> SocialSignIn:
    """Find or create the tenant's user for ``identity`` and make sure the link exists.

    1. A link for (tenant, provider, sub) exists: that user.
    2. Else a user of the tenant has the token's email, and the provider says it is
       verified: link that user. If that user had never verified the address, the
       password is made unusable (and with it every token issued so far): whoever
       set it may be someone who registered the address first to hijack the account
       later. Staff accounts are made by us, so theirs is kept.
    3. Else a new user in the tenant: unusable password, verified primary email.

    ``first_name``/``last_name`` (Apple sends them beside the token, once) win over
    the token's names for a new user and fill blanks of an existing one.
    """
    try:
        with transaction.atomic():
            result = _sign_in(tenant=tenant, identity=identity, first_name=first_name, last_name=last_name)
    except IntegrityError:
        # Two first sign-ins of one person raced (unique uid, or unique email per tenant):
        # the winner's link is committed now, so looking again finds it.
        with transaction.atomic():
            result = _sign_in(tenant=tenant, identity=identity, first_name=first_name, last_name=last_name)
    if result.created:
        # As for an email sign-up (authapp.services.accounts.account_register): welcome and the like.
        allauth_signals.user_signed_up.send(sender=User, request=None, user=result.user)
    return result


def _sign_in(*, tenant: Tenant, identity: VerifiedIdentity, first_name: str, last_name: str) -> SocialSignIn:
    first_name = first_name.strip()[:NAME_MAX_LENGTH] or identity.first_name
    last_name = last_name.strip()[:NAME_MAX_LENGTH] or identity.last_name
    uid = social_account_uid(tenant=tenant, subject=identity.subject)
    account = (
        SocialAccount.objects.select_related("user")
        .filter(provider=identity.provider.id, uid=uid, user__tenant=tenant)
        .first()
    )
    if account is not None:
        user: User = account.user
        _ensure_active(user)
        account.extra_data = identity.claims
        account.save(update_fields=["extra_data", "last_login"])
        _fill_blank_names(user, first_name=first_name, last_name=last_name)
        return SocialSignIn(user=user, created=False)

    email = _verified_email(identity)
    existing = User.objects.for_tenant(tenant).select_for_update().filter(email=email).first()
    if existing is not None:
        _ensure_active(existing)
        _verify_address_of(existing, email=email)
        _fill_blank_names(existing, first_name=first_name, last_name=last_name)
        _link(existing, identity=identity, uid=uid)
        return SocialSignIn(user=existing, created=False)

    user = User.objects.create_user(
        email=email, password=None, tenant=tenant, first_name=first_name, last_name=last_name
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    _link(user, identity=identity, uid=uid)
    return SocialSignIn(user=user, created=True)


def _verified_email(identity: VerifiedIdentity) -> str:
    """Linking or creating by email needs an address the provider has verified, in its canonical form."""
    email = canonical_email_or_none(identity.email)
    if email is None:
        raise refused(
            SocialErrorCode.EMAIL_MISSING,
            f"{identity.provider.name} did not share a usable email address; allow it and sign in again.",
        )
    if not identity.email_verified:
        raise refused(
            SocialErrorCode.EMAIL_UNVERIFIED,
            f"{identity.provider.name} has not verified {email}; verify it there first.",
        )
    return email


def _ensure_active(user: User) -> None:
    if not user.is_active:
        raise refused(SocialErrorCode.USER_INACTIVE, "This account is disabled.")


def _verify_address_of(user: User, *, email: str) -> None:
    addresses = EmailAddress.objects.filter(user=user)
    address = addresses.filter(email=email).first()
    if (address is None or not address.verified) and not user.is_staff and user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if address is None:
        EmailAddress.objects.create(
            user=user, email=user.email, verified=True, primary=not addresses.filter(primary=True).exists()
        )
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


def _link(user: User, *, identity: VerifiedIdentity, uid: str) -> None:
    SocialAccount.objects.create(user=user, provider=identity.provider.id, uid=uid, extra_data=identity.claims)


def _fill_blank_names(user: User, *, first_name: str, last_name: str) -> None:
    changed = []
    if first_name and not user.first_name:
        user.first_name = first_name
        changed.append("first_name")
    if last_name and not user.last_name:
        user.last_name = last_name
        changed.append("last_name")
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
