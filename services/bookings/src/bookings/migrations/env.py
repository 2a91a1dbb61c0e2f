"""Alembic environment of the bookings database: only the tables bookings owns."""

from bookings.models import TABLES
from messaging.migrations import run_env

run_env(TABLES)
