"""The baseline of `bench/rest_to_frame.py`: the same REST mutation → frame as one FastAPI process
would do it, as a competent team would write it: SQLite through SQLAlchemy (async, aiosqlite),
bearer tokens (JWT, HS256) whose user is read again on every request, and an in-process Pusher
protocol 7 WebSocket endpoint (enough of it for Echo: connect, private-channel auth, subscribe,
ping), served by uvicorn with uvloop and httptools.

    python bench/monolith_app.py --port 8100 --database /tmp/mono.db --parents 20

`PATCH /api/v1/children/{id}` checks the token, reads the user, updates the child (only a
parent's own), commits, then writes `LiveRefreshContextsUpdated {"contexts": ["children"]}` to
the subscribers of the parent's and the admins' channels, and answers the child.

With `--hops NATS_URL` it is the front of `bench/hop_floor.py`'s floor instead: sign-in, the
token check and the WebSocket endpoint as here, but `PATCH` asks the floor's bookings over NATS
and answers its reply, and frames come from the floor's router over NATS.
"""

import argparse
import asyncio
import hashlib
import hmac
import itertools
import random
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import jwt
import nats
import orjson
import uvicorn
from fastapi import Depends, FastAPI, Form, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from nats.aio.client import Client as Nats
from pwdlib import PasswordHash
from pydantic import BaseModel
from sqlalchemy import ForeignKey, String, event, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SECRET = "monolith-jwt-secret-0123456789abcdef"
APP_KEY, APP_SECRET = "local-dev-key", "local-dev-secret"
ADMIN_CHANNEL = "private-live-refresh.admin"
PASSWORD = "password"
FLOOR_UPDATE, FLOOR_FRAMES = "floor.bookings.update_child", "floor.frames"  # bench/hop_floor.py


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))


class Child(Base):
    __tablename__ = "children"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    date_of_birth: Mapped[date]
    updated_at: Mapped[datetime]


class LoginBody(BaseModel):
    email: str
    password: str


class ChildCreateBody(BaseModel):
    name: str
    date_of_birth: date


class ChildUpdateBody(BaseModel):
    name: str | None = None
    date_of_birth: date | None = None


class ChildOut(BaseModel):
    id: int
    parent_id: int
    name: str
    date_of_birth: date
    updated_at: datetime


def user_channel(user_id: int) -> str:
    return f"private-live-refresh.{user_id}"


class Channels:
    """Subscribers by channel, in this process."""

    def __init__(self) -> None:
        self.members: defaultdict[str, set[WebSocket]] = defaultdict(set)
        self.versions: defaultdict[str, int] = defaultdict(int)

    async def push(self, channels: list[str], event_name: str, data: dict[str, Any]) -> None:
        text = orjson.dumps(data).decode()
        for channel in channels:
            self.versions[channel] += 1
            frame = orjson.dumps({"event": event_name, "channel": channel, "data": text}).decode()
            for socket in list(self.members.get(channel, ())):
                try:
                    await socket.send_text(frame)
                except Exception:  # a socket closing meanwhile; its handler removes it
                    self.members[channel].discard(socket)


