"""Building a contract from REST input; its validation errors answer 422 with field errors."""

from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def build(contract: type[M], location: str = "body", **fields: Any) -> M:
    try:
        return contract(**fields)
    except ValidationError as exc:
        errors = [
            {**err, "loc": (location, *err["loc"])}
            for err in exc.errors(include_url=False, include_context=False)
        ]
        raise RequestValidationError(errors) from exc
