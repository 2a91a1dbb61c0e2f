"""Alembic environment of the gateway database: only the tables gateway owns."""

from gateway.models import TABLES
from messaging.migrations import run_env

run_env(TABLES)
