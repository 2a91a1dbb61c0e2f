"""Resource ids as the routes accept them: integers the databases can hold (`INTEGER` keys, 32-bit
on PostgreSQL), so that an id out of that range is a 422 on its field here rather than a failed
query (500) in the service that owns the resource."""

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

MAX_ID = 2**31 - 1

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
