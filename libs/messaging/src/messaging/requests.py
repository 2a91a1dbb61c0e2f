"""Sending a request by contract and getting its typed reply, or a ServiceError."""

from typing import cast

from nats.aio.client import Client
from nats.errors import NoRespondersError, TimeoutError
from nats.micro.request import ERROR_CODE_HEADER, ERROR_HEADER
from opentelemetry.trace import SpanKind

from contracts.envelope import REQUEST_ID_HEADER, R, Request
from contracts.errors import ErrorCode, ServiceError, ServiceErrorReply
from messaging import tracing
from messaging.codec import decode, encode


async def request(
    nc: Client, message: Request[R], timeout: float = 5.0, request_id: str | None = None
) -> R:
    """Send `message` on its subject; return its reply, typed as the request names it. With
    `request_id`, a service that already applied that id answers its first answer again
    (`messaging.service`): what a retry after a timeout sends.

    Raises ServiceError: the service's own error, or `unavailable` when no instance answers.
    """
    subject = message.subject
    with tracing.tracer.start_as_current_span(
        f"{subject} request",
        kind=SpanKind.CLIENT,
        attributes={"messaging.system": "nats", "messaging.destination.name": subject},
    ):
        headers = tracing.inject()
        if request_id is not None:
            headers[REQUEST_ID_HEADER] = request_id
        try:
            reply = await nc.request(subject, encode(message), timeout=timeout, headers=headers)
        except NoRespondersError as exc:
            raise ServiceError(ErrorCode.unavailable, f"no service answers {subject}") from exc
        except TimeoutError as exc:
            raise ServiceError(ErrorCode.unavailable, f"{subject} timed out") from exc
    headers = reply.headers or {}
    if ERROR_HEADER in headers:
        try:
            body = decode(ServiceErrorReply, reply.data)
        except ValueError:
            code = headers.get(ERROR_CODE_HEADER, ErrorCode.internal)
            body = ServiceErrorReply(code=ErrorCode(code), message=headers[ERROR_HEADER])
        raise ServiceError(body.code, body.message, body.fields)
    return cast(R, decode(message.reply, reply.data))
