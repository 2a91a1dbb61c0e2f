"""`python -m devstack up|migrate|doctor`: the whole stack for development and end-to-end tests."""

import asyncio
import logging
import shutil
import sys

from devstack.settings import StackSettings
from devstack.stack import Stack, nats_binary, run_stack


def doctor() -> int:
    checks = {
        "python >= 3.11": sys.version_info >= (3, 11),
        f"nats-server ({nats_binary()})": shutil.which(nats_binary()) is not None,
        "node (for the Pusher client tests)": shutil.which("node") is not None,
    }
    for name, ok in checks.items():
        print(("ok      " if ok else "MISSING ") + name)
    return 0 if all(checks.values()) else 1


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # readiness polls are not news
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    settings = StackSettings()
    if command == "up":
        asyncio.run(run_stack(settings))
    elif command == "migrate":
        asyncio.run(Stack(settings).migrate())
    elif command == "doctor":
        return doctor()
    else:
        print("usage: python -m devstack up|migrate|doctor", file=sys.stderr)
        return 2
    return 0


sys.exit(main())
