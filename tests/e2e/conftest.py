"""End-to-end tier: the whole stack as `./dev up` starts it, driven over REST and real Echo."""

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit.echo import EchoClient, matching
from testkit.stack import RunningStack
from testkit.waiting import eventually

pytestmark = pytest.mark.e2e

APP_KEY = "local-dev-key"
PASSWORD = "password"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with RunningStack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@dataclass
class GatewayAuth:
    """Where pusher-js asks for channel and user signatures: the gateway, as in production."""

    channel_auth_url: str
    user_auth_url: str


@dataclass
class Session:
    token: str
    user: dict[str, object]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def id(self) -> int:
        return int(str(self.user["id"]))


@pytest.fixture
async def api(stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.api, timeout=15) as client:
        yield client


async def login(api: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Session:
    answer = await api.post("/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return Session(token=body["access_token"], user=body["user"])


async def echo_for(
    stack: RunningStack,
    session: Session,
    name: str,
    broadcaster: str = "pusher",
    port: int | None = None,
) -> EchoClient:
    """An Echo client connected to the realtime edge, authorising through the gateway.

    `broadcaster="reverb"` configures Echo exactly as the replaced Reverb frontend does
    (docs/triggers.md).
    """
    client = await EchoClient.start(name)
    auth = GatewayAuth(f"{stack.api}/broadcasting/auth", f"{stack.api}/broadcasting/user-auth")
    port = port or stack.realtime_port  # another port: a proxy in front of the edge
    options = {"broadcaster": broadcaster, "wssPort": port}
    await client.connect(port, APP_KEY, auth=auth, headers=session.headers, options=options)
    return client


@pytest.fixture
def spans_file(stack: RunningStack) -> Path:
    return stack.spans_file


# --- hearing frames: what the trigger table promises each listener (docs/triggers.md) ---

FRAME = "LiveRefreshContextsUpdated"
BOOKINGS = ["bookings"]
SESSION = ["bookings", "trainer_schedules"]
AVAILABILITY = ["trainer_availability", "trainer_schedules"]
CHILDREN = ["children"]
NOTIFICATIONS = ["notifications"]
ACTIVITY = ["activity"]


@dataclass
class Listener:
    """One page listening on one channel, and the frames the trigger table promises it.

    Frames of different streams keep no order between them (a change's own frame and the frame
    of the notification it causes), so frames compare as a multiset. The admin's `activity`
    frames (one per domain event, from the feed) are counted only where a test asks for them."""

    page: EchoClient
    channel: str
    expected: list[list[str]] = field(default_factory=list)
    counts_activity: bool = False

    def frames(self) -> list[list[str]]:
        seen = self.page.seen(matching(type="event", event=FRAME, channel=self.channel))
        contexts = [frame["data"]["contexts"] for frame in seen]
        return [c for c in contexts if self.counts_activity or c != ACTIVITY]

    def settled(self) -> bool:
        return sorted(self.frames()) == sorted(self.expected)


@dataclass
class Audience:
    listeners: dict[str, Listener]

    async def hears(self, **frames_by_listener: list[list[str]]) -> None:
        """The last step sent these frames (each a list of contexts), and every other listener
        heard nothing new."""
        for name, frames in frames_by_listener.items():
            self.listeners[name].expected.extend(frames)

        async def settled() -> bool:
            return all(listener.settled() for listener in self.listeners.values())

        try:
            await eventually(settled, timeout=10)
        except TimeoutError:
            got = {name: (lst.frames(), lst.expected) for name, lst in self.listeners.items()}
            pytest.fail(f"frames (got, expected) per listener: {got}")


async def new_user(api: httpx.AsyncClient, admin: Session, role: str, name: str) -> Session:
    email = f"{role}-{uuid.uuid4().hex[:8]}@cams.test"
    created = await api.post(
        "/users",
        headers=admin.headers,
        json={"email": email, "name": name, "role": role, "password": PASSWORD},
    )
    assert created.status_code == 201, created.text
    return await login(api, email)


async def trainer_profile(api: httpx.AsyncClient, trainer: Session) -> dict[str, Any]:
    """The profile the trainers service makes from the gateway's UserCreated."""

    async def profile() -> dict[str, Any] | None:
        answer = await api.get("/trainers/me", headers=trainer.headers)
        return answer.json() if answer.status_code == 200 else None

    return await eventually(profile, timeout=15)


async def listen(stack: RunningStack, who: Session, name: str, channel: str) -> Listener:
    page = await echo_for(stack, who, name)
    await page.subscribe("private", channel.removeprefix("private-"), events=[FRAME])
    await page.wait_for(matching(type="subscribed", channel=channel))
    return Listener(page, channel)


async def audience_of(stack: RunningStack, admin: Session, **users: Session) -> Audience:
    """A listener for each user on their own channel, and the admin's on the admin channel."""
    listeners = {
        name: await listen(stack, who, name, f"private-live-refresh.{who.id}")
        for name, who in users.items()
    }
    listeners["admin"] = await listen(stack, admin, "admin", "private-live-refresh.admin")
    return Audience(listeners)


def ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def unread(api: httpx.AsyncClient, who: Session) -> int:
    return int(ok(await api.get("/notifications/unread-count", headers=who.headers))["count"])


async def notified(api: httpx.AsyncClient, who: Session, count: int) -> None:
    """Wait until `who` has `count` unread notifications (the dispatcher runs behind the change
    that causes them): a listener opened after that hears none of them."""

    async def reached() -> bool:
        return await unread(api, who) == count

    await eventually(reached, timeout=15)
