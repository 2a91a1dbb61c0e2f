"""Unit: the settings read from the environment."""

from decimal import Decimal

import pytest

from bookings.settings import BookingsSettings


def test_declined_sandbox_amounts_are_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOOKINGS_PAYMENTS_DECLINE_AMOUNTS", "13.13, 666")
    monkeypatch.setenv("BOOKINGS_TRAINERS_TIMEOUT_SECONDS", "0.5")

    settings = BookingsSettings()

    assert settings.payments_decline_amounts == [Decimal("13.13"), Decimal(666)]
    assert settings.trainers_timeout_seconds == 0.5


def test_by_default_nothing_is_declined_and_a_day_lists_2000_sessions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BOOKINGS_PAYMENTS_DECLINE_AMOUNTS", raising=False)
    settings = BookingsSettings()
    assert settings.payments_decline_amounts == []
    assert (settings.schedules_of_day_limit, settings.trainers_timeout_seconds) == (2000, 2.0)
