"""Writes to users and profiles. Each function owns its transaction and validates with full_clean()."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, RestrictedError
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from fitcore.api.exceptions import ApplicationError

from . import registry
from .emails import InvalidEmail, canonical_email
from .images import process_profile_image
from .models import Profile, Tenant, User
from .selectors import profile_get

# A social-only account proves it is really its owner with a token this fresh.
RECENT_LOGIN_WINDOW = timedelta(minutes=5)


class ErrorCode(StrEnum):
    EMAIL_TAKEN = "email_taken"
    PASSWORD_REQUIRED = "password_required"  # noqa: S105 - an error code, not a secret
    PASSWORD_INCORRECT = "password_incorrect"  # noqa: S105 - an error code, not a secret
    RECENT_LOGIN_REQUIRED = "recent_login_required"
    ACCOUNT_DELETION_BLOCKED = "account_deletion_blocked"
    USER_INACTIVE = "user_inactive"
    MINT_FOR_MEMBERS_ONLY = "mint_for_members_only"


EMAIL_TAKEN_MESSAGE = "A user with this email already exists in this tenant."

USER_EDITABLE_FIELDS = frozenset({"first_name", "last_name"})
MANAGED_USER_EDITABLE_FIELDS = USER_EDITABLE_FIELDS | {"role", "is_active"}
PROFILE_EDITABLE_FIELDS = frozenset(
    {
        "birth_date",
        "sex",
        "height_cm",
        "weight_kg",
        "activity_level",
        "fitness_goal",
        "dietary_pattern",
        "allergens",
        "excluded_foods",
        "units",
        "timezone",
        "language",
        "marketing_opt_in",
    }
)


def _email_taken_error() -> ApplicationError:
    return ApplicationError(
        code=ErrorCode.EMAIL_TAKEN,
        message=EMAIL_TAKEN_MESSAGE,
        status=400,
        errors=[{"field": "email", "code": ErrorCode.EMAIL_TAKEN, "message": EMAIL_TAKEN_MESSAGE}],
    )


def _canonical_or_error(email: str) -> str:
    try:
        return canonical_email(email)
    except InvalidEmail as exc:
        raise ValidationError({"email": ValidationError(exc.message, code=exc.code)}) from None


def _apply(instance: Any, data: dict[str, Any], allowed: Iterable[str]) -> list[str]:
    """Set the allowed fields that actually change; returns their names for update_fields."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")  # a caller bug, not user input
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, data[name])
    return changed


# --- profile ------------------------------------------------------------------------


def profile_update(*, profile: Profile, data: dict[str, Any]) -> Profile:
    """Partial update of profile and settings fields; records when marketing consent was given."""
    changed = _apply(profile, data, PROFILE_EDITABLE_FIELDS)
    if not changed:
        return profile
    if "marketing_opt_in" in changed:
        profile.marketing_opt_in_at = timezone.now() if profile.marketing_opt_in else None
        changed.append("marketing_opt_in_at")
    profile.full_clean(exclude=["user", "tenant", "image", "image_thumbnail"])
    with transaction.atomic():
        profile.save(update_fields=[*changed, "updated_at"])
    return profile


def user_update(*, user: User, data: dict[str, Any], profile_data: dict[str, Any] | None = None) -> User:
    """Names (and, for managed users, role and is_active) plus the nested profile, in one transaction."""
    changed = _apply(user, data, MANAGED_USER_EDITABLE_FIELDS)
    with transaction.atomic():
        if changed:
            user.full_clean(exclude=["password", "tenant", "email"], validate_constraints=False)
            user.save(update_fields=[*changed, "updated_at"])
        if profile_data:
            profile_update(profile=profile_get(user=user), data=profile_data)
    return user


def profile_image_set(*, profile: Profile, upload: Any) -> Profile:
    """Validate, clean and store a new image and thumbnail; the old files go once the change commits."""
    processed = process_profile_image(upload)
    old_names = [name for name in (profile.image.name, profile.image_thumbnail.name) if name]
    with transaction.atomic():
        # save=False: both files are written to storage, then the row once.
        profile.image.save(processed.image.name or "image", processed.image, save=False)
        profile.image_thumbnail.save(processed.thumbnail.name or "thumbnail", processed.thumbnail, save=False)
        profile.save(update_fields=["image", "image_thumbnail", "updated_at"])
        _delete_files_on_commit(old_names)
    return profile


def profile_image_clear(*, profile: Profile) -> Profile:
    old_names = [name for name in (profile.image.name, profile.image_thumbnail.name) if name]
    if not old_names:
        return profile
    with transaction.atomic():
        profile.image = None
        profile.image_thumbnail = None
        profile.save(update_fields=["image", "image_thumbnail", "updated_at"])
        _delete_files_on_commit(old_names)
    return profile


