"""Serving request/reply endpoints as a NATS micro service, typed by contract.

A handler takes a request contract and returns its reply contract; decoding, encoding, error
headers, tracing, and answering a repeated request id once (`database.processed_requests`) live
here only.
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

from contracts.envelope import REQUEST_ID_HEADER, Reply, Request
from contracts.errors import ErrorCode, FieldError, ServiceError, ServiceErrorReply
from database.processed_requests import (
    REQUEST_ID_MAX_LENGTH,
    AlreadyApplied,
    Answer,
    ProcessedRequests,
    running,
)
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


Outcome = bytes | ServiceError  # an encoded reply, or the error to answer instead


async def _answer(
    contract: type[Request[Any]],
    handler: Handler,
    msg: MicroRequest,
    processed: ProcessedRequests | None,
) -> None:
    with tracing.handle_span(contract.subject, msg.headers, kind=SpanKind.SERVER) as span:
        request_id = (msg.headers or {}).get(REQUEST_ID_HEADER)
        if processed is None or request_id is None:
            outcome = await _outcome(contract, handler, msg)
        else:
            outcome = await _once(contract, handler, msg, processed, request_id)
        if isinstance(outcome, ServiceError):
            span.set_attribute("error.type", outcome.code.value)
            await msg.respond_error(outcome.code.value, outcome.message, encode(outcome.reply()))
        else:
            await msg.respond(outcome)


async def _once(
    contract: type[Request[Any]],
    handler: Handler,
    msg: MicroRequest,
    processed: ProcessedRequests,
    request_id: str,
) -> Outcome:
    """The outcome of a request named by its sender: the kept answer of the try that applied
    it (`database.processed_requests`), or the handler's, kept if it applied something."""
    if not 0 < len(request_id) <= REQUEST_ID_MAX_LENGTH:
        return ServiceError(
            ErrorCode.invalid, f"{REQUEST_ID_HEADER} must be 1 to {REQUEST_ID_MAX_LENGTH} chars"
        )
    earlier = await _earlier(processed, request_id)
    if earlier is not None:
        return earlier
    try:
        with running(request_id) as run:
            outcome = await _outcome(contract, handler, msg)
    except AlreadyApplied:
        log.info("request %s: another try applied it first", request_id)
        earlier = await _earlier(processed, request_id)
        # None: pruned meanwhile, which takes the whole retention; not worth a rerun.
        return earlier or ServiceError(ErrorCode.conflict, "this request was already applied")
    answer = _kept(outcome)
    try:  # the change commits now, with its answer
        if await run.settle(answer):
            return outcome
    except Exception:
        log.exception("could not commit request %s", request_id)
        return ServiceError(ErrorCode.internal, "internal error")
    if run.applied:  # committed before the handler's last transaction: its answer goes after
        try:  # before the answer goes out, so that a retry finds it
            await processed.keep(request_id, answer)
        except Exception:
            log.exception("could not keep the answer of request %s", request_id)
    return outcome


async def _earlier(processed: ProcessedRequests, request_id: str) -> Outcome | None:
    """The answer of an earlier try that applied `request_id`, to send again; None if none."""
    try:
        answer = await processed.earlier_answer(request_id)
    except ServiceError as exc:
        return exc
    except Exception:
        log.exception("could not look up request %s", request_id)
        return ServiceError(ErrorCode.internal, "internal error")
    return None if answer is None else _replayed(answer)


def _kept(outcome: Outcome) -> Answer:
    if isinstance(outcome, ServiceError):
        return Answer(encode(outcome.reply()), outcome.code.value)
    return Answer(outcome)


def _replayed(answer: Answer) -> Outcome:
    if answer.error is None:
        return answer.body
    body = decode(ServiceErrorReply, answer.body)
    return ServiceError(body.code, body.message, body.fields)


async def _outcome(contract: type[Request[Any]], handler: Handler, msg: MicroRequest) -> Outcome:
    """Decode the request and run the handler: the encoded reply, or the error to answer."""
    try:
        message = decode(contract, msg.data)
    except ValidationError as exc:
        return ServiceError(ErrorCode.invalid, "invalid request", field_errors(exc))
    except ValueError as exc:  # not JSON at all: the caller's fault, not an internal error
        return ServiceError(ErrorCode.invalid, f"request is not JSON: {exc}")
    try:
        return encode(await handler(message))
    except ValidationError as exc:
        return ServiceError(ErrorCode.invalid, "invalid request", field_errors(exc))
    except ServiceError as exc:
        return exc
    except AlreadyApplied:
        raise
    except Exception:
        log.exception("handler failed", extra={"subject": message.subject})
        return ServiceError(ErrorCode.internal, "internal error")


async def serve(
    nc: Client,
    name: str,
    version: str,
    handlers: Handlers,
    description: str = "",
    processed: ProcessedRequests | None = None,
) -> Service:
    """Start service `name` with one endpoint per request contract, in a shared queue group.
    With `processed` (the service's database), a request carrying `REQUEST_ID_HEADER` is
    applied once: a repeat of its id gets the first answer."""
    service = await add_service(
        nc, ServiceConfig(name=name, version=version, description=description, queue_group=name)
    )
    for contract, handler in handlers.items():

        async def endpoint(
            msg: MicroRequest, contract: type[Request[Any]] = contract, handler: Handler = handler
        ) -> None:
            await _answer(contract, handler, msg, processed)

        await service.add_endpoint(
            name=contract.subject.rsplit(".", 1)[-1], subject=contract.subject, handler=endpoint
        )
    # Once the server has seen every SUB, a request sent by anyone finds a responder.
    await nc.flush()
    return service
