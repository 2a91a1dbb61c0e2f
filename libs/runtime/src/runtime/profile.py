"""The deployment profile, `CAMS_ENV` (`development`, the default, or `production`), and what a
production process refuses to start with: a secret that is missing, too short or one of the
development values published in this repository, a development-only switch turned on, or a
development default left in place where production must choose.

The checks walk a service's settings, so a new secret is covered by being a `SecretStr` field,
a new development switch by `Annotated[..., DevOnly()]`, and a setting production must name by
`Annotated[..., SetInProduction()]`. A settings class adds checks of its own by overriding
`production_refusals`.
"""

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

PROFILE_VARIABLE = "CAMS_ENV"
# What a process refusing its configuration exits with (sysexits.h EX_CONFIG).
EXIT_CONFIG = 78
# An HMAC key shorter than this can be guessed offline from one signed token or frame.
MIN_SECRET_BYTES = 32

# Every secret value this repository publishes (defaults, docker-compose.yml, README.md, the
# dev stack) and the usual placeholders: anyone can read them, so production refuses them. A new
# development default (a NATS password, ...) joins this set.
DEV_SECRET_VALUES = frozenset(
    {
        "dev-only-change-me-in-production-0123456789",  # GATEWAY_JWT_SECRET default
        "change-me-in-production-change-me-in-production",  # the old docker-compose.yml
        "local-dev-secret",  # the dev Pusher app (gateway, realtime, README.md)
        "password",  # GATEWAY_DEV_PASSWORD, the demo users'
        "cams",  # the PostgreSQL password of the old docker-compose.yml
        "secret",
        "changeme",
        "change-me",
    }
)


class Profile(StrEnum):
    development = "development"
    production = "production"


class ProfileError(ValueError):
    """CAMS_ENV holds something other than a profile's name."""


def profile_of(environ: Mapping[str, str]) -> Profile:
    value = environ.get(PROFILE_VARIABLE, "").strip().lower() or Profile.development.value
    try:
        return Profile(value)
    except ValueError:
        known = " or ".join(p.value for p in Profile)
        raise ProfileError(
            f"{PROFILE_VARIABLE}={environ[PROFILE_VARIABLE]!r} is not a profile: set it to {known}"
        ) from None


def current_profile() -> Profile:
    return profile_of(os.environ)


def _profile_name(value: Any) -> Any:
    return profile_of({PROFILE_VARIABLE: value}) if isinstance(value, str) else value


# A settings field read from CAMS_ENV (case and blanks aside, as `profile_of` reads it).
ProfileSetting = Annotated[Profile, BeforeValidator(_profile_name)]


@dataclass(frozen=True)
class DevOnly:
    """Field marker: a development convenience that production refuses to have switched on."""


@dataclass(frozen=True)
class SetInProduction:
    """Field marker: the default suits development only; production must set the variable."""


@dataclass(frozen=True)
class Refusal:
    """Why production refuses to start, and the variable that fixes it."""

    variable: str
    reason: str

    def __str__(self) -> str:
        return f"{PROFILE_VARIABLE}=production refuses to start: {self.variable} {self.reason}"


def secret_problem(value: str | None) -> str | None:
    """What is wrong with `value` as a production secret, or None when nothing is."""
    if not value:
        return "is missing: set it to a secret of at least 32 random bytes"
    if value in DEV_SECRET_VALUES:
        return "is a published development value: set it to a secret of your own"
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes: set a longer secret"
    return None


def url_password_problem(url: str) -> str | None:
    """A URL (or a comma-separated list, as NATS_URL) whose password is a development value."""
    for part in url.split(","):
        try:
            password = urlsplit(part.strip()).password
        except ValueError:
            continue
        if password is not None and password in DEV_SECRET_VALUES:
            return "has a published development password: set one of your own"
    return None


def variable_of(settings: BaseSettings, name: str, field: FieldInfo) -> str:
    """The environment variable that sets field `name`."""
    alias = field.validation_alias
    if isinstance(alias, str):
        return alias.upper()
    prefix = str(settings.model_config.get("env_prefix") or "")
    return f"{prefix}{name}".upper()


def production_refusals(settings: BaseSettings) -> list[Refusal]:
    """Everything production refuses in `settings`; empty when it may start."""
    refusals: list[Refusal] = []
    for name, field in type(settings).model_fields.items():
        variable = variable_of(settings, name, field)
        value = getattr(settings, name)
        markers = field.metadata
        if any(isinstance(m, DevOnly) for m in markers):
            if name in settings.model_fields_set and _switched_on(value):
                refusals.append(Refusal(variable, "is for development only: unset it"))
            continue
        left_default = name not in settings.model_fields_set
        if left_default and any(isinstance(m, SetInProduction) for m in markers):
            refusals.append(Refusal(variable, "has a development default: set it for production"))
            continue
        for path, secret in _secrets(value, ""):
            problem = secret_problem(secret)
            if problem is not None:
                where = f" ({path.lstrip('.')})" if path else ""
                refusals.append(Refusal(f"{variable}{where}", problem))
        if isinstance(value, str) and name.endswith("_url"):
            problem = url_password_problem(value)
            if problem is not None:
                refusals.append(Refusal(variable, problem))
    own = getattr(settings, "production_refusals", None)
    if callable(own):
        refusals.extend(own())
    return refusals


def _switched_on(value: object) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value())
    return bool(value)


def _secrets(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every SecretStr in `value`, nested models and lists included, with where it is."""
    if isinstance(value, SecretStr):
        yield path, value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secrets(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple):
        item: Any
        for index, item in enumerate(value):
            yield from _secrets(item, f"{path}[{index}]")
