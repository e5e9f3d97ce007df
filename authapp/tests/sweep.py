"""Isolation sweep cases for the routes authapp serves (see fitcore/tests/sweep.py)."""

from authapp.services import api_key_create
from fitcore.tests import sweep


@sweep.seeder
def seed_api_keys(world: sweep.World) -> None:
    issued = api_key_create(tenant=world.a, name=world.marker("key"), created_by=world.a_admin)
    world.objects["api_key"] = issued.api_key
    world.markers.add(issued.api_key.prefix)
    world.markers.add(issued.secret)


def _api_key(world: sweep.World) -> dict[str, int]:
    return {"pk": world.objects["api_key"].pk}


sweep.route("tenant:api-key-list", payload=lambda w: {"name": "b-key"}, payload_names_foreign=False)
sweep.route("tenant:api-key-detail", kwargs=_api_key)
sweep.route("tenant:api-key-revoke", kwargs=_api_key)
sweep.route("tenant:api-key-rotate", kwargs=_api_key)


# --- sign-in routes: public, tenant chosen by X-Tenant ---------------------------------
# Called as tenant B's app (X-Tenant: B) naming tenant A's users: an email is unique only
# within a tenant, so none of these may find, sign in, reset or verify A's accounts.

STRONG_PASSWORD = "a-Quite-long-passphrase-42"


def _tenant_b(world: sweep.World) -> dict[str, str]:
    return {"X-Tenant": world.b.slug}


def _reset_confirm_for_a(world: sweep.World) -> dict[str, str]:
    from allauth.account.utils import user_pk_to_url_str

    return {
        "uid": user_pk_to_url_str(world.a_user),
        "token": "forged",
        "new_password1": STRONG_PASSWORD,
        "new_password2": STRONG_PASSWORD,
    }


sweep.route(
    "authapp:register",
    headers=_tenant_b,
    payload=lambda w: {"email": "sweep-new@b.example", "password": STRONG_PASSWORD},
    payload_names_foreign=False,
)
sweep.route("authapp:login", headers=_tenant_b, payload=lambda w: {"email": w.a_user.email, "password": "x" * 12})
sweep.route("authapp:logout")
# Signs B's own callers out everywhere, so it runs after every other call of the sweep.
sweep.route("authapp:logout-all", last=True)
sweep.route("authapp:token-refresh")
sweep.route("authapp:password-change")
# Always 200 (no account enumeration); must not touch A's rows or echo A's data.
sweep.route(
    "authapp:password-reset",
    headers=_tenant_b,
    payload=lambda w: {"email": w.a_user.email},
    payload_names_foreign=False,
)
sweep.route("authapp:password-reset-confirm", headers=_tenant_b, payload=_reset_confirm_for_a)
sweep.route("authapp:email-verify", payload=lambda w: {"key": "forged"})
sweep.route(
    "authapp:email-resend", headers=_tenant_b, payload=lambda w: {"email": w.a_user.email}, payload_names_foreign=False
)
for _provider in ("google", "apple"):
    sweep.route(
        f"authapp:{_provider}-login",
        headers=_tenant_b,
        payload=lambda w: {"id_token": "not-a-jwt"},
        payload_names_foreign=False,
    )
