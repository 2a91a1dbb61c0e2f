"""/children: a parent's own children (all of them for an admin), sent to the bookings service."""

from datetime import date
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel

from contracts import bookings as c
from contracts.envelope import Deleted, Role
from gateway.routes.building import build
from gateway.routes.deps import CurrentUser, ServicesDep, actor_of
from gateway.routes.errors import field_error, refusals
from gateway.routes.ids import BodyId, PathId, QueryId

router = APIRouter(
    prefix="/children", tags=["children"], responses=refusals(401, 403, 404, 409, 503)
)


class ChildCreateBody(BaseModel):
    name: str
    date_of_birth: date
    parent_id: BodyId | None = None


class ChildUpdateBody(BaseModel):
    name: str | None = None
    date_of_birth: date | None = None


class ChecklistBody(BaseModel):
    answers: dict[str, Any]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=c.ChildDetails)
async def create_child(body: ChildCreateBody, user: CurrentUser, services: ServicesDep) -> Any:
    parent_id = body.parent_id if user.role is Role.admin else user.id
    if parent_id is None:
        raise field_error("body", "parent_id", "an admin must name the parent", "missing")
    return await services.ask(
        build(
            c.CreateChild,
            actor=actor_of(user),
            parent_id=parent_id,
            name=body.name,
            date_of_birth=body.date_of_birth,
        )
    )


@router.get("", response_model=c.ChildPage)
async def list_children(
    user: CurrentUser,
    services: ServicesDep,
    cursor: str | None = None,
    limit: int = 50,
    parent_id: QueryId = None,
) -> Any:
    return await services.ask(
        build(
            c.ListChildren,
            "query",
            actor=actor_of(user),
            cursor=cursor,
            limit=limit,
            parent_id=parent_id,
        )
    )


@router.get("/{child_id}", response_model=c.ChildDetails)
async def get_child(child_id: PathId, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(c.GetChild(actor=actor_of(user), child_id=child_id))


@router.patch("/{child_id}", response_model=c.ChildDetails)
async def update_child(
    child_id: PathId, body: ChildUpdateBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(
            c.UpdateChild,
            actor=actor_of(user),
            child_id=child_id,
            **body.model_dump(exclude_unset=True),
        )
    )


@router.delete("/{child_id}", response_model=Deleted)
async def delete_child(child_id: PathId, user: CurrentUser, services: ServicesDep) -> Any:
    return await services.ask(c.DeleteChild(actor=actor_of(user), child_id=child_id))


@router.post("/{child_id}/checklist", response_model=c.ChildDetails)
async def submit_checklist(
    child_id: PathId, body: ChecklistBody, user: CurrentUser, services: ServicesDep
) -> Any:
    return await services.ask(
        build(c.SubmitChildChecklist, actor=actor_of(user), child_id=child_id, answers=body.answers)
    )
