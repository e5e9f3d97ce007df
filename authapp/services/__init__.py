"""authapp's writes: API keys and account flows (one module each, re-exported here)."""

from .accounts import (
    account_authenticate,
    account_password_change,
    account_password_check,
    account_password_reset_confirm,
    account_password_reset_send,
    account_register,
    email_address_verify,
    email_is_verified,
    email_verification_mandatory,
    email_verification_method,
    email_verification_resend,
    email_verification_send,
)
from .api_keys import IssuedKey, api_key_create, api_key_revoke, api_key_rotate

__all__ = [
    "IssuedKey",
    "account_authenticate",
    "account_password_change",
    "account_password_check",
    "account_password_reset_confirm",
    "account_password_reset_send",
    "account_register",
    "api_key_create",
    "api_key_revoke",
    "api_key_rotate",
    "email_address_verify",
    "email_is_verified",
    "email_verification_mandatory",
    "email_verification_method",
    "email_verification_resend",
    "email_verification_send",
]
