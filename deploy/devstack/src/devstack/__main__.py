"""`python -m devstack up|migrate|doctor|nats-auth`: the whole stack for development and end-to-end
tests, and the production NATS users (`nats-auth` prints deploy/nats/auth.conf)."""

import asyncio
import logging
import os
import shutil
import sys

from devstack.nats_auth import production_auth
from devstack.profile import production_refusals_of_stack
from devstack.settings import StackSettings
from devstack.stack import SERVICES, Stack, nats_binary, run_stack
from runtime.profile import EXIT_CONFIG, Refusal


def doctor() -> int:
    checks = {
        "python >= 3.11": sys.version_info >= (3, 11),
        f"nats-server ({nats_binary()})": shutil.which(nats_binary()) is not None,
        "node (for the Pusher client tests)": shutil.which("node") is not None,
    }
    for name, ok in checks.items():
        print(("ok      " if ok else "MISSING ") + name)
    return 0 if all(checks.values()) else 1


def refusals(settings: StackSettings) -> list[Refusal]:
    """Under CAMS_ENV=production, what the stack or a service would refuse, before any start."""
    stack = Stack(settings)
    found: list[Refusal] = []
    for service in SERVICES:
        env = stack.service_env(service)  # each with its own NATS login (and realtime role)
        program = service.program or service.name
        for refusal in production_refusals_of_stack(settings, os.environ, env, [program]):
            if refusal not in found:
                found.append(refusal)
    return found


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # readiness polls are not news
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    settings = StackSettings()
    if command in ("up", "migrate") and (refused := refusals(settings)):
        for refusal in refused:
            print(f"devstack: {refusal}", file=sys.stderr)
        return EXIT_CONFIG
    if command == "up":
        asyncio.run(run_stack(settings))
    elif command == "migrate":
        asyncio.run(Stack(settings).migrate())
    elif command == "doctor":
        return doctor()
    elif command == "nats-auth":  # > deploy/nats/auth.conf, after a change to the contracts
        print(production_auth(), end="")
    else:
        print("usage: python -m devstack up|migrate|doctor|nats-auth", file=sys.stderr)
        return 2
    return 0


sys.exit(main())
