"""W3C trace context carried in NATS headers; a span per publish and per handle."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind

tracer = trace.get_tracer("cams.messaging")


def inject(headers: dict[str, str] | None = None) -> dict[str, str]:
    """The current trace context as NATS headers (added to `headers` if given)."""
    carrier = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract(headers: Mapping[str, str] | None) -> Context:
    return propagate.extract(dict(headers or {}))


@contextmanager
def publish_span(subject: str) -> Iterator[Span]:
    with tracer.start_as_current_span(
        f"{subject} publish",
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "nats", "messaging.destination.name": subject},
    ) as span:
        yield span


@contextmanager
def handle_span(
    subject: str, headers: Mapping[str, str] | None, kind: SpanKind = SpanKind.CONSUMER
) -> Iterator[Span]:
    with tracer.start_as_current_span(
        f"{subject} process",
        context=extract(headers),
        kind=kind,
        attributes={"messaging.system": "nats", "messaging.destination.name": subject},
    ) as span:
        yield span
