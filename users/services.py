"""Writes to users and profiles. Each function owns its transaction and validates with full_clean()."""

from __future__ import annotations

import logging
import uuid
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
from fitcore.api.tasks import enqueue_after_commit

from . import registry, tasks
from .emails import InvalidEmail, canonical_email
from .images import ImageErrorCode, ImageTooLarge, InvalidImage, check_profile_image, process_profile_image
from .models import Profile, Tenant, User, profile_image_upload_to
from .selectors import profile_get
from .signals import access_changed

logger = logging.getLogger(__name__)

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

# Uploaded originals wait here, under random names, until a worker has processed them.
# Never under profiles/, and no API response ever names them.
PENDING_IMAGE_PREFIX = "pending/"
# Profile fields that describe the latest upload (see Profile.ImageStatus).
IMAGE_STATE_FIELDS = ["image_pending", "image_status", "image_error_code", "image_error_message"]
IMAGE_PROCESSING_FAILED_MESSAGE = "The image could not be processed; please try again."

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
    """Partial update of profile and settings fields; records when marketing consent was given.

    ``profile`` may be a cached copy (the signed-in user's comes from the principal cache):
    the changes are worked out against the row as it is now, locked, and that row is returned.
    """
    with transaction.atomic():
        current = _profile_for_update(profile)
        changed = _apply(current, data, PROFILE_EDITABLE_FIELDS)
        if not changed:
            return current
        if "marketing_opt_in" in changed:
            current.marketing_opt_in_at = timezone.now() if current.marketing_opt_in else None
            changed.append("marketing_opt_in_at")
        current.full_clean(exclude=["user", "tenant", "image", "image_thumbnail"])
        current.save(update_fields=[*changed, "updated_at"])
        transaction.on_commit(lambda: registry.profile_changed(current.user, changed))
    return current


def user_update(*, user: User, data: dict[str, Any], profile_data: dict[str, Any] | None = None) -> User:
    """Names (and, for managed users, role and is_active) plus the nested profile, in one transaction.

    Like ``profile_update``, compared with the locked row, not with ``user`` (maybe a cached
    copy); the row is returned, its profile attached.
    """
    with transaction.atomic():
        current = User._default_manager.select_for_update().get(pk=user.pk)
        changed = _apply(current, data, MANAGED_USER_EDITABLE_FIELDS)
        if changed:
            current.full_clean(exclude=["password", "tenant", "email"], validate_constraints=False)
            current.save(update_fields=[*changed, "updated_at"])
        profile = profile_get(user=current)
        if profile_data:
            profile = profile_update(profile=profile, data=profile_data)
        current.profile = profile
    return current


def profile_image_set(*, profile: Profile, upload: Any) -> Profile:
    """Accept an upload for processing by a worker; the profile's image changes when the task is done.

    Only the header is checked here (``check_profile_image``: no pixel is decoded in a
    request). The original is stored under a random private name in ``pending/``, the
    profile records it as the upload in progress, and ``users.tasks.process_profile_image``
    is queued after commit (with eager Celery it has run by the time this returns). A
    newer upload supersedes one still pending: its original is deleted and its task,
    should it still run, finds the profile waiting for another file and does nothing.
    """
    check_profile_image(upload)
    pending_name = default_storage.save(f"{PENDING_IMAGE_PREFIX}{profile.tenant_id}/{uuid.uuid4().hex}", upload)
    try:
        with transaction.atomic():
            locked = _profile_for_update(profile)
            superseded = locked.image_pending
            locked.image_pending = pending_name
            locked.image_status = Profile.ImageStatus.PROCESSING
            locked.image_error_code = locked.image_error_message = ""
            locked.save(update_fields=[*IMAGE_STATE_FIELDS, "updated_at"])
            _delete_files_on_commit([superseded])
            enqueue_after_commit(
                tasks.process_profile_image,
                tenant_id=locked.tenant_id,
                profile_id=locked.pk,
                pending_name=pending_name,
            )
    except Exception:
        # Not recorded, so never processed nor deleted by anyone else. (The callbacks above
        # never raise, so an exception here means nothing was committed.)
        _delete_files([pending_name])
        raise
    return locked


