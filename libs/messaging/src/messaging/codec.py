"""The one place that turns contracts into bytes and back (orjson)."""

from typing import TypeVar

import orjson
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def encode(model: BaseModel) -> bytes:
    return orjson.dumps(model.model_dump(mode="json"))


def decode(model: type[M], data: bytes) -> M:
    return model.model_validate(orjson.loads(data))
