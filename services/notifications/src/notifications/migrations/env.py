"""Alembic environment of the notifications database: only the tables notifications owns."""

from messaging.migrations import run_env
from notifications.models import TABLES

run_env(TABLES)
