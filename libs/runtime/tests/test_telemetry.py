"""Spans go where the environment says: an OTLP/HTTP collector, a JSON-lines file, or both."""

import asyncio
import json
from pathlib import Path

from runtime.telemetry import tracer_provider
from testkit.http_server import Answer, Incoming, LoopbackHttpServer


async def test_spans_are_exported_to_an_otlp_http_collector() -> None:
    received: list[Incoming] = []

    def collector(incoming: Incoming) -> Answer:
        received.append(incoming)
        return Answer(200, content_type="application/x-protobuf")

    server = LoopbackHttpServer(collector)
    await server.start()
    try:
        environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.port}"}
        provider = tracer_provider("bookings", environ)
        with provider.get_tracer("test").start_as_current_span("bookings.requests.get_child"):
            pass
        # The exporter posts synchronously; the collector answers on this loop, so flush aside.
        assert await asyncio.to_thread(provider.force_flush, 5000)
        provider.shutdown()
    finally:
        await server.close()
    [post] = received
    assert (post.method, post.target) == ("POST", "/v1/traces")
    assert post.headers["content-type"] == "application/x-protobuf"
    assert b"bookings.requests.get_child" in post.body and b"bookings" in post.body


def test_spans_are_written_to_a_json_lines_file(tmp_path: Path) -> None:
    spans = tmp_path / "spans.jsonl"
    provider = tracer_provider("gateway", {"OTEL_SPANS_FILE": str(spans)})
    with provider.get_tracer("test").start_as_current_span("POST /api/v1/children"):
        pass
    provider.shutdown()
    [line] = spans.read_text().splitlines()
    span = json.loads(line)
    assert span["name"] == "POST /api/v1/children"
    assert span["resource"]["attributes"]["service.name"] == "gateway"


def test_a_process_with_nowhere_to_send_spans_records_none_but_passes_the_trace_on() -> None:
    from opentelemetry.trace import NoOpTracer

    from messaging import tracing
    from runtime.telemetry import exports_spans

    assert not exports_spans({})
    assert exports_spans({"OTEL_SPANS_FILE": "/tmp/x"})
    assert exports_spans({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    incoming = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    tracer = NoOpTracer()
    with tracer.start_as_current_span("x", context=tracing.extract(incoming)) as span:
        assert not span.is_recording()
        outgoing = tracing.inject()
    assert outgoing["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
