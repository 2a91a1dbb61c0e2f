"""A trainer's profile, made from a trainer user (identity's `UserCreated`), and the set of days
the trainer is available, which it owns and replaces as a whole."""

from collections.abc import Iterable
from datetime import date

from contracts.envelope import Actor, utc_now
from contracts.errors import ErrorCode, FieldError, ServiceError
from contracts.trainers import TrainerAvailabilityChanged
from domain import Aggregate


class AvailableDate:
    """One day a trainer is available: a value inside the Trainer aggregate."""

    def __init__(self, day: date) -> None:
        self.day = day


class Trainer(Aggregate):
    def __init__(self, user_id: int, name: str, email: str) -> None:
        self.id: int | None = None
        self.user_id = user_id
        self.name = name
        self.email = email
        # Keyed by the day, so a replacement keeps the rows of the days that stay.
        self.availability: dict[date, AvailableDate] = {}
        self.created_at = self.updated_at = utc_now()

    @classmethod
    def from_user(cls, user_id: int, name: str, email: str) -> "Trainer":
        """The profile of a new trainer user; no contract announces it, so it records nothing."""
        return cls(user_id, name, email)

    def available_dates(
        self, date_from: date | None = None, date_to: date | None = None
    ) -> list[date]:
        """The available days in order, within `date_from`..`date_to` (inclusive) if given."""
        return sorted(
            day
            for day in self.availability
            if (date_from is None or day >= date_from) and (date_to is None or day <= date_to)
        )

    def is_available_on(self, day: date) -> bool:
        return day in self.availability

    def replace_availability(self, actor: Actor, dates: Iterable[date], max_dates: int) -> None:
        """The whole set becomes `dates` (each counted once), announced by one event."""
        trainer_id = self._id()
        wanted = set(dates)
        if len(wanted) > max_dates:
            raise ServiceError(
                ErrorCode.invalid,
                f"at most {max_dates} available dates",
                [
                    FieldError(
                        loc=["dates"],
                        msg=f"at most {max_dates} distinct dates, got {len(wanted)}",
                        type="too_long",
                    )
                ],
            )
        for day in set(self.availability) - wanted:
            del self.availability[day]
        for day in wanted - set(self.availability):
            self.availability[day] = AvailableDate(day)
        self.updated_at = utc_now()
        self.record(
            TrainerAvailabilityChanged(
                trainer_id=trainer_id,
                trainer_user_id=self.user_id,
                dates=sorted(wanted),
                actor=actor,
            )
        )

    def _id(self) -> int:
        if self.id is None:
            raise RuntimeError("a trainer changes only once the profile is stored")
        return self.id
