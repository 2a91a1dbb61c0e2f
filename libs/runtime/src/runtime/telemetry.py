"""OpenTelemetry set-up for a service process: a real tracer provider and where spans go.

- `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`): batches to an OTLP/HTTP
  collector, as production runs it.
- `OTEL_SPANS_FILE`: JSON lines, one span a line, for tests and developers without a collector.
"""

import json
import os
from collections.abc import Mapping
from typing import IO

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)


def _one_line(span: ReadableSpan) -> str:
    return json.dumps(json.loads(span.to_json()), separators=(",", ":")) + "\n"


def _otlp_traces_url(environ: Mapping[str, str]) -> str | None:
    if url := environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return url
    if base := environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return base.rstrip("/") + "/v1/traces"
    return None


def tracer_provider(service_name: str, environ: Mapping[str, str]) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if url := _otlp_traces_url(environ):
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    if path := environ.get("OTEL_SPANS_FILE"):
        # The file lives as long as the process; line buffering keeps each span whole.
        out: IO[str] = open(path, "a", buffering=1)  # noqa: SIM115
        provider.add_span_processor(
            SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=_one_line))
        )
    return provider


def setup_tracing(service_name: str) -> TracerProvider:
    """Install this process's tracer provider; `shutdown()` it on stop to flush the batch.

    With nowhere to send spans (neither variable set) none is installed: OpenTelemetry's no-op
    tracer still carries each incoming trace context on to what the process sends, so traces
    stay whole across the services that do export, and no span is built only to be dropped.
    """
    provider = tracer_provider(service_name, os.environ)
    if exports_spans(os.environ):
        trace.set_tracer_provider(provider)
    return provider


def exports_spans(environ: Mapping[str, str]) -> bool:
    return _otlp_traces_url(environ) is not None or bool(environ.get("OTEL_SPANS_FILE"))
