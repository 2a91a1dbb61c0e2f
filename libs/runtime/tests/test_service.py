"""Every service is found by its entry point, and the one entry point refuses what it cannot do
with a clear message."""

import subprocess
import sys

import pytest

from runtime.service import ServiceDefinition, definition, service_names
from runtime.settings import DatabaseServiceSettings


def test_every_service_of_the_stack_is_found_by_name() -> None:
    names = service_names()

    assert {"gateway", "bookings", "trainers", "notifications", "realtime"} <= set(names)
    for name in names:
        found = definition(name)
        assert isinstance(found, ServiceDefinition) and found.name == name
        # A service with a schema has a database URL to apply it to, and the other way round.
        has_url = issubclass(found.settings, DatabaseServiceSettings)
        assert (found.database is not None) == has_url, name
        if found.database is not None:
            assert found.database.versions.is_dir() and found.database.tables, name


def test_an_unknown_service_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(LookupError, match=r"known: .*bookings"):
        definition("no-such-service")


def run_entry_point(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime", *argv], capture_output=True, text=True, timeout=60
    )


def test_the_entry_point_refuses_unknown_services_and_commands() -> None:
    unknown = run_entry_point("no-such-service")
    assert unknown.returncode == 2 and "no service 'no-such-service'" in unknown.stderr

    no_database = run_entry_point("realtime", "migrate")
    assert no_database.returncode == 2 and "realtime has no database" in no_database.stderr

    bad_command = run_entry_point("bookings", "explode")
    assert bad_command.returncode == 2 and "usage: python -m runtime" in bad_command.stderr
