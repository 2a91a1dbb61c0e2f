"""OpenTelemetry set-up for a service process: a real tracer provider, optionally to a file.

`OTEL_SPANS_FILE` (JSON lines, one span a line) is how tests and developers read the spans
without a collector.
"""

import json
import os
from typing import IO

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor


def _one_line(span: ReadableSpan) -> str:
    return json.dumps(json.loads(span.to_json()), separators=(",", ":")) + "\n"


def setup_tracing(service_name: str, spans_file: str | None = None) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    path = spans_file or os.environ.get("OTEL_SPANS_FILE")
    if path:
        # The file lives as long as the process; line buffering keeps each span whole.
        out: IO[str] = open(path, "a", buffering=1)  # noqa: SIM115
        provider.add_span_processor(
            SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=_one_line))
        )
    trace.set_tracer_provider(provider)
