"""The NATS users' configuration (issue 11, finding 5): dev credentials made once and kept
private, production's auth.conf and docker-compose.yml in step with the contracts, and the names
the permissions list (durables, buckets) in step with the services that use them."""

import json
import re
import stat
from pathlib import Path

import yaml

from bookings import bootstrap as bookings_bootstrap
from devstack import nats_permissions as perms
from devstack.nats_auth import (
    CREDENTIALS_FILE,
    DEV_USERS,
    PRODUCTION_USERS,
    dev_passwords,
    dev_server_config,
    password_variable,
    production_auth,
)
from gateway import bootstrap as gateway_bootstrap
from gateway.settings import GatewaySettings
from notifications import bootstrap as notifications_bootstrap
from notifications.bootstrap import FEED_STREAMS
from notifications.consumers import events as notification_events
from realtime import bootstrap as realtime_bootstrap
from realtime.cluster.cluster import TERMINATE_SUBJECT
from realtime.live_refresh import recovery, versions
from realtime.live_refresh.triggers import routed_streams
from realtime.settings import RealtimeSettings, Role
from realtime.webhooks import sender
from trainers import bootstrap as trainers_bootstrap
from trainers.consumers import identity as trainer_profiles

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_dev_passwords_are_made_on_first_start_kept_private_and_reused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = dev_passwords(data, environ={})
    assert set(first) == set(DEV_USERS)
    assert len(set(first.values())) == len(DEV_USERS)  # one secret each
    assert all(len(password.encode()) >= 32 for password in first.values())
    assert mode(data / CREDENTIALS_FILE) == 0o600

    (data / CREDENTIALS_FILE).chmod(0o644)  # loosened by hand: put back
    assert dev_passwords(data, environ={}) == first
    assert mode(data / CREDENTIALS_FILE) == 0o600

    given = dev_passwords(data, environ={password_variable("gateway"): "from-the-environment"})
    assert given["gateway"] == "from-the-environment"
    assert json.loads((data / CREDENTIALS_FILE).read_text())["gateway"] == first["gateway"]


def test_a_user_added_later_gets_a_password_and_the_others_keep_theirs(tmp_path: Path) -> None:
    (tmp_path / CREDENTIALS_FILE).write_text(json.dumps({"gateway": "kept-from-before"}))
    passwords = dev_passwords(tmp_path, environ={})
    assert passwords["gateway"] == "kept-from-before"
    assert set(passwords) == set(DEV_USERS)
    assert json.loads((tmp_path / CREDENTIALS_FILE).read_text()) == passwords


def test_the_dev_server_config_holds_every_user_and_its_password(tmp_path: Path) -> None:
    passwords = dev_passwords(tmp_path, environ={})
    config = dev_server_config("127.0.0.1", 4223, tmp_path / "jetstream", passwords)
    for user, password in passwords.items():
        assert f"user: {json.dumps(user)}" in config
        assert f"password: {json.dumps(password)}" in config


def test_production_auth_conf_is_the_one_the_contracts_make() -> None:
    committed = (ROOT / "deploy/nats/auth.conf").read_text()
    assert committed == production_auth(), (
        "run: python -m devstack nats-auth > deploy/nats/auth.conf"
    )
    assert "include ./auth.conf" in (ROOT / "deploy/nats/cluster.conf").read_text()
    assert re.findall(r"password: (\S+)", committed) == [
        f"${password_variable(user)}" for user in PRODUCTION_USERS
    ]


def test_compose_gives_each_service_its_user_and_nats_every_password() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    logins = {
        name: (env["NATS_USER"], env["NATS_PASSWORD"])
        for name, service in compose.items()
        if "NATS_USER" in (env := service.get("environment") or {})
    }
    assert sorted(user for user, _ in logins.values()) == sorted(PRODUCTION_USERS)
    for user, password in logins.values():
        assert password.startswith(f"${{{password_variable(user)}:?")
    for node in ("nats-1", "nats-2", "nats-3"):
        given = compose[node]["environment"]
        assert {password_variable(user) for user in PRODUCTION_USERS} <= set(given)
        assert any(volume.endswith("/etc/nats/auth.conf:ro") for volume in compose[node]["volumes"])


def test_the_names_the_permissions_list_are_the_services_own() -> None:
    consumers = perms.NOTIFICATIONS_CONSUMERS
    assert {c.durable for c in consumers} == {notification_events.DURABLE}
    assert {c.stream.name for c in consumers} == {s.name for s in FEED_STREAMS}
    assert [c.durable for c in perms.TRAINERS_CONSUMERS] == [trainer_profiles.DURABLE]
    assert [c.durable for c in perms.WEBHOOK_CONSUMERS] == [sender.DURABLE]
    assert sorted(s.name for s in perms.ROUTER_STREAMS) == [s.name for s in routed_streams()]
    assert perms.VERSIONS_BUCKET == versions.BUCKET
    assert perms.GAPS_BUCKET == recovery.GAPS_BUCKET
    assert RealtimeSettings().presence_bucket == perms.PRESENCE_BUCKET
    assert GatewaySettings().auth_attempts_bucket == perms.AUTH_ATTEMPTS_BUCKET


def test_each_user_may_change_the_limits_of_the_streams_its_service_keeps_and_no_other() -> None:
    keeps = {
        "gateway": gateway_bootstrap.KEEPS,
        "bookings": bookings_bootstrap.KEEPS,
        "trainers": trainers_bootstrap.KEEPS,
        "notifications": notifications_bootstrap.KEEPS,
        "realtime-edge": realtime_bootstrap.KEEPS[Role.edge],
        "realtime-router": realtime_bootstrap.KEEPS[Role.router],
        "realtime": realtime_bootstrap.KEEPS[Role.all],
    }
    grants = perms.service_grants()
    assert set(grants) == set(keeps)
    for user, grant in grants.items():
        updates = {p for p in grant.publish if p.startswith("$JS.API.STREAM.UPDATE.")}
        assert updates == {f"$JS.API.STREAM.UPDATE.{s.name}" for s in keeps[user]}, user
    assert perms.covers(perms.REALTIME_CLUSTER, TERMINATE_SUBJECT)
