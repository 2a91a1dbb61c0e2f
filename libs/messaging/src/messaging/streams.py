"""Creating (or updating) the JetStream streams the contracts declare, with their limits.

Event streams are fed by transactional outboxes, so when one is full it refuses the publish
(`DiscardPolicy.NEW`): the outbox keeps the row and retries, and nothing committed is lost.
Messages age out after `max_age_seconds`; consumers are durable and normally current, so only
a consumer stopped for longer than that misses history. Dead letters drop their oldest instead.
"""

from collections.abc import Collection
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from contracts.catalogue import STREAMS
from contracts.streams import StreamSpec

# JetStream's answer to creating a stream that exists with another configuration.
STREAM_NAME_IN_USE = 10058
DUPLICATE_WINDOW_SECONDS = 24 * 3600  # the outbox may retry a publish long after the first try
_DAY = 24 * 3600
_MIB = 1024**2


@dataclass(frozen=True)
class StreamLimits:
    """Every stream's size and age bounds; `runtime.settings.StreamLimitSettings` reads them
    from the environment. Each start applies them to the streams its service keeps (publishes
    into); a stream another service keeps gets them only if this start creates it."""

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
    keeps: Collection[StreamSpec] | None = None,
) -> None:
    """Create each stream that is missing. Those in `keeps` (every one when None) are also
    brought to these limits when they exist (an older deployment's); the others are left as
    their keeper made them: a service's NATS user may update only the streams it keeps
    (`devstack.nats_permissions`)."""
    kept = {spec.name for spec in (specs if keeps is None else keeps)}
    for spec in specs:
        config = (limits or StreamLimits()).config(spec)
        if spec.name not in kept:
            await _create_unless_there(js, config)
            continue
        try:
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)


async def _create_unless_there(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        await js.add_stream(config)
    except BadRequestError as exc:
        if exc.err_code != STREAM_NAME_IN_USE:  # there with other limits: its keeper's
            raise
