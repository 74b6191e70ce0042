"""The circuit breaker: open after a failure, one probe after the cooldown, closed by
its success."""

from __future__ import annotations

from config.circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def open_breaker() -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    breaker = CircuitBreaker("dependency", cooldown=5, clock=clock)
    breaker.failed()
    return breaker, clock


def test_a_closed_breaker_allows_every_call():
    breaker = CircuitBreaker("dependency", cooldown=5)

    assert [breaker.allows_call() for _ in range(3)] == [True] * 3
    assert breaker.state == CLOSED


def test_a_failure_opens_it_for_the_cooldown():
    breaker, clock = open_breaker()
    clock.now = 4.9

    assert breaker.allows_call() is False
    assert breaker.state == OPEN
    assert breaker.times_opened == 1


def test_after_the_cooldown_a_single_caller_probes():
    breaker, clock = open_breaker()
    clock.now = 5

    assert [breaker.allows_call() for _ in range(3)] == [True, False, False]
    assert breaker.state == HALF_OPEN


def test_a_probe_that_succeeds_closes_it():
    breaker, clock = open_breaker()
    clock.now = 5
    breaker.allows_call()

    breaker.succeeded()

    assert breaker.state == CLOSED
    assert breaker.allows_call() is True


def test_a_probe_that_fails_opens_it_for_another_cooldown():
    breaker, clock = open_breaker()
    clock.now = 5
    breaker.allows_call()

    breaker.failed()
    clock.now = 9.9

    assert breaker.allows_call() is False
    assert breaker.times_opened == 1  # still the same outage
