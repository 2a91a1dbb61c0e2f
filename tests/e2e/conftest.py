"""End-to-end tier: the whole stack as `./dev up` starts it, driven over REST and real Echo."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from testkit.echo import EchoClient
from testkit.stack import RunningStack

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
