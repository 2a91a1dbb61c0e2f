"""Building a contract from REST input; its validation errors answer 422 with field errors."""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.routes.errors import field_errors

M = TypeVar("M", bound=BaseModel)


def build(contract: type[M], location: str = "body", /, **fields: Any) -> M:
    """`location` is positional only: a contract may have a field of that name (a session's)."""
    try:
        return contract(**fields)
    except ValidationError as exc:
        raise field_errors(location, exc.errors(include_url=False, include_context=False)) from exc
