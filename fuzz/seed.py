"""The callers a fuzz run acts as, and the data they can reach. Runs inside Django (run.py calls it).

Each authenticated principal gets a tenant of its own, so nothing one principal's run does
(deactivating users, revoking tokens, deleting rows) can take another principal's
credentials away. Domain apps add their seed data here, as functions taking the world.

Prints one JSON document: what fuzz/hooks.py needs to authenticate and which ids exist.
"""

from __future__ import annotations

import json
import sys
from typing import Any

PASSWORD = "fuzz-Passphrase-7c1e"  # noqa: S105 - a throwaway account of a throwaway database


def seed() -> dict[str, Any]:
    from authapp.services import api_key_create
    from fitcore.api.scopes import ALL_SCOPES
    from users.models import Tenant, User
    from users.services import user_create

    def tenant(slug: str) -> Tenant:
        return Tenant.objects.create(slug=slug, name=f"Fuzz {slug}")

    def members(owner: Tenant, count: int) -> list[int]:
        return [user_create(tenant=owner, email=f"member{i}@{owner.slug}.example").pk for i in range(count)]

    def notifications(user_ids: list[int]) -> list[int]:
        from notification.services import notify

        return [
            notify(user=User.objects.get(pk=user_id), type=kind, title=f"Fuzz {kind}", body="Seeded.").pk
            for user_id in user_ids
            for kind in ("system", "partner")
        ]

    def devices(owner: User) -> list[int]:
        from notification.services import device_register

        return [
            device_register(user=owner, platform=platform, token=f"fuzz-{platform}-token")[0].pk
            for platform in ("android", "ios")
        ]

    def plans() -> list[int]:
        from payment.models import Plan

        return [
            Plan.objects.create(
                code=f"fuzz-{interval}",
                name=f"Fuzz {interval}",
                interval=interval,
                stripe_price_id=f"price_fuzz_{interval}",
                amount=999,
                trial_days=7 if interval == "monthly" else 0,
            ).pk
            for interval in ("monthly", "yearly", "lifetime")
        ]

    def ledger(user_ids: list[int]) -> list[int]:
        from payment.models import Transaction

        return [
            Transaction.objects.create(
                tenant_id=User.objects.get(pk=user_id).tenant_id,
                user_id=user_id,
                amount=999,
                currency="usd",
                kind="charge",
                status="succeeded",
                gateway_transaction_id=f"in_fuzz_{user_id}",
            ).pk
            for user_id in user_ids
        ]

    plan_ids = plans()
    key_tenant = tenant("fuzz-key")
    key = api_key_create(tenant=key_tenant, name="fuzz", scopes=list(ALL_SCOPES))
    key_users = members(key_tenant, 3)

    member_tenant = tenant("fuzz-member")
    member = User.objects.create_user("member@fuzz-member.example", PASSWORD, tenant=member_tenant)
    minter = api_key_create(tenant=member_tenant, name="minter", scopes=["users:tokens"])

    admin_tenant = tenant("fuzz-admin")
    admin = User.objects.create_user(
        "admin@fuzz-admin.example", PASSWORD, tenant=admin_tenant, role=User.Role.TENANT_ADMIN
    )
    admin_users = members(admin_tenant, 3)
    admin_keys = [api_key_create(tenant=admin_tenant, name=f"key {i}").api_key.pk for i in range(2)]

    key_notes = notifications(key_users)
    member_notes = notifications([member.pk])
    member_devices = devices(member)
    admin_notes = notifications([admin.pk, *admin_users])
    key_lines, member_lines, admin_lines = ledger(key_users), ledger([member.pk]), ledger([admin.pk, *admin_users])

    return {
        "key": {"api_key": key.secret, "ids": [*key_users, *key_notes, *key_lines, *plan_ids]},
        "member": {
            "user_id": member.pk,
            "minter": minter.secret,
            "ids": [member.pk, *member_notes, *member_devices, *member_lines, *plan_ids],
        },
        "admin": {
            "email": admin.email,
            "password": PASSWORD,
            "tenant": admin_tenant.slug,
            "ids": [admin.pk, *admin_users, *admin_keys, *admin_notes, *admin_lines, *plan_ids],
        },
        "anon": {"ids": []},
    }


if __name__ == "__main__":
    import django

    django.setup()
    json.dump(seed(), sys.stdout)
