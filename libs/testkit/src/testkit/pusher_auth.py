"""A broadcasting auth endpoint for tests, signing as a Laravel backend would: with `pusher`.

The caller is `Authorization: Bearer <user id>`. Rules, like a typical `channels.php`:
`private-user.{id}` only for that user, `private-forbidden*` for nobody, any other private or
encrypted channel for any user, presence for any user with `user_info` `{id, name}`.
`X-Forge-Signature: 1` makes it sign with a wrong secret, as a forged auth would be.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pusher

from testkit.http_server import Answer, Incoming, LoopbackHttpServer


@dataclass
class AuthEndpoint:
    app_id: str
    key: str
    secret: str
    encryption_master_key_base64: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)
    _server: LoopbackHttpServer | None = None

    @property
    def channel_auth_url(self) -> str:
        return f"http://{self.host}:{self.port}/broadcasting/auth"

    @property
    def user_auth_url(self) -> str:
        return f"http://{self.host}:{self.port}/broadcasting/user-auth"

    async def start(self) -> AuthEndpoint:
        self._server = LoopbackHttpServer(self._answer, self.port)
        await self._server.start()
        self.port = self._server.port
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    async def __aenter__(self) -> AuthEndpoint:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- policy ---------------------------------------------------------------------------

    def _client(self, forged: bool) -> pusher.Pusher:
        return pusher.Pusher(
            app_id=self.app_id,
            key=self.key,
            secret="forged-" + self.secret if forged else self.secret,
            encryption_master_key_base64=self.encryption_master_key_base64,
        )

    def authorize(
        self, path: str, user_id: str | None, form: dict[str, str], forged: bool
    ) -> tuple[int, dict[str, Any]]:
        self.requests.append({"path": path, "user_id": user_id or "", **form})
        if user_id is None:
            return 403, {"message": "Unauthenticated."}
        socket_id = form.get("socket_id", "")
        client = self._client(forged)
        if path == "/broadcasting/user-auth":
            user = {"id": user_id, "name": f"User {user_id}"}
            return 200, client.authenticate_user(socket_id, user)
        channel = form.get("channel_name", "")
        if channel.startswith("private-forbidden") or (
            channel.startswith("private-user.") and channel != f"private-user.{user_id}"
        ):
            return 403, {"message": "This action is unauthorized."}
        member = None
        if channel.startswith("presence-"):
            member = {"user_id": user_id, "user_info": {"id": user_id, "name": f"User {user_id}"}}
        signed = client.authenticate(channel, socket_id, member)
        return 200, {k: v.decode() if isinstance(v, bytes) else v for k, v in signed.items()}

    # -- HTTP -----------------------------------------------------------------------------

    def _answer(self, incoming: Incoming) -> Answer:
        bearer = incoming.headers.get("authorization", "")
        user_id = bearer[7:] if bearer.startswith("Bearer ") else None
        form = dict(parse_qsl(incoming.body.decode()))
        forged = incoming.headers.get("x-forge-signature") == "1"
        status, reply = self.authorize(incoming.target, user_id, form, forged)
        return Answer(status, json.dumps(reply).encode())
