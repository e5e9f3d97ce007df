"""Onboard a partner: ``manage.py create_tenant SLUG --name NAME [--admin-email E] [--api-key [--scopes ...]]``.

Idempotent on the slug. With --api-key, the new key's secret is the last line of output
and is printed nowhere else.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify

from fitcore.api.exceptions import ApplicationError
from users.emails import InvalidEmail, canonical_email
from users.models import Tenant, User
from users.services import user_create

from ...services import api_key_create


class Command(BaseCommand):
    help = "Create a tenant (idempotent on slug), optionally its first tenant admin and an API key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--plan", choices=Tenant.Plan.values, default=Tenant.Plan.FREE)
        parser.add_argument(
            "--admin-email", help="Create (or promote) this tenant admin; they set a password by reset."
        )
        parser.add_argument("--api-key", action="store_true", help="Issue an API key and print its secret last.")
        parser.add_argument("--key-name", default="default")
        parser.add_argument(
            "--scopes",
            nargs="+",
            help="Restrict the key (default: every scope but users:tokens, which is granted only by name).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["slug"].strip().lower()
        if slug != slugify(slug):
            raise CommandError(f"{slug!r} is not a valid slug (lowercase letters, digits and hyphens).")
        if options["scopes"] and not options["api_key"]:
            raise CommandError("--scopes applies to --api-key.")
        with transaction.atomic():
            tenant, created = Tenant.objects.get_or_create(
                slug=slug, defaults={"name": options["name"], "plan": options["plan"]}
            )
            self.stdout.write(f"Tenant {tenant.slug} ({tenant.name}): {'created' if created else 'already exists'}.")
            if options["admin_email"]:
                self._ensure_admin(tenant, options["admin_email"])
            if not options["api_key"]:
                return
            try:
                issued = api_key_create(tenant=tenant, name=options["key_name"], scopes=options["scopes"])
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
        self.stdout.write(f"API key {issued.api_key.prefix}… scopes: {' '.join(issued.api_key.scopes)}")
        self.stdout.write("Store this secret now; it is not shown again:")
        self.stdout.write(issued.secret)

    def _ensure_admin(self, tenant: Tenant, email: str) -> None:
        try:
            email = canonical_email(email)
        except InvalidEmail as exc:
            raise CommandError(f"--admin-email: {exc.message}") from None
        user = User.objects.for_tenant(tenant).filter(email=email).first()
        if user is None:
            # Through the service: it also records the unverified address, which
            # mandatory email verification needs before the admin can sign in.
            user_create(tenant=tenant, email=email, role=User.Role.TENANT_ADMIN)
            self.stdout.write(f"Tenant admin {email}: created (no password yet; use password reset).")
        elif user.role != User.Role.TENANT_ADMIN:
            user.role = User.Role.TENANT_ADMIN
            user.save(update_fields=["role", "updated_at"])
            self.stdout.write(f"Tenant admin {email}: promoted.")
        else:
            self.stdout.write(f"Tenant admin {email}: already exists.")