def create_app(database: str, parents: int, hops: str | None = None) -> FastAPI:
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}")

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    sessions = async_sessionmaker(engine, expire_on_commit=False)
    hasher = PasswordHash.recommended()
    channels = Channels()
    bearer = HTTPBearer(auto_error=False)
    socket_ids = itertools.count(1)

    bus: list[Nats] = []  # the floor's NATS connection, with --hops

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await seed()
        if hops is not None:
            bus.append(await nats.connect(hops))
            await bus[0].subscribe(FLOOR_FRAMES, cb=on_floor_frame)
        yield
        for nc in bus:
            await nc.close()
        await engine.dispose()

    async def on_floor_frame(msg: Any) -> None:
        frame = orjson.loads(msg.data)
        await channels.push(frame["channels"], frame["event"], frame["data"])

    app = FastAPI(title="monolith baseline", lifespan=lifespan)

    async def seed() -> None:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        password_hash = hasher.hash(PASSWORD)
        async with sessions() as session, session.begin():
            if await session.scalar(select(User).limit(1)) is None:
                session.add(
                    User(
                        email="admin@bench.test",
                        name="Admin",
                        role="admin",
                        password_hash=password_hash,
                    )
                )
                session.add_all(
                    User(
                        email=f"parent{n}@bench.test",
                        name=f"Parent {n}",
                        role="parent",
                        password_hash=password_hash,
                    )
                    for n in range(parents)
                )

    async def current_user(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> User:
        user = None
        if credentials is not None:
            try:
                claims = jwt.decode(credentials.credentials, SECRET, algorithms=["HS256"])
                async with sessions() as session:
                    user = await session.get(User, int(claims["sub"]))
            except (jwt.PyJWTError, ValueError, KeyError):
                user = None
        if user is None:
            raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
        return user

    CurrentUser = Annotated[User, Depends(current_user)]

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/auth/login")
    async def login(body: LoginBody) -> dict[str, Any]:
        async with sessions() as session:
            user = await session.scalar(select(User).where(User.email == body.email.lower()))
        if user is None or not await asyncio.to_thread(
            hasher.verify, body.password, user.password_hash
        ):
            raise HTTPException(401, "wrong email or password")
        now = datetime.now(UTC)
        claims = {
            "sub": str(user.id),
            "role": user.role,
            "iat": now,
            "exp": now + timedelta(hours=1),
        }
        return {
            "access_token": jwt.encode(claims, SECRET, algorithm="HS256"),
            "user": {"id": user.id, "name": user.name, "role": user.role},
        }

    @app.post("/api/v1/children", status_code=201, response_model=ChildOut)
    async def create_child(body: ChildCreateBody, user: CurrentUser) -> Child:
        async with sessions() as session, session.begin():
            child = Child(
                parent_id=user.id,
                name=body.name,
                date_of_birth=body.date_of_birth,
                updated_at=datetime.now(UTC),
            )
            session.add(child)
        await channels.push(
            [user_channel(user.id), ADMIN_CHANNEL],
            "LiveRefreshContextsUpdated",
            {"contexts": ["children"]},
        )
        return child

    @app.patch("/api/v1/children/{child_id}", response_model=ChildOut)
    async def update_child(child_id: int, body: ChildUpdateBody, user: CurrentUser) -> Any:
        if bus:
            request = {"child_id": child_id, "parent_id": user.id, "body": body.model_dump()}
            reply = await bus[0].request(FLOOR_UPDATE, orjson.dumps(request), timeout=5.0)
            return orjson.loads(reply.data)
        async with sessions() as session, session.begin():
            child = await session.get(Child, child_id)
            if child is None or (child.parent_id != user.id and user.role != "admin"):
                raise HTTPException(404, f"child {child_id} not found")
            for name, value in body.model_dump(exclude_unset=True).items():
                setattr(child, name, value)
            child.updated_at = datetime.now(UTC)
        await channels.push(
            [user_channel(child.parent_id), ADMIN_CHANNEL],
            "LiveRefreshContextsUpdated",
            {"contexts": ["children"]},
        )
        return child

    @app.post("/api/v1/broadcasting/auth")
    async def broadcasting_auth(
        socket_id: Annotated[str, Form()], channel_name: Annotated[str, Form()], user: CurrentUser
    ) -> dict[str, str]:
        allowed = channel_name == user_channel(user.id) or (
            channel_name == ADMIN_CHANNEL and user.role == "admin"
        )
        if not allowed:
            raise HTTPException(403, f"you may not join {channel_name}")
        return {"auth": f"{APP_KEY}:{_sign(f'{socket_id}:{channel_name}')}"}

    @app.websocket("/app/{key}")
    async def pusher(socket: WebSocket, key: str) -> None:
        await socket.accept()
        if key != APP_KEY:
            await socket.close(4001, "App key not in this app")
            return
        socket_id = f"{random.randrange(10**9)}.{next(socket_ids)}"
        established = orjson.dumps({"socket_id": socket_id, "activity_timeout": 120}).decode()
        await socket.send_text(_message("pusher:connection_established", established))
        joined: set[str] = set()
        try:
            while True:
                message = orjson.loads(await socket.receive_text())
                name, data = message.get("event"), message.get("data") or {}
                if name == "pusher:ping":
                    await socket.send_text(_message("pusher:pong", {}))
                elif name == "pusher:subscribe":
                    channel = str(data.get("channel", ""))
                    expected = f"{APP_KEY}:{_sign(f'{socket_id}:{channel}')}"
                    if channel.startswith("private-") and not hmac.compare_digest(
                        str(data.get("auth", "")), expected
                    ):
                        error = {"type": "AuthError", "error": "Invalid signature", "status": 401}
                        await socket.send_text(
                            _message("pusher:subscription_error", error, channel)
                        )
                        continue
                    channels.members[channel].add(socket)
                    joined.add(channel)
                    await socket.send_text(
                        _message("pusher_internal:subscription_succeeded", "{}", channel)
                    )
                elif name == "pusher:unsubscribe":
                    channel = str(data.get("channel", ""))
                    channels.members[channel].discard(socket)
                    joined.discard(channel)
        except WebSocketDisconnect:
            pass
        finally:
            for channel in joined:
                channels.members[channel].discard(socket)

    return app


def _sign(message: str) -> str:
    return hmac.new(APP_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()


def _message(name: str, data: Any, channel: str | None = None) -> str:
    body: dict[str, Any] = {"event": name, "data": data}
    if channel is not None:
        body["channel"] = channel
    return orjson.dumps(body).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--parents", type=int, default=20)
    parser.add_argument("--hops", metavar="NATS_URL", help="be the front of bench/hop_floor.py")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.database, args.parents, args.hops),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
