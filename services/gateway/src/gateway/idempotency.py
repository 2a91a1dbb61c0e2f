"""`Idempotency-Key` on every POST under /api/v1 (docs/rest.md): the first request with a key runs
and its answer is kept; the same request again gets that answer back and nothing runs twice.

Pure ASGI middleware, so that no route knows of it. A key belongs to a caller (`scope`: the
SHA-256 of the Authorization header, or "anonymous") and names one request (`fingerprint`:
method, path, query and the SHA-256 of the body). The unique (scope, key) of the table decides
which of two concurrent requests holds the key, on SQLite and PostgreSQL alike.

The key also reaches the services: each service request the route sends carries a request id
derived from the keyed request (`service_request_id`), the same on every retry. A try whose
answer the gateway never got (its request timed out: 503, the key released) may have applied;
the retry's request then gets that first answer from the service instead of applying again.
"""

import hashlib
import logging
import re
import uuid
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.envelope import utc_now
from gateway.models import IdempotencyKey
from gateway.settings import GatewaySettings
from gateway.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII
# A claim that finds the key held, but gone again when read, tries anew; then it answers 409.
CLAIM_ATTEMPTS = 3
# Not kept under a key: sign-in and registration answer fresh access tokens (a stored one would
# be a credential at rest, replayed after it expired), and channel signatures are per socket.
EXEMPT = ("auth/", "broadcasting/")


# The namespace of the ids derived from keyed requests (uuid5).
SERVICE_REQUESTS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cams:idempotency-key")


@dataclass
class ServiceRequestIds:
    """The ids of the service requests one keyed request sends: the n-th request on a subject
    gets the same id on every retry of the keyed request."""

    base: uuid.UUID
    sent: Counter[str] = field(default_factory=Counter)

    def next_for(self, subject: str) -> str:
        self.sent[subject] += 1
        return str(uuid.uuid5(self.base, f"{subject}#{self.sent[subject]}"))


_service_requests: ContextVar[ServiceRequestIds | None] = ContextVar(
    "service_requests", default=None
)


def service_request_id(subject: str) -> str | None:
    """The id of the next service request on `subject`, while a keyed request runs."""
    ids = _service_requests.get()
    return None if ids is None else ids.next_for(subject)


@dataclass(frozen=True)
class KeyedRequest:
    scope: str
    key: str
    fingerprint: str

    def service_requests(self) -> ServiceRequestIds:
        name = "\n".join((self.scope, self.key, self.fingerprint))
        return ServiceRequestIds(uuid.uuid5(SERVICE_REQUESTS, name))


@dataclass(frozen=True)
class Held:
    """The request that holds a key: what it was, and its answer once it finished."""

    fingerprint: str
    status_code: int | None = None
    content_type: str | None = None
    body: bytes = b""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def keyed_request(scope: Scope, key: str, body: bytes) -> KeyedRequest:
    """The key with the caller it belongs to and the fingerprint of the request."""
    authorization = Headers(scope=scope).get("authorization")
    caller = "anonymous" if authorization is None else _sha256(authorization.encode("latin-1"))
    query = scope["query_string"].decode("latin-1")
    request = "\n".join((scope["method"], scope["path"], query, _sha256(body)))
    return KeyedRequest(caller, key, _sha256(request.encode()))


