"""Creating (or updating) the JetStream streams the contracts declare, with their limits.

Event streams are fed by transactional outboxes, so when one is full it refuses the publish
(`DiscardPolicy.NEW`): the outbox keeps the row and retries, and nothing committed is lost.
Messages age out after `max_age_seconds`; consumers are durable and normally current, so only
a consumer stopped for longer than that misses history. Dead letters drop their oldest instead.
"""

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StreamConfig
from nats.js.errors import NotFoundError

from contracts.catalogue import STREAMS
from contracts.streams import StreamSpec

DUPLICATE_WINDOW_SECONDS = 24 * 3600  # the outbox may retry a publish long after the first try
_DAY = 24 * 3600
_MIB = 1024**2


@dataclass(frozen=True)
class StreamLimits:
    """Every stream's size and age bounds; `runtime.settings.StreamLimitSettings` reads them
    from the environment. Every service must run with the same values: each start applies its
    own to the existing streams."""

    # nats-server reserves every stream's max_bytes in its file store at creation (refusing
    # the stream if the sum does not fit): six event streams and dead letters reserve 3.1 GiB.
    max_bytes: int = 512 * _MIB
    max_age_seconds: float = 30 * _DAY
    dead_letter_max_bytes: int = 128 * _MIB
    dead_letter_max_age_seconds: float = 30 * _DAY

    def __post_init__(self) -> None:
        # JetStream refuses a duplicate window longer than the age, and the outbox relies on it.
        for age in (self.max_age_seconds, self.dead_letter_max_age_seconds):
            if age < DUPLICATE_WINDOW_SECONDS:
                raise ValueError(f"a stream age must be at least {DUPLICATE_WINDOW_SECONDS} s")
        if min(self.max_bytes, self.dead_letter_max_bytes) <= 0:
            raise ValueError("a stream's max_bytes must be positive")

    def config(self, spec: StreamSpec) -> StreamConfig:
        if spec.dead_letters:
            age, size = self.dead_letter_max_age_seconds, self.dead_letter_max_bytes
            discard = DiscardPolicy.OLD
        else:
            age, size, discard = self.max_age_seconds, self.max_bytes, DiscardPolicy.NEW
        if spec.max_age_seconds is not None:
            age = min(age, spec.max_age_seconds)
        return StreamConfig(
            name=spec.name,
            subjects=list(spec.subjects),
            duplicate_window=min(DUPLICATE_WINDOW_SECONDS, age),
            max_age=age,
            max_bytes=size,
            discard=discard,
        )


async def ensure_streams(
    js: JetStreamContext,
    specs: tuple[StreamSpec, ...] = STREAMS,
    limits: StreamLimits | None = None,
) -> None:
    """Create each stream, or bring an existing one (an older deployment's) to these limits."""
    for spec in specs:
        config = (limits or StreamLimits()).config(spec)
        try:
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)
