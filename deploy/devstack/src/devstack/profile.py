"""The dev stack under `CAMS_ENV=production`: its own development conveniences are off, the
secrets come from the environment and pass through to the services, and the stack refuses to
start anything while any service would refuse its configuration."""

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from pydantic import ValidationError

from devstack.settings import StackSettings
from runtime.profile import Profile, Refusal, production_refusals
from runtime.service import definition

# What production must be given in the environment: the stack makes up none of it. A secret
# production must be given rather than have the stack make up joins here (and a published
# development value of it joins runtime.profile.DEV_SECRET_VALUES).
PRODUCTION_VARIABLES = (
    "GATEWAY_JWT_SECRET",  # signs bearer tokens
    "GATEWAY_PUSHER_APP_SECRET",  # signs private and presence channel subscriptions
    "REALTIME_APPS",  # each app and its secret: app `cams` with the gateway's secret
    "GATEWAY_CORS_ORIGINS",  # the frontend's browser origins
)

# What the stack gives each process itself when it runs its own nats-server: a NATS login per
# service with a password generated for this data dir (devstack/nats_auth.py), asked of nobody.
GIVEN_PER_PROCESS = ("NATS_USER", "NATS_PASSWORD")


def is_production(settings: StackSettings) -> bool:
    return settings.env is Profile.production


def seeds_demo_users(settings: StackSettings) -> bool:
    """Development seeds demo users unless told not to; production never does."""
    return settings.seed_demo_users and not is_production(settings)


def stack_refusals(settings: StackSettings, environ: Mapping[str, str]) -> list[Refusal]:
    """What of the stack's own configuration production refuses."""
    if not is_production(settings):
        return []
    found = [
        Refusal(name, "is missing: set it in the environment")
        for name in PRODUCTION_VARIABLES
        if not environ.get(name)
    ]
    if settings.seed_demo_users and "seed_demo_users" in settings.model_fields_set:
        found.append(Refusal("CAMS_SEED_DEMO_USERS", "is for development only: unset it"))
    return found


def service_refusals(env: Mapping[str, str], services: Sequence[str]) -> list[Refusal]:
    """What each service would refuse, read from `env` exactly as the service will read it."""
    found: list[Refusal] = []
    with _environ(env):
        for name in services:
            try:
                settings = definition(name).settings()
            except ValidationError as exc:
                error = exc.errors()[0]
                where = ".".join(str(part) for part in error["loc"])
                found.append(Refusal(f"{name} setting {where}", f"is invalid: {error['msg']}"))
                continue
            found += [r for r in production_refusals(settings) if r not in found]
    return found


def production_refusals_of_stack(
    settings: StackSettings,
    environ: Mapping[str, str],
    stack_env: Mapping[str, str],
    services: Sequence[str],
) -> list[Refusal]:
    """Everything production refuses, the stack's own first; empty in development. `stack_env`
    is what the stack gives its `services`."""
    own = stack_refusals(settings, environ)
    if not is_production(settings):
        return own
    skipped = tuple(r.variable for r in own)
    if settings.nats_url is None:
        skipped += GIVEN_PER_PROCESS
    return own + [
        r for r in service_refusals(stack_env, services) if not r.variable.startswith(skipped)
    ]


@contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    """The process environment replaced by `env` for the while (the stack starts nothing yet)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
