"""Sign-in turns: each process checks SIGN_IN_HASHES_AT_ONCE passwords at a time and lets
SIGN_IN_QUEUE more sign-ins wait for a turn; a sign-in beyond them is a 429 with
Retry-After before its password is hashed, at POST /api/auth/token and at both login
forms. Sign-ins at the same moment queue and all succeed; a username that signed in from
an address before has a lane of its own."""

from __future__ import annotations

import threading
import time
from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.test import Client, RequestFactory

from tasks.identity import sign_in_turns
from tasks.identity.sign_in_turns import SignInBusy, Turns, TurnTakingModelBackend, lane

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/auth/token"
RIGHT = "alice-pass-123!"
# Bounds a test's waits for its own threads; never an assertion on time.
SETTLE = 10.0


@pytest.fixture(autouse=True)
def fresh_turns():
    """New turns, and no address known from an earlier test (the cache may be Redis)."""
    cache.clear()
    sign_in_turns.reset_lanes()
    yield
    sign_in_turns.reset_lanes()


def sign_in(client, username: str, password: str, address: str = "198.51.100.1"):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def queued(turns: Turns, count: int) -> None:
    """Wait (bounded) until `count` sign-ins are inside `turns`, hashing or waiting."""
    for _ in range(int(SETTLE / 0.001)):
        if turns.inside() >= count:
            return
        time.sleep(0.001)
    raise AssertionError("the sign-ins never queued")


def hold_every_turn(name: str = "new"):
    """Take all of a lane's turns from this thread (a flood in progress)."""
    turns = lane(name)
    holds = []
    while True:
        hold = turns.turn(wait_seconds=0)
        try:
            hold.__enter__()
        except SignInBusy:
            return holds
        holds.append(hold)


def release(holds) -> None:
    for hold in holds:
        hold.__exit__(None, None, None)


def test_two_sign_ins_at_the_same_moment_both_succeed(settings, monkeypatch, alice):
    """The first one's password is being checked when the second arrives: with the default
    turns it waits for its own, and both sign in."""
    settings.SIGN_IN_WAIT_SECONDS = SETTLE
    first_inside, let_first_finish = threading.Event(), threading.Event()
    real_authenticate = ModelBackend.authenticate

    def checking(self, request, username=None, password=None, **kwargs):
        if username == "first":
            first_inside.set()
            let_first_finish.wait(SETTLE)
        return alice

    monkeypatch.setattr(ModelBackend, "authenticate", checking)
    users: dict[str, object] = {}

    def sign_in_as(name: str, address: str) -> None:
        request = RequestFactory().post("/api/auth/token", REMOTE_ADDR=address)
        users[name] = TurnTakingModelBackend().authenticate(request, username=name, password="right")

    first = threading.Thread(target=sign_in_as, args=("first", "203.0.113.1"))
    second = threading.Thread(target=sign_in_as, args=("second", "203.0.113.2"))
    first.start()
    assert first_inside.wait(SETTLE)
    second.start()
    queued(lane("new"), 2)
    let_first_finish.set()
    first.join(SETTLE)
    second.join(SETTLE)
    monkeypatch.setattr(ModelBackend, "authenticate", real_authenticate)

    assert users == {"first": alice, "second": alice}


def three_at_once(turns: Turns) -> dict[str, str]:
    """A sign-in hashing, one waiting (the room to wait is full), then a third: what each
    got, once all are done."""
    outcomes: dict[str, str] = {}
    hashing, finish = threading.Event(), threading.Event()

    def attempt(name: str) -> None:
        try:
            with turns.turn(wait_seconds=SETTLE):
                hashing.set()
                finish.wait(SETTLE)
            outcomes[name] = "signed in"
        except SignInBusy:
            outcomes[name] = "refused"

    first = threading.Thread(target=attempt, args=("first",))
    first.start()
    assert hashing.wait(SETTLE)
    second = threading.Thread(target=attempt, args=("second",))
    second.start()
    queued(turns, 2)
    third = threading.Thread(target=attempt, args=("third",))
    third.start()
    for _ in range(int(SETTLE / 0.001)):  # the third is refused or waits
        if "third" in outcomes or turns.inside() == 3:
            break
        time.sleep(0.001)
    finish.set()
    for thread in (first, second, third):
        thread.join(SETTLE)
    return outcomes