class KeyStore:
    """Keys in the gateway's database; each call is one transaction."""

    def __init__(self, new_uow: Callable[[], UnitOfWork], settings: GatewaySettings) -> None:
        self._new_uow = new_uow
        self._ttl = timedelta(seconds=settings.idempotency_ttl_seconds)
        self._lease = timedelta(seconds=settings.idempotency_lease_seconds)

    async def claim(self, request: KeyedRequest) -> Held | None:
        """None when this request now holds the key; else the row of the one that does."""
        await self._purge()
        for _ in range(CLAIM_ATTEMPTS):
            now = utc_now()
            try:
                async with self._new_uow() as uow:
                    keys = uow.idempotency_keys
                    await keys.drop_stale(request.scope, request.key, now, now - self._lease)
                    keys.add(
                        IdempotencyKey(
                            scope=request.scope,
                            key=request.key,
                            fingerprint=request.fingerprint,
                            created_at=now,
                            expires_at=now + self._ttl,
                        )
                    )
                    await uow.commit()
                return None
            except IntegrityError:
                async with self._new_uow() as uow:
                    row = await uow.idempotency_keys.find(request.scope, request.key)
                    if row is not None:
                        return Held(
                            row.fingerprint, row.status_code, row.content_type, row.body or b""
                        )
        return Held(request.fingerprint)  # still running, as far as this request can tell

    async def complete(
        self, request: KeyedRequest, status_code: int, content_type: str | None, body: bytes
    ) -> None:
        async with self._new_uow() as uow:
            await uow.idempotency_keys.complete(
                request.scope, request.key, status_code, content_type, body
            )
            await uow.commit()

    async def release(self, request: KeyedRequest) -> None:
        async with self._new_uow() as uow:
            await uow.idempotency_keys.release(request.scope, request.key)
            await uow.commit()

    async def _purge(self) -> None:
        # Lazily, in a transaction of its own so that it never holds up a claim's.
        async with self._new_uow() as uow:
            await uow.idempotency_keys.purge_expired(utc_now())
            await uow.commit()


@dataclass
class _Answer:
    """What the route answered, as it goes out."""

    max_body_bytes: int
    status_code: int = 500
    content_type: str | None = None
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    settled: bool = False

    def start(self, message: Message) -> None:
        self.status_code = message["status"]
        self.content_type = Headers(raw=message.get("headers", [])).get("content-type")

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size <= self.max_body_bytes:
            self.chunks.append(chunk)

    @property
    def keepable(self) -> bool:
        # A 5xx is not kept: the client may retry. Nor is a 401: the route never ran, and the
        # retry comes with a new token. Nor is an answer above the size setting: its key is
        # released like a 5xx's (a POST answers one resource, far below it).
        return (
            self.status_code < 500 and self.status_code != 401 and self.size <= self.max_body_bytes
        )


def _key_error(msg: str) -> Response:
    error = {"loc": ["header", HEADER], "msg": msg, "type": "value_error"}
    return JSONResponse({"detail": [error]}, 422)


def _replay(held: Held, status_code: int) -> Response:
    headers = {REPLAYED: "true"}
    if held.content_type is not None:
        headers["content-type"] = held.content_type
    return Response(held.body, status_code, headers=headers)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The body read once more for the route, then the connection's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: KeyStore, prefix: str, max_body_bytes: int) -> None:
        self.app = app
        self.store = store
        self.prefix = prefix.rstrip("/") + "/"
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key_of(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not VALID_KEY.fullmatch(key):
            await _key_error("must be 1 to 255 visible ASCII characters")(scope, receive, send)
            return
        body = await Request(scope, receive).body()
        request = keyed_request(scope, key, body)
        held = await self.store.claim(request)
        if held is None:
            await self._run(request, scope, _replaying(body, receive), send)
        elif held.fingerprint != request.fingerprint:
            await _key_error("this key was used for a different request")(scope, receive, send)
        elif held.status_code is None:
            answer = JSONResponse({"detail": "a request with this key is still running"}, 409)
            await answer(scope, receive, send)
        else:
            await _replay(held, held.status_code)(scope, receive, send)

    def _key_of(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        path: str = scope["path"]
        if not path.startswith(self.prefix) or path[len(self.prefix) :].startswith(EXEMPT):
            return None
        return Headers(scope=scope).get(HEADER)

    async def _run(self, request: KeyedRequest, scope: Scope, receive: Receive, send: Send) -> None:
        answer = _Answer(self.max_body_bytes)

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.start(message)
            elif message["type"] == "http.response.body":
                answer.add(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._settle(request, answer)  # before the client can retry
            await send(message)

        token = _service_requests.set(request.service_requests())
        try:
            await self.app(scope, receive, keep)
        finally:
            _service_requests.reset(token)
            if not answer.settled:  # the route failed before it answered in full
                await self.store.release(request)

    async def _settle(self, request: KeyedRequest, answer: _Answer) -> None:
        answer.settled = True
        try:
            if answer.keepable:
                body = b"".join(answer.chunks)
                await self.store.complete(request, answer.status_code, answer.content_type, body)
            else:
                await self.store.release(request)
        except Exception:
            # The answer still goes out; the key stays running until its lease ends.
            log.exception("could not settle %s %r", HEADER, request.key)
