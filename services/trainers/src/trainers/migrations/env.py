"""Alembic environment of the trainers database: only the tables trainers owns."""

from messaging.migrations import run_env
from trainers.models import TABLES

run_env(TABLES)
