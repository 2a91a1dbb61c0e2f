"""`python -m runtime <service>` under CAMS_ENV=production with development values: it exits
with EX_CONFIG before connecting to anything, naming the variable to set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.profile import EXIT_CONFIG

STRONG = "0123456789abcdef" * 4
# The compose file's old database URL: its password is published.
PUBLISHED_DATABASE = "postgresql://cams:cams@127.0.0.1:1/{name}"
PREFIXES = ("CAMS_", "NATS_", "GATEWAY_", "REALTIME_", "BOOKINGS_", "TRAINERS_", "NOTIFICATIONS_")


def production_env(**values: str) -> dict[str, str]:
    """This environment without any CAMS setting, then production and `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    return {**env, "CAMS_ENV": "production", **values}


def entry_point(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_refused(answer: subprocess.CompletedProcess[str], variable: str) -> None:
    assert answer.returncode == EXIT_CONFIG, answer.stderr
    line = next(line for line in answer.stderr.splitlines() if variable in line)
    assert line.startswith("CAMS_ENV=production refuses to start: ")


@pytest.mark.parametrize(
    ("service", "variable"),
    [("gateway", "GATEWAY_JWT_SECRET"), ("realtime", "REALTIME_APPS")],
)
def test_a_service_with_its_development_secrets_refuses_to_start(
    service: str, variable: str
) -> None:
    assert_refused(entry_point(production_env(), service), variable)


def test_the_gateway_names_each_development_value_it_refuses() -> None:
    answer = entry_point(production_env(GATEWAY_JWT_SECRET=STRONG), "gateway")
    assert_refused(answer, "GATEWAY_PUSHER_APP_SECRET")
    assert_refused(answer, "GATEWAY_CORS_ORIGINS")
    assert "GATEWAY_JWT_SECRET" not in answer.stderr


@pytest.mark.parametrize(
    ("service", "command"),
    [
        ("bookings", "run"),
        ("trainers", "run"),
        ("notifications", "run"),
        ("gateway", "run"),
        ("bookings", "migrate"),
    ],
)
def test_a_database_url_with_the_published_password_is_refused(service: str, command: str) -> None:
    variable = f"{service.upper()}_DATABASE_URL"
    env = production_env(**{variable: PUBLISHED_DATABASE.format(name=service)})
    assert_refused(entry_point(env, service, command), variable)


def test_migrate_needs_only_its_database_url(tmp_path: Path) -> None:
    """The migration job is given no signing secret, and needs none."""
    env = production_env(GATEWAY_DATABASE_URL=f"sqlite:///{tmp_path / 'gateway.db'}")
    answer = entry_point(env, "gateway", "migrate")
    assert answer.returncode == 0, answer.stderr
    assert (tmp_path / "gateway.db").exists()


def test_an_unknown_profile_is_refused_naming_cams_env() -> None:
    answer = entry_point(production_env(CAMS_ENV="prod"), "bookings")
    assert answer.returncode == EXIT_CONFIG
    assert "CAMS_ENV='prod' is not a profile" in answer.stderr