def test_a_sign_in_beyond_the_queue_also_waits_while_no_flood_is_on():
    turns = Turns(at_once=1, waiting=1)

    assert three_at_once(turns) == {"first": "signed in", "second": "signed in", "third": "signed in"}
    # Then a flood may be starting: for a while the queue is kept to.
    assert three_at_once(turns)["third"] == "refused"


def test_during_a_flood_a_sign_in_beyond_the_queue_is_refused_at_once():
    turns = Turns(at_once=1, waiting=1)
    with turns.turn(wait_seconds=0), pytest.raises(SignInBusy), turns.turn(wait_seconds=0):
        pass  # a wait that ran out: a flood is on

    assert three_at_once(turns) == {"first": "signed in", "second": "signed in", "third": "refused"}


def test_a_sign_in_whose_wait_runs_out_is_refused():
    turns = Turns(at_once=1, waiting=1)
    with turns.turn(wait_seconds=0), pytest.raises(SignInBusy), turns.turn(wait_seconds=0.01):
        pass


def test_hashes_at_once_is_how_many_turns_run_together(settings):
    settings.SIGN_IN_HASHES_AT_ONCE, settings.SIGN_IN_QUEUE = 2, 0
    with (
        lane("new").turn(wait_seconds=0),
        lane("new").turn(wait_seconds=0),
        pytest.raises(SignInBusy),
        lane("new").turn(wait_seconds=0),
    ):
        pass


def test_the_token_endpoint_answers_429_with_retry_after_before_hashing(
    settings, alice, anon_client, hashings
):
    settings.SIGN_IN_WAIT_SECONDS = 0
    holds = hold_every_turn()
    try:
        busy = sign_in(anon_client, "alice", RIGHT)
    finally:
        release(holds)

    assert busy.status_code == HTTPStatus.TOO_MANY_REQUESTS, busy.content
    assert busy["Retry-After"] == "1"
    assert busy.json()["detail"].startswith("Too many sign-ins at this moment")
    assert hashings == []
    assert not AccessAttempt.objects.exists()  # not a wrong password: nothing counted
    assert sign_in(anon_client, "alice", RIGHT).status_code == HTTPStatus.OK


@pytest.mark.parametrize("login_url", ["/admin/login/", "/api-auth/login/"])
def test_the_login_forms_answer_429_with_retry_after(settings, alice, login_url, hashings):
    settings.SIGN_IN_WAIT_SECONDS = 0
    holds = hold_every_turn()
    try:
        busy = Client().post(login_url, {"username": "alice", "password": RIGHT, "next": "/admin/"})
    finally:
        release(holds)

    assert busy.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert busy["Retry-After"] == "1"
    assert busy["Content-Type"].startswith("text/plain")
    assert hashings == []


def test_a_username_known_at_its_address_has_a_lane_of_its_own(settings, alice, anon_client):
    settings.SIGN_IN_WAIT_SECONDS = 0
    assert sign_in(anon_client, "alice", RIGHT, address="198.51.100.7").status_code == HTTPStatus.OK
    holds = hold_every_turn("new")
    try:
        from_its_address = sign_in(anon_client, "alice", RIGHT, address="198.51.100.7")
        from_elsewhere = sign_in(anon_client, "alice", RIGHT, address="198.51.100.8")
    finally:
        release(holds)

    assert from_its_address.status_code == HTTPStatus.OK
    assert from_elsewhere.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_wrong_password_does_not_make_an_address_known(settings, alice, anon_client):
    settings.SIGN_IN_WAIT_SECONDS = 0
    assert (
        sign_in(anon_client, "alice", "wrong", address="198.51.100.9").status_code == HTTPStatus.UNAUTHORIZED
    )
    holds = hold_every_turn("new")
    try:
        again = sign_in(anon_client, "alice", RIGHT, address="198.51.100.9")
    finally:
        release(holds)

    assert again.status_code == HTTPStatus.TOO_MANY_REQUESTS
