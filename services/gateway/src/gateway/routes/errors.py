"""Errors as HTTP answers, in one place: a service error's code picks the status, and every 422
carries FastAPI's field errors, `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`
(docs/rest.md)."""

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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
    detail: Any = [_located(request, f) for f in exc.fields] if exc.fields else exc.message
    return JSONResponse({"detail": detail}, STATUS[exc.code])


def install(app: FastAPI) -> None:
    """Answer every ServiceError a route lets through with its status."""
    app.add_exception_handler(ServiceError, _service_error)