def profile_image_process(*, tenant_id: int, profile_id: int, pending_name: str) -> None:
    """The worker's half of an upload (called by ``users.tasks``): decode, clean, and swap in the new image.

    Re-reads the profile, and does nothing unless it is still waiting for ``pending_name``
    (a newer upload or a delete came first; they deleted the original). On success the
    new image and thumbnail replace the old ones (deleted after commit); a damaged file,
    or any other failure, is recorded as ``failed`` with a code and message, and the
    previous image stays. Either way the original is deleted.
    """
    profile = Profile.objects.for_tenant(tenant_id).filter(pk=profile_id, image_pending=pending_name).first()
    if profile is None:
        return
    written: list[str] = []
    try:
        with default_storage.open(pending_name, "rb") as original:
            processed = process_profile_image(original)
        # Stored before the row is locked, so the lock is held only for the swap itself.
        for content in (processed.image, processed.thumbnail):
            written.append(default_storage.save(profile_image_upload_to(profile, content.name or ""), content))
    except (InvalidImage, ImageTooLarge) as exc:
        _image_failed(profile, pending_name, code=exc.code, message=exc.message)
        return
    except Exception as exc:
        if isinstance(exc, FileNotFoundError):
            # A newer upload or a delete removed it meanwhile (then this records nothing), or storage lost it.
            logger.warning("pending profile image %s of profile %s is gone", pending_name, profile_id)
        else:
            # Storage, memory, the task's time limit, a bug: the user can only try again.
            logger.exception("profile image %s of profile %s could not be processed", pending_name, profile_id)
        _delete_files(written)
        _image_failed(
            profile, pending_name, code=ImageErrorCode.IMAGE_PROCESSING_FAILED, message=IMAGE_PROCESSING_FAILED_MESSAGE
        )
        return
    with transaction.atomic():
        locked = _profile_for_update(profile)
        if locked.image_pending != pending_name:  # superseded while we were decoding
            _delete_files(written)
            return
        old_names = [locked.image.name, locked.image_thumbnail.name]
        locked.image, locked.image_thumbnail = written
        locked.image_pending = ""
        locked.image_status = Profile.ImageStatus.READY
        locked.image_error_code = locked.image_error_message = ""
        locked.save(update_fields=["image", "image_thumbnail", *IMAGE_STATE_FIELDS, "updated_at"])
        _delete_files_on_commit([*old_names, pending_name])


def _image_failed(profile: Profile, pending_name: str, *, code: str, message: str) -> None:
    with transaction.atomic():
        locked = _profile_for_update(profile)
        if locked.image_pending != pending_name:
            return
        locked.image_pending = ""
        locked.image_status = Profile.ImageStatus.FAILED
        locked.image_error_code, locked.image_error_message = code, message
        locked.save(update_fields=[*IMAGE_STATE_FIELDS, "updated_at"])
        _delete_files_on_commit([pending_name])


def profile_image_clear(*, profile: Profile) -> Profile:
    """Remove the image and thumbnail, and discard an upload still being processed."""
    with transaction.atomic():
        locked = _profile_for_update(profile)
        names = [locked.image.name, locked.image_thumbnail.name, locked.image_pending]
        if not any(names) and locked.image_status == Profile.ImageStatus.NONE:
            return locked
        locked.image = None
        locked.image_thumbnail = None
        locked.image_pending = ""
        locked.image_status = Profile.ImageStatus.NONE
        locked.image_error_code = locked.image_error_message = ""
        locked.save(update_fields=["image", "image_thumbnail", *IMAGE_STATE_FIELDS, "updated_at"])
        _delete_files_on_commit(names)
    return locked


def _profile_for_update(profile: Profile) -> Profile:
    """The profile's row, locked until the transaction ends: uploads, the task and deletes take turns."""
    return Profile.objects.for_tenant(profile.tenant_id).select_for_update().get(pk=profile.pk)


def _delete_files_on_commit(names: Iterable[str | None]) -> None:
    # After commit: a rolled-back change must still find its files.
    stored = [name for name in names if name]
    if stored:
        transaction.on_commit(lambda: _delete_files(stored))


def _delete_files(names: list[str]) -> None:
    """Best effort: a file left behind is garbage, but failing a committed change over it would be wrong."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("could not delete stored file %s", name)


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
        access_changed.send(sender=User, instance=user)
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
    files = [profile.image.name, profile.image_thumbnail.name, profile.image_pending] if profile else []
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
            # A proof of identity that was not given: 403, like a wrong one. (The body's schema
            # cannot make the password required only for accounts that have one.)
            raise ApplicationError(
                code=ErrorCode.PASSWORD_REQUIRED, message="Enter your password to delete your account.", status=403
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
