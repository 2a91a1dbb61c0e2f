"""The settings every service has; each service subclasses them with its own prefix
(`BOOKINGS_`, ...) and adds what is its own. Read once at start and passed down."""

from pydantic import Field
from pydantic_settings import BaseSettings


class ServiceSettings(BaseSettings):
    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias="NATS_URL")


class DatabaseServiceSettings(ServiceSettings):
    """A service that owns a database: SQLite by default, `postgresql://...` for asyncpg."""

    database_url: str
