"""Delete stored Idempotency-Key responses past their 24 hours; run it from a daily job."""

from django.core.management.base import BaseCommand

from tasks.api.idempotency import prune_expired


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than 24 hours."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Deleted {prune_expired()} expired idempotency record(s).")
