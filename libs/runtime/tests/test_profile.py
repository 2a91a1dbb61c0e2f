"""CAMS_ENV=production refuses what anyone can read in this repository: a missing, published or
short secret, a development switch turned on, a development default left in place, a database
password of the compose file, and (realtime) webhooks to internal addresses. No I/O."""

from typing import Annotated

import pytest
from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.settings import GatewaySettings
from realtime.settings import RealtimeSettings
from runtime.profile import (
    DEV_SECRET_VALUES,
    MIN_SECRET_BYTES,
    DevOnly,
    Profile,
    ProfileError,
    SetInProduction,
    production_refusals,
    profile_of,
    secret_problem,
)

STRONG = "k" * MIN_SECRET_BYTES


class App(BaseModel):
    id: str
    secret: SecretStr


class ExampleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_")

    signing_secret: SecretStr = SecretStr("local-dev-secret")
    optional_key: SecretStr | None = None
    apps: list[App] = [App(id="a", secret=SecretStr(STRONG))]
    database_url: str = "sqlite:///x.db"
    demo: Annotated[bool, DevOnly()] = False
    origins: Annotated[list[str], SetInProduction()] = ["http://localhost:3000"]


def variables(settings: BaseSettings, prefix: str = "") -> list[str]:
    """The variables production refuses, of those starting with `prefix` (the service's own,
    not the NATS login every service shares)."""
    return [r.variable for r in production_refusals(settings) if r.variable.startswith(prefix)]


def test_the_profile_is_development_unless_cams_env_names_another() -> None:
    assert profile_of({}) is Profile.development
    assert profile_of({"CAMS_ENV": ""}) is Profile.development
    assert profile_of({"CAMS_ENV": " Production "}) is Profile.production
    with pytest.raises(ProfileError, match="CAMS_ENV='prod' is not a profile"):
        profile_of({"CAMS_ENV": "prod"})


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "is missing"),
        (None, "is missing"),
        ("local-dev-secret", "published development value"),
        ("dev-only-change-me-in-production-0123456789", "published development value"),
        ("k" * (MIN_SECRET_BYTES - 1), f"shorter than {MIN_SECRET_BYTES} bytes"),
    ],
)
def test_a_secret_that_is_missing_published_or_short_is_refused(
    value: str | None, why: str
) -> None:
    problem = secret_problem(value)
    assert problem is not None and why in problem


def test_a_long_secret_of_ones_own_is_accepted() -> None:
    assert secret_problem(STRONG) is None
    assert all(secret_problem(value) for value in DEV_SECRET_VALUES)


def test_defaults_are_refused_naming_each_variable_and_good_values_pass() -> None:
    assert variables(ExampleSettings()) == ["EXAMPLE_SIGNING_SECRET", "EXAMPLE_ORIGINS"]

    fine = ExampleSettings(signing_secret=SecretStr(STRONG), origins=["https://app.example"])
    assert variables(fine) == []


def test_nested_app_secrets_and_an_optional_key_once_set_are_checked() -> None:
    settings = ExampleSettings(
        signing_secret=SecretStr(STRONG),
        origins=["https://app.example"],
        optional_key=SecretStr("short"),
        apps=[App(id="a", secret=SecretStr(STRONG)), App(id="b", secret=SecretStr("secret"))],
    )
    assert variables(settings) == ["EXAMPLE_OPTIONAL_KEY", "EXAMPLE_APPS ([1].secret)"]


def test_a_development_switch_set_on_is_refused_and_set_off_is_not() -> None:
    good = {"signing_secret": SecretStr(STRONG), "origins": ["https://app.example"]}
    assert variables(ExampleSettings(demo=True, **good)) == ["EXAMPLE_DEMO"]
    assert variables(ExampleSettings(demo=False, **good)) == []


def test_a_database_url_with_the_compose_files_password_is_refused() -> None:
    good = {"signing_secret": SecretStr(STRONG), "origins": ["https://app.example"]}
    published = ExampleSettings(database_url="postgresql://cams:cams@postgres/gateway", **good)
    own = ExampleSettings(database_url="postgresql://cams:s3cr3t-of-ours@postgres/gw", **good)
    no_password = ExampleSettings(database_url="postgresql://cams@postgres/gateway", **good)

    assert variables(published) == ["EXAMPLE_DATABASE_URL"]
    assert variables(own) == variables(no_password) == []


def test_the_gateway_defaults_are_refused_and_production_values_pass() -> None:
    defaults = GatewaySettings()
    assert set(variables(defaults, "GATEWAY_")) == {
        "GATEWAY_JWT_SECRET",
        "GATEWAY_PUSHER_APP_SECRET",
        "GATEWAY_CORS_ORIGINS",
    }

    production = GatewaySettings(
        jwt_secret=SecretStr(STRONG),
        pusher_app_secret=SecretStr(STRONG + "p"),
        cors_origins=["https://app.example"],
    )
    assert variables(production, "GATEWAY_") == []
    demo = production.model_copy(update={"seed_demo_users": True})
    assert variables(demo, "GATEWAY_") == ["GATEWAY_SEED_DEMO_USERS"]
    password = production.model_copy(update={"dev_password": SecretStr("password")})
    assert variables(password, "GATEWAY_") == ["GATEWAY_DEV_PASSWORD"]


def realtime_with_webhook(url: str) -> RealtimeSettings:
    app = {"id": "cams", "key": "k", "secret": STRONG, "webhooks": [{"url": url}]}
    return RealtimeSettings.model_validate({"apps": [app]})


def test_the_realtime_default_app_secret_is_refused() -> None:
    assert variables(RealtimeSettings(), "REALTIME_") == ["REALTIME_APPS ([0].secret)"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://127.1/hook",  # shorthand the URL parser makes 127.0.0.1
        "http://localhost:9000/hook",
        "http://api.localhost/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",  # a cloud's metadata endpoint
        "http://0.0.0.0/hook",
    ],
)
def test_realtime_refuses_webhooks_to_internal_addresses(url: str) -> None:
    refusals = [
        r for r in production_refusals(realtime_with_webhook(url)) if r.variable == "REALTIME_APPS"
    ]
    assert len(refusals) == 1
    assert "not a public address" in refusals[0].reason


@pytest.mark.parametrize("url", ["https://hooks.example.com/pusher", "https://93.184.215.14/h"])
def test_realtime_accepts_webhooks_to_public_hosts(url: str) -> None:
    assert variables(realtime_with_webhook(url), "REALTIME_") == []
