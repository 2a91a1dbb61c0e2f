"""Fixtures shared by every test tier (a real nats-server per test, PostgreSQL, ...)."""

pytest_plugins = ["testkit.conftest_plugin"]
