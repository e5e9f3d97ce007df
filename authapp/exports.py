"""What authapp contributes to a user's personal-data export."""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount


def sign_in_export(user: Any) -> dict[str, Any]:
    """Email addresses and linked Google/Apple identities (no tokens, no secrets)."""
    return {
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "linked_identities": [
            {
                "provider": s.provider,
                # The stored uid is tenant-qualified; the person knows the provider's own id.
                "subject": s.extra_data.get("sub") or s.uid.split(":", 1)[-1],
                "linked_at": s.date_joined,
                "last_sign_in": s.last_login,
            }
            for s in SocialAccount.objects.filter(user=user).order_by("pk")
        ],
    }
