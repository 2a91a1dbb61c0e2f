"""The official npm `pusher` server SDK, one call per Node process, as a backend would use it."""

import asyncio
import json
from typing import Any

from testkit.echo import NODE_DIR


async def npm_sdk(
    app_id: str, key: str, secret: str, port: int, action: str, **args: Any
) -> dict[str, Any]:
    """Run one SDK call (trigger, triggerBatch, get, sendToUser, terminate); {status, body}."""
    spec = {"appId": app_id, "key": key, "secret": secret, "port": port, "action": action, **args}
    process = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_DIR / "server_sdk.mjs"),
        json.dumps(spec),
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(), 15)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    result: dict[str, Any] = json.loads(stdout)
    return result
