"""Unit: the settings read from the environment, and the business day they give."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from trainers.clock import BusinessClock
from trainers.settings import TrainersSettings


def test_the_business_time_zone_is_an_iana_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINERS_BUSINESS_TIME_ZONE", "Australia/Sydney")
    monkeypatch.setenv("TRAINERS_BOOKINGS_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setenv("TRAINERS_SESSION_ACTIVITY_LOGS", "20")

    settings = TrainersSettings()

    assert settings.business_zone() == ZoneInfo("Australia/Sydney")
    assert (settings.bookings_timeout_seconds, settings.session_activity_logs) == (0.5, 20)


@pytest.mark.parametrize("unset", [None, ""])
def test_by_default_the_machines_zone_a_2s_timeout_and_100_logs(
    monkeypatch: pytest.MonkeyPatch, unset: str | None
) -> None:
    if unset is None:
        monkeypatch.delenv("TRAINERS_BUSINESS_TIME_ZONE", raising=False)
    else:
        monkeypatch.setenv("TRAINERS_BUSINESS_TIME_ZONE", unset)

    settings = TrainersSettings()

    assert settings.business_zone() is None
    assert (settings.bookings_timeout_seconds, settings.session_activity_logs) == (2.0, 100)


def test_an_unknown_zone_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINERS_BUSINESS_TIME_ZONE", "Mars/Olympus_Mons")
    with pytest.raises(ValidationError, match="unknown time zone"):
        TrainersSettings()


def test_the_business_day_is_the_zones_calendar_day() -> None:
    instant = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)

    assert BusinessClock(ZoneInfo("Asia/Tokyo")).day_of(instant) == date(2026, 12, 2)
    assert BusinessClock(ZoneInfo("America/New_York")).day_of(instant) == date(2026, 12, 1)
    # No zone: the machine's own, as `astimezone()` reads it.
    assert BusinessClock().day_of(instant) == instant.astimezone().date()