def _delete_files_on_commit(names: list[str]) -> None:
    # After commit: a rolled-back change must still find its files.
    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete)


# --- tenant user management ---------------------------------------------------------


def user_create(
    *,
    tenant: Tenant,
    email: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    role: str = User.Role.MEMBER,
) -> User:
    """An end user of ``tenant``; without a password the account can only sign in through its partner or social login.

    The Profile is created by the post_save signal in the same transaction, and so is
    an unverified primary email address: without it, a tenant requiring verified emails
    (ACCOUNT_EMAIL_VERIFICATION=mandatory) would lock the user out with no way to ask
    for a confirmation link.
    """
    email = _canonical_or_error(email)
    if User.objects.for_tenant(tenant).filter(email=email).exists():
        raise _email_taken_error()
    candidate = User(tenant=tenant, email=email, first_name=first_name, last_name=last_name, role=role)
    if password is not None:
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise ValidationError({"password": exc.error_list}) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, tenant=tenant, first_name=first_name, last_name=last_name, role=role
            )
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
            return user
    except IntegrityError:
        # A concurrent request created the same email between our check and the insert.
        raise _email_taken_error() from None


def user_tokens_issue(*, user: User) -> dict[str, str]:
    """A JWT pair for ``user``, so a partner backend can sign its user into its app.

    Only ever for an active member: a token minted for a tenant admin would hand its
    holder the admin's powers (managing keys and users), so nobody mints one, not
    even an admin for themselves; admins sign in with their own credentials. Who may
    call this is the view's business (an API key holding ``users:tokens`` by name, or a
    tenant admin). Minted by authapp's issuer, registered in users.registry.
    """
    if user.is_tenant_admin or user.is_staff or user.is_superuser:
        raise ApplicationError(
            code=ErrorCode.MINT_FOR_MEMBERS_ONLY,
            message="Tokens can be minted for members only, never for a tenant admin.",
            status=403,
        )
    if not user.is_active:
        raise ApplicationError(
            code=ErrorCode.USER_INACTIVE, message="This user is deactivated; activate it first.", status=409
        )
    return registry.issue_tokens(user)


def user_sign_out_everywhere(*, user: User) -> User:
    """Retire every token issued to ``user`` so far, access and refresh, on every device, for good.

    Bumps ``auth_generation`` (authentication refuses tokens of an older generation) and
    blacklists the outstanding refresh tokens too, so they also show as revoked.
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(auth_generation=F("auth_generation") + 1)
        outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
        )
    user.refresh_from_db(fields=["auth_generation"])
    return user


def user_delete(*, user: User) -> None:
    """Delete the user and everything that cascades from it, in one transaction.

    Refresh tokens are blacklisted first; access tokens fail on their own once the row
    is gone (authentication reads the user on every request). Image files are removed
    after the commit.
    """
    profile = Profile.unscoped.filter(user=user).first()
    files = [name for name in (profile.image.name, profile.image_thumbnail.name) if name] if profile else []
    try:
        with transaction.atomic():
            outstanding = OutstandingToken.objects.filter(user=user)
            BlacklistedToken.objects.bulk_create(
                [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
            )
            user.delete()
            _delete_files_on_commit(files)
    except (ProtectedError, RestrictedError):
        raise ApplicationError(
            code=ErrorCode.ACCOUNT_DELETION_BLOCKED,
            message="This account still has records that must be kept (e.g. billing); contact support.",
            status=409,
        ) from None


def user_account_delete(
    *, request: HttpRequest, user: User, password: str | None, token_issued_at: datetime | None
) -> None:
    """Self-service deletion: the caller proves again that they are the owner.

    With a usable password it must be given, and it is checked like a sign-in
    (``django.contrib.auth.authenticate`` with the Django ``request``), so django-axes
    counts failures and a locked-out client gets 429 from its middleware. A social-only
    account has no password, so its proof is a token issued within ``RECENT_LOGIN_WINDOW``.
    """
    if user.has_usable_password():
        if not password:
            message = "Enter your password to delete your account."
            raise ApplicationError(
                code=ErrorCode.PASSWORD_REQUIRED,
                message=message,
                status=400,
                errors=[{"field": "password", "code": "required", "message": message}],
            )
        checked = authenticate(request, email=user.email, password=password, tenant=user.tenant)
        if checked is None or checked.pk != user.pk:
            raise ApplicationError(code=ErrorCode.PASSWORD_INCORRECT, message="The password is incorrect.", status=403)
    elif token_issued_at is None or timezone.now() - token_issued_at > RECENT_LOGIN_WINDOW:
        raise ApplicationError(
            code=ErrorCode.RECENT_LOGIN_REQUIRED,
            message="Sign in again, then delete your account within 5 minutes.",
            status=403,
        )
    user_delete(user=user)
