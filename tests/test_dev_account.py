"""`manage.py ensure_dev_account`: a first login for a newcomer, never a known password."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db

PASSWORD_LINE = re.compile(r"^\s*password: (\S+)$", re.MULTILINE)


def ensure_dev_account(*args: str) -> str:
    out = StringIO()
    call_command("ensure_dev_account", *args, stdout=out)
    return out.getvalue()


def printed_password(output: str) -> str:
    passwords = PASSWORD_LINE.findall(output)
    assert len(passwords) == 1, output
    return passwords[0]


def test_with_debug_on_and_no_users_it_creates_a_superuser_and_prints_the_password(settings):
    settings.DEBUG = True

    password = printed_password(ensure_dev_account())

    admin = get_user_model().objects.get()
    assert (admin.username, admin.is_superuser, admin.is_staff) == ("admin", True, True)
    assert admin.check_password(password)
    assert len(password) >= 12


def test_the_username_can_be_chosen(settings):
    settings.DEBUG = True

    ensure_dev_account("--username", "dev")

    assert get_user_model().objects.get().username == "dev"


def test_two_fresh_databases_get_different_passwords(settings):
    settings.DEBUG = True
    first = printed_password(ensure_dev_account())
    get_user_model().objects.all().delete()

    second = printed_password(ensure_dev_account())

    assert first != second
    assert get_user_model().objects.get().check_password(second)


def test_it_names_the_accounts_tasks_by_its_local_user_id(settings):
    settings.DEBUG = True

    output = ensure_dev_account()

    admin = get_user_model().objects.get()
    assert f"/api/local:{admin.pk}/tasks" in output


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        ensure_dev_account()

    assert not get_user_model().objects.exists()


def test_it_does_nothing_when_a_user_exists(settings, alice):
    settings.DEBUG = True

    output = ensure_dev_account()

    assert list(get_user_model().objects.all()) == [alice]
    assert not PASSWORD_LINE.search(output)
    alice.refresh_from_db()
    assert alice.check_password("alice-pass-123!")
    assert not alice.is_superuser
