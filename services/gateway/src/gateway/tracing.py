"""A server span per HTTP request, continuing the caller's W3C context and returning ours.

The `traceparent` response header lets a client (or a test) find the trace a call started.
"""

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

tracer = trace.get_tracer("cams.gateway")


class TracingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        name = f"{scope['method']} {scope['path']}"
        with tracer.start_as_current_span(
            name,
            context=propagate.extract(incoming),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
        ) as span:
            outgoing: dict[str, str] = {}
            propagate.inject(outgoing)

            async def send_with_trace(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    headers = list(message.get("headers", []))
                    headers += [(k.encode(), v.encode()) for k, v in outgoing.items()]
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, send_with_trace)
