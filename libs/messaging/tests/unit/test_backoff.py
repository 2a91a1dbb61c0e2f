"""The waits between connection attempts: growing, capped, and never in step."""

from messaging.connection import Backoff


def test_waits_double_up_to_the_cap_each_drawn_from_its_upper_half() -> None:
    backoff = Backoff(first=0.1, cap=2.0)
    for attempt, ceiling in [(0, 0.1), (1, 0.2), (2, 0.4), (4, 1.6), (5, 2.0), (500, 2.0)]:
        waits = [backoff.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)


def test_two_clients_waiting_after_the_same_failure_do_not_retry_in_step() -> None:
    backoff = Backoff()
    waits = {round(backoff.delay(3), 6) for _ in range(50)}
    assert len(waits) > 40
