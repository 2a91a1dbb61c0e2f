"""CAMS_ENV=production: the stack starts nothing on published development secrets and names the
variable to set; given secrets of its own it runs on them, so a token or a subscription signed
with a published value is refused. The compose file, the production shape, publishes none."""

import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
import yaml

from runtime.profile import EXIT_CONFIG
from testkit.ports import free_port
from testkit.stack import RunningStack

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "e2e-jwt-" + "7" * 40
PUSHER_SECRET = "e2e-pusher-" + "3" * 40
APP_KEY = "e2e-key"
PREFIXES = ("CAMS_", "NATS_", "GATEWAY_", "REALTIME_", "BOOKINGS_", "TRAINERS_", "NOTIFICATIONS_")
# The compose file's secrets, each to be taken from the environment, and where in its value.
COMPOSE_SECRETS = {
    "POSTGRES_PASSWORD": "value",
    "GATEWAY_JWT_SECRET": "value",
    "GATEWAY_PUSHER_APP_SECRET": "value",
    "REALTIME_APPS": "app secrets",
    "GATEWAY_DATABASE_URL": "password",
    "BOOKINGS_DATABASE_URL": "password",
    "TRAINERS_DATABASE_URL": "password",
    "NOTIFICATIONS_DATABASE_URL": "password",
}
# Compose interpolation: ${VAR:?message} (required), ${VAR:-default}, ${VAR}.
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def production_secrets() -> dict[str, str]:
    app = {"id": "cams", "key": APP_KEY, "secret": PUSHER_SECRET}
    return {
        "CAMS_ENV": "production",
        "GATEWAY_JWT_SECRET": JWT_SECRET,
        "GATEWAY_PUSHER_APP_KEY": APP_KEY,
        "GATEWAY_PUSHER_APP_SECRET": PUSHER_SECRET,
        "REALTIME_APPS": json.dumps([app]),
        "GATEWAY_CORS_ORIGINS": '["https://app.example"]',
    }


