"""Serving request/reply endpoints as a NATS micro service, typed by contract.

A handler takes a request contract and returns its reply contract; decoding, encoding, error
headers and tracing live here only.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.micro import add_service
from nats.micro.request import Request as MicroRequest
from nats.micro.service import Service, ServiceConfig
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from contracts.envelope import Reply, Request
from contracts.errors import ErrorCode, FieldError, ServiceError
from messaging import tracing
from messaging.codec import decode, encode

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[Reply]]
Handlers = Mapping[type[Request[Any]], Handler]

Q = TypeVar("Q", bound=Request[Any])
U = TypeVar("U")


def bind(
    handler: Callable[[Q, U], Awaitable[Reply]], new_uow: Callable[[], U]
) -> Callable[[Q], Awaitable[Reply]]:
    """A handler `(command, uow) -> reply` as an endpoint: each request gets a fresh unit of
    work."""

    async def endpoint(command: Q) -> Reply:
        return await handler(command, new_uow())

    return endpoint


def field_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError(loc=list(err["loc"]), msg=err["msg"], type=err["type"]) for err in exc.errors()
    ]


async def _answer(contract: type[Request[Any]], handler: Handler, msg: MicroRequest) -> None:
    with tracing.handle_span(contract.subject, msg.headers, kind=SpanKind.SERVER) as span:
        try:
            error = await _handle(handler, decode(contract, msg.data), msg)
        except ValidationError as exc:
            error = ServiceError(ErrorCode.invalid, "invalid request", field_errors(exc))
        except ValueError as exc:  # not JSON at all: the caller's fault, not an internal error
            error = ServiceError(ErrorCode.invalid, f"request is not JSON: {exc}")
        if error is not None:
            span.set_attribute("error.type", error.code.value)
            await msg.respond_error(error.code.value, error.message, encode(error.reply()))


async def _handle(
    handler: Handler, message: Request[Any], msg: MicroRequest
) -> ServiceError | None:
    """Run the handler and send its reply; or return the error to answer with instead."""
    try:
        await msg.respond(encode(await handler(message)))
        return None
    except ValidationError as exc:
        return ServiceError(ErrorCode.invalid, "invalid request", field_errors(exc))
    except ServiceError as exc:
        return exc
    except Exception:
        log.exception("handler failed", extra={"subject": message.subject})
        return ServiceError(ErrorCode.internal, "internal error")


async def serve(
    nc: Client,
    name: str,
    version: str,
    handlers: Handlers,
    description: str = "",
) -> Service:
    """Start service `name` with one endpoint per request contract, in a shared queue group."""
    service = await add_service(
        nc, ServiceConfig(name=name, version=version, description=description, queue_group=name)
    )
    for contract, handler in handlers.items():

        async def endpoint(
            msg: MicroRequest, contract: type[Request[Any]] = contract, handler: Handler = handler
        ) -> None:
            await _answer(contract, handler, msg)

        await service.add_endpoint(
            name=contract.subject.rsplit(".", 1)[-1], subject=contract.subject, handler=endpoint
        )
    # Once the server has seen every SUB, a request sent by anyone finds a responder.
    await nc.flush()
    return service
