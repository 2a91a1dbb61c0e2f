"""private-encrypted- channels: relayed as ciphertext, decrypted only by the authorised client."""

from __future__ import annotations

import asyncio
import base64

import pusher

from realtime.pusher import App, Hub, Publication, RunningServer
from testkit.echo import matching
from testkit.pusher_auth import AuthEndpoint

from .conftest import MASTER_KEY, ClientFactory


async def test_event_encrypted_by_the_official_sdk_is_decrypted_by_pusher_js(
    server: RunningServer, hub: Hub, app: App, auth: AuthEndpoint, echo_client: ClientFactory
) -> None:
    alice = await echo_client("alice")
    await alice.connect(server.port, app.key, auth=auth, user_id="alice")
    await alice.subscribe("encryptedPrivate", "medical.1", events=["Note"])
    await alice.wait_for(matching(type="subscribed"))
    relayed: list[str] = []
    original = hub.deliver_local

    def spy(publication: Publication) -> int:
        relayed.append(publication.data)
        return original(publication)

    hub.deliver_local = spy  # type: ignore[method-assign]
    sdk = pusher.Pusher(
        app_id=app.id,
        key=app.key,
        secret=app.secret,
        host="127.0.0.1",
        port=server.port,
        ssl=False,
        encryption_master_key_base64=base64.b64encode(MASTER_KEY).decode(),
    )

    # Spaces never occur in base64, so the plaintext cannot appear in the ciphertext by chance
    # (a two-letter text once did).
    secret_text = "asthma inhaler in the blue bag"
    await asyncio.to_thread(
        sdk.trigger, "private-encrypted-medical.1", "Note", {"text": secret_text}
    )

    received = await alice.wait_for(matching(type="event", event="Note"))
    assert received["data"] == {"text": secret_text}
    assert "ciphertext" in relayed[0] and secret_text not in relayed[0]