def devstack_up(data_dir: Path, **values: str) -> subprocess.CompletedProcess[str]:
    """`./dev up` in production with nothing of this environment's CAMS settings but `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    env |= {
        "CAMS_ENV": "production",
        "CAMS_DATA_DIR": str(data_dir),
        "CAMS_NATS_PORT": str(free_port()),
        "CAMS_GATEWAY_PORT": str(free_port()),
        "CAMS_REALTIME_PORT": str(free_port()),
        **values,
    }
    return subprocess.run(
        [sys.executable, "-m", "devstack", "up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_without_secrets_the_stack_starts_nothing_and_names_what_to_set(tmp_path: Path) -> None:
    data_dir = tmp_path / "stack"
    nats_port = free_port()

    answer = devstack_up(data_dir, CAMS_NATS_PORT=str(nats_port))

    assert answer.returncode == EXIT_CONFIG, answer.stderr
    refusals = [line for line in answer.stderr.splitlines() if "refuses to start" in line]
    assert any("GATEWAY_JWT_SECRET is missing" in line for line in refusals), answer.stderr
    assert any("REALTIME_APPS is missing" in line for line in refusals), answer.stderr
    # Nothing was started: no nats-server, no process and so no pid file.
    assert not (data_dir / "run").exists()
    assert not (data_dir / "nats-server.log").exists()
    assert not listening(nats_port)


def test_published_development_values_and_demo_users_are_refused(tmp_path: Path) -> None:
    dev_app = {"id": "cams", "key": "local-dev-key", "secret": "local-dev-secret"}
    values = production_secrets() | {
        "GATEWAY_JWT_SECRET": "dev-only-change-me-in-production-0123456789",
        "REALTIME_APPS": json.dumps([dev_app]),
        "CAMS_SEED_DEMO_USERS": "true",
    }

    answer = devstack_up(tmp_path / "stack", **values)

    assert answer.returncode == EXIT_CONFIG, answer.stderr
    for variable in ("GATEWAY_JWT_SECRET", "REALTIME_APPS ([0].secret)", "CAMS_SEED_DEMO_USERS"):
        assert f"{variable} is" in answer.stderr, answer.stderr
    assert "GATEWAY_PUSHER_APP_SECRET" not in answer.stderr
    assert not (tmp_path / "stack" / "run").exists()


def channel_signature(secret: str, socket_id: str, channel: str) -> str:
    message = f"{socket_id}:{channel}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def channels_info(stack: RunningStack, secret: str) -> httpx.Response:
    """GET /apps/cams/channels of the Pusher HTTP API, signed with `secret` as an SDK signs."""
    path = "/apps/cams/channels"
    query = f"auth_key={APP_KEY}&auth_timestamp={int(time.time())}&auth_version=1.0"
    signature = hmac.new(
        secret.encode(), f"GET\n{path}\n{query}".encode(), hashlib.sha256
    ).hexdigest()
    async with httpx.AsyncClient(base_url=stack.realtime, timeout=15) as client:
        return await client.get(f"{path}?{query}&auth_signature={signature}")


async def test_with_secrets_given_the_stack_runs_on_them_and_refuses_the_published_ones(
    tmp_path: Path,
) -> None:
    with RunningStack(tmp_path / "stack", extra_env=production_secrets()) as stack:
        assert "secret local-dev-secret" not in stack.log()  # the banner shows no dev secret
        async with httpx.AsyncClient(base_url=stack.api, timeout=15) as api:
            demo = await api.post(
                "/auth/login", json={"email": "admin@cams.test", "password": "password"}
            )
            assert demo.status_code == 401  # no demo users in production

            registered = await api.post(
                "/auth/register",
                json={"email": "pat@example.com", "name": "Pat", "password": "a long password"},
            )
            assert registered.status_code == 201, registered.text
            token = registered.json()["access_token"]
            user_id = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])["sub"]
            me = await api.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200

            # Finding 2: a token for any user, signed with the published development secret.
            forged = jwt.encode(
                {"sub": user_id, "role": "admin", "exp": 4_102_444_800},
                "dev-only-change-me-in-production-0123456789",
                algorithm="HS256",
            )
            refused = await api.get("/me", headers={"Authorization": f"Bearer {forged}"})
            assert refused.status_code == 401

            channel = f"private-live-refresh.{user_id}"
            signed = await api.post(
                "/broadcasting/auth",
                data={"socket_id": "123.456", "channel_name": channel},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert signed.status_code == 200, signed.text
            expected = channel_signature(PUSHER_SECRET, "123.456", channel)
            assert signed.json()["auth"] == f"{APP_KEY}:{expected}"

        assert (await channels_info(stack, PUSHER_SECRET)).status_code == 200
        # ... and a request signed with the published development secret is refused.
        assert (await channels_info(stack, "local-dev-secret")).status_code == 401


def compose_environments() -> dict[str, dict[str, str]]:
    """Every service's environment in docker-compose.yml, anchors and merges resolved."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return {
        name: {str(k): str(v) for k, v in (service.get("environment") or {}).items()}
        for name, service in compose["services"].items()
    }


class Unset(Exception):
    """A required variable is not set: compose refuses to start."""


def interpolate(value: str, environ: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if environ.get(name):
            return environ[name]
        if kind == "?":
            raise Unset(name)
        return rest if kind == "-" else ""

    return INTERPOLATION.sub(one, value)


def secrets_in(variable: str, value: str) -> list[str]:
    where = COMPOSE_SECRETS[variable]
    if where == "password":
        return [urlsplit(value).password or ""]
    if where == "app secrets":
        return [app["secret"] for app in json.loads(value)]
    return [value]


def test_the_compose_file_takes_every_secret_from_the_environment() -> None:
    environments = compose_environments()
    given = {name: f"from-env-{name}" for name in ("POSTGRES_PASSWORD", "PUSHER_APP_SECRET")}
    given["GATEWAY_JWT_SECRET"] = "from-env-GATEWAY_JWT_SECRET"
    seen: set[str] = set()
    for service, environment in environments.items():
        for variable, value in environment.items():
            if variable not in COMPOSE_SECRETS:
                continue
            seen.add(variable)
            # Unset, compose refuses; set, each secret is what the environment gave.
            with pytest.raises(Unset):
                interpolate(value, {})
            for secret in secrets_in(variable, interpolate(value, given)):
                assert secret.startswith("from-env-"), f"{service}: {variable} says {secret!r}"
        if {"GATEWAY_JWT_SECRET", "REALTIME_APPS"} & set(environment):
            assert environment.get("CAMS_ENV") == "production", service
    assert seen == set(COMPOSE_SECRETS)
    assert "GATEWAY_CORS_ORIGINS" in environments["gateway"]
