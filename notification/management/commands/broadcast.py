"""Send a system notification to every active user of a tenant, with a progress bar.

    python manage.py broadcast --tenant acme --title "Maintenance tonight" --body "From 22:00 to 23:00 UTC."

The same service the admin's Broadcast page queues as a task; here it runs in this process,
so an operator sees it through. Re-running with ``--resume <id>`` finishes a broadcast that
stopped half way, without sending anyone a second copy.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from notification.models import Broadcast
from notification.services import broadcast_run
from users.models import Tenant


def progress_bar(done: int, total: int, width: int = 40) -> str:
    filled = width if total == 0 else width * done // total
    percent = 100 if total == 0 else 100 * done // total
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({percent}%)"


class Command(BaseCommand):
    help = "Send a system notification to every active user of a tenant (progress shown as it goes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="The tenant's slug.")
        parser.add_argument("--title")
        parser.add_argument("--body")
        parser.add_argument("--link", default="", help="A path of the app or a URL to open.")
        parser.add_argument("--resume", type=int, help="Finish the broadcast with this id instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resume"] is not None:
            broadcast = Broadcast.unscoped.filter(pk=options["resume"]).first()
            if broadcast is None:
                raise CommandError(f"No broadcast {options['resume']}.")
        else:
            missing = [name for name in ("tenant", "title", "body") if not options[name]]
            if missing:
                raise CommandError(f"Give --{', --'.join(missing)} (or --resume <id>).")
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
            if tenant is None:
                raise CommandError(f"No tenant {options['tenant']!r}.")
            broadcast = Broadcast(tenant=tenant, title=options["title"], body=options["body"], link=options["link"])
            try:
                broadcast.full_clean()
            except ValidationError as error:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from None
            broadcast.save()
        interactive = sys.stdout.isatty()

        def show(done: int, total: int) -> None:
            line = progress_bar(done, total)
            if interactive:
                self.stdout.write(f"\r{line}", ending="")
                self.stdout.flush()
            else:
                self.stdout.write(line)

        result = broadcast_run(broadcast_id=broadcast.pk, progress=show)
        if interactive:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Broadcast {result.pk}: {result.sent} of {result.total} users notified."))
