"""Creating (or updating) the JetStream streams the contracts declare."""

from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from contracts.catalogue import STREAMS
from contracts.streams import StreamSpec

DUPLICATE_WINDOW_SECONDS = 24 * 3600  # the outbox may retry a publish long after the first try


async def ensure_streams(js: JetStreamContext, specs: tuple[StreamSpec, ...] = STREAMS) -> None:
    for spec in specs:
        config = StreamConfig(
            name=spec.name,
            subjects=list(spec.subjects),
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            max_age=spec.max_age_seconds,
        )
        try:
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)
