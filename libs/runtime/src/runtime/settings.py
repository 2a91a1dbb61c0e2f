"""The settings every service has; each service subclasses them with its own prefix
(`BOOKINGS_`, ...) and adds what is its own. Read once at start and passed down."""

from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from messaging.connection import Credentials
from messaging.outbox_relay import OutboxRetention
from messaging.streams import DUPLICATE_WINDOW_SECONDS, StreamLimits
from runtime.profile import PROFILE_VARIABLE, Profile, ProfileSetting, Refusal, SetInProduction


class NatsLogin(BaseSettings):
    """The NATS user a service logs in as (deploy/nats/auth.conf); both empty: no login, for a
    NATS without authorization (tests)."""

    nats_user: Annotated[str, SetInProduction()] = Field(default="", validation_alias="NATS_USER")
    nats_password: SecretStr = Field(default=SecretStr(""), validation_alias="NATS_PASSWORD")

    def nats_credentials(self) -> Credentials | None:
        if not self.nats_user:
            return None
        return Credentials(self.nats_user, self.nats_password.get_secret_value())


_DAY = 24 * 3600
_MIB = 1024**2


class StreamLimitSettings(BaseSettings):
    """The JetStream streams' bounds (`messaging.streams`), the same for every service: each
    start applies its own to the shared streams, so they come from `CAMS_` variables."""

    # Per event stream. Full: it refuses new events, the outbox keeps and retries them (none
    # lost). nats-server reserves every stream's max_bytes in its store (see messaging.streams).
    stream_max_bytes: int = Field(
        default=512 * _MIB, gt=0, validation_alias="CAMS_STREAM_MAX_BYTES"
    )
    # A durable consumer stopped for longer than this misses the events that aged out.
    stream_max_age_seconds: float = Field(
        default=30 * _DAY,
        ge=DUPLICATE_WINDOW_SECONDS,
        validation_alias="CAMS_STREAM_MAX_AGE_SECONDS",
    )
    # Dead letters drop their oldest when full, and age out after this.
    dead_letter_max_bytes: int = Field(
        default=128 * _MIB, gt=0, validation_alias="CAMS_DEAD_LETTER_MAX_BYTES"
    )
    dead_letter_max_age_seconds: float = Field(
        default=30 * _DAY,
        ge=DUPLICATE_WINDOW_SECONDS,
        validation_alias="CAMS_DEAD_LETTER_MAX_AGE_SECONDS",
    )

    def limits(self) -> StreamLimits:
        return StreamLimits(
            self.stream_max_bytes,
            self.stream_max_age_seconds,
            self.dead_letter_max_bytes,
            self.dead_letter_max_age_seconds,
        )


class OutboxRetentionSettings(BaseSettings):
    """How long a service keeps outbox rows after they were published (`CAMS_` for all)."""

    # Never below the streams' 24 h duplicate window; unpublished rows are never deleted.
    outbox_keep_published_seconds: float = Field(
        default=7 * _DAY,
        ge=DUPLICATE_WINDOW_SECONDS,
        validation_alias="CAMS_OUTBOX_KEEP_PUBLISHED_SECONDS",
    )

    def retention(self) -> OutboxRetention:
        return OutboxRetention(keep_published_seconds=self.outbox_keep_published_seconds)


class ServiceSettings(NatsLogin):
    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias="NATS_URL")
    # CAMS_ENV: `production` refuses development secrets and switches (runtime/profile.py).
    profile: ProfileSetting = Field(default=Profile.development, validation_alias=PROFILE_VARIABLE)

    def production_refusals(self) -> list[Refusal]:
        """Checks of a service's own beyond the generic ones of `runtime.profile`."""
        return []


class DatabaseServiceSettings(ServiceSettings):
    """A service that owns a database: SQLite by default, `postgresql://...` for asyncpg."""

    database_url: str
