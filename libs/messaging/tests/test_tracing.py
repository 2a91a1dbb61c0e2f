"""Integration: W3C trace context travels in NATS headers across request/reply."""

import asyncio
from datetime import UTC, date, datetime

from nats.aio.client import Client
from nats.aio.msg import Msg
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from contracts.bookings import ChildDetails, GetChild
from contracts.envelope import Actor, Role
from messaging import tracing
from messaging.requests import request
from messaging.service import serve

ADMIN = Actor(user_id=1, role=Role.admin)
NOW = datetime(2024, 1, 2, tzinfo=UTC)


async def test_a_request_and_its_handling_are_one_trace(
    nc: Client, spans: InMemorySpanExporter
) -> None:
    seen_by_handler: list[int] = []

    async def get_child(message: GetChild) -> ChildDetails:
        seen_by_handler.append(trace.get_current_span().get_span_context().trace_id)
        return ChildDetails(
            id=message.child_id,
            parent_id=1,
            name="A",
            date_of_birth=date(2020, 1, 1),
            created_at=NOW,
            updated_at=NOW,
        )

    wire_headers: asyncio.Queue[dict[str, str]] = asyncio.Queue()

    async def overhear(msg: Msg) -> None:
        await wire_headers.put(dict(msg.headers or {}))

    await nc.subscribe(GetChild.subject, cb=overhear)  # a bystander sees the request as sent
    service = await serve(nc, "children", "1.0.0", {GetChild: get_child})
    try:
        with tracing.tracer.start_as_current_span("gateway call") as root:
            await request(nc, GetChild(actor=ADMIN, child_id=3))
    finally:
        await service.stop()

    trace_id = root.get_span_context().trace_id
    headers = await asyncio.wait_for(wire_headers.get(), timeout=5)
    version, header_trace, parent_span, _flags = headers["traceparent"].split("-")
    assert (version, header_trace) == ("00", f"{trace_id:032x}")
    assert seen_by_handler == [trace_id]

    by_name = {s.name: s for s in spans.get_finished_spans()}
    client = by_name[f"{GetChild.subject} request"]
    server = by_name[f"{GetChild.subject} process"]
    assert (client.kind, server.kind) == (SpanKind.CLIENT, SpanKind.SERVER)
    assert client.context.trace_id == server.context.trace_id == trace_id
    assert server.parent is not None and server.parent.span_id == client.context.span_id
    assert parent_span == f"{client.context.span_id:016x}"
    assert server.attributes["messaging.destination.name"] == GetChild.subject
