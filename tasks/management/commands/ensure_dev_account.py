"""Give a newcomer on the embedded default a first account to log in with.

Creates a superuser with a fresh random password, printed once, when DEBUG is on
and no user exists yet. It refuses to run with DEBUG off: production accounts are
made with `createsuperuser`, never with a password someone else has seen.
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tasks.identity.principal import principal_id


class Command(BaseCommand):
    help = "With DEBUG on and no users yet, create a superuser with a random password and print it."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Refusing to create a development account with DEBUG off.")
        User = get_user_model()
        if User.objects.exists():
            self.stdout.write("Accounts exist already; `manage.py changepassword NAME` resets a password.")
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email="", password=password)
        base = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        banner = "=" * 64
        self.stdout.write(
            self.style.SUCCESS(
                f"{banner}\nDevelopment account created (shown only this once):\n"
                f"  username: {username}\n  password: {password}\n"
                f"Log in at {base}/admin/ or {base}/api-auth/login/\n"
                f"Its tasks: {base}/api/{principal_id(user)}/tasks (or {base}/api/me/tasks)\n{banner}"
            )
        )
