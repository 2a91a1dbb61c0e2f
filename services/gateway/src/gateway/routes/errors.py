"""Errors as HTTP answers, in one place: a service error's code picks the status, and every 422
carries FastAPI's field errors, `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`
(docs/rest.md)."""

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from contracts.errors import ErrorCode, FieldError, ServiceError

STATUS: dict[ErrorCode, int] = {
    ErrorCode.invalid: 422,
    ErrorCode.not_found: 404,
    ErrorCode.forbidden: 403,
    ErrorCode.conflict: 409,
    ErrorCode.payment_declined: 402,
    ErrorCode.unavailable: 503,
    ErrorCode.internal: 500,
}


class Refusal(BaseModel):
    """Every refusal but a 422's field errors: what went wrong, for a person to read."""

    detail: str


REASONS: dict[int, str] = {
    400: "The body could not be read as the operation's media type says",
    401: "No token, or one that is not valid (any more)",
    402: "The payment was declined",
    403: "Not allowed to this user",
    404: "Not found, or not this user's to see",
    409: "In conflict with the current state (e.g. an email already registered)",
    413: "Request body larger than the gateway's limit",
    429: "Too many attempts; `Retry-After` says in how many seconds to try again",
    503: "A service behind the gateway is away or busy; try again (`Retry-After` when known)",
}


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these refusal statuses, each answered `{"detail": "..."}`."""
    return {code: {"model": Refusal, "description": REASONS[code]} for code in codes}


def field_errors(location: str, errors: Iterable[Mapping[str, Any]]) -> RequestValidationError:
    """A 422 to raise: each error (pydantic's, or a `{"loc", "msg", "type"}` of ours) with its
    `loc` put under `location`, the part of the request it names (`body`, `query`)."""
    return RequestValidationError([{**error, "loc": [location, *error["loc"]]} for error in errors])


def field_error(
    location: str, field: str, msg: str, error_type: str = "value_error"
) -> RequestValidationError:
    """A 422 to raise for one field of the request."""
    return field_errors(location, [{"loc": [field], "msg": msg, "type": error_type}])


def _located(request: Request, error: FieldError) -> dict[str, Any]:
    """A service's field error under the part of the request it names: a service knows no HTTP."""
    field = error.loc[0] if error.loc else None
    if field in request.path_params:
        location = "path"
    elif field in request.query_params or request.method in ("GET", "DELETE"):
        location = "query"
    else:
        location = "body"
    return {**error.model_dump(), "loc": [location, *error.loc]}


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    """A refusal from a service (or from the gateway's own accounts), as FastAPI answers one."""
    assert isinstance(exc, ServiceError)
    fields = exc.fields
    if exc.code is ErrorCode.invalid and not fields:
        # Every 422 is a list of field errors: one naming no field says what was wrong.
        fields = [FieldError(loc=[], msg=exc.message, type="value_error")]
    detail: Any = [_located(request, f) for f in fields] if fields else exc.message
    return JSONResponse({"detail": detail}, STATUS[exc.code])


def install(app: FastAPI) -> None:
    """Answer every ServiceError a route lets through with its status."""
    app.add_exception_handler(ServiceError, _service_error)
