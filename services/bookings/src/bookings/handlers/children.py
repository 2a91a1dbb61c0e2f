"""Children: a parent manages their own, an admin manages all. Someone else's child looks
exactly like one that does not exist."""

from bookings.domain import access
from bookings.domain.child import Child
from bookings.unit_of_work import UnitOfWork
from contracts.bookings import (
    ChildDetails,
    ChildPage,
    CreateChild,
    DeleteChild,
    GetChild,
    ListChildren,
    SubmitChildChecklist,
    UpdateChild,
)
from contracts.envelope import Actor, Deleted
from contracts.errors import ErrorCode, ServiceError
from database.paging import InvalidCursor


def details(child: Child) -> ChildDetails:
    return ChildDetails.model_validate(child, from_attributes=True)


async def load_child(uow: UnitOfWork, actor: Actor, child_id: int) -> Child:
    child = await uow.children.get(child_id)
    if child is None or not access.may_act_for(actor, child.parent_id):
        raise ServiceError(ErrorCode.not_found, f"child {child_id} not found")
    return child


async def create_child(command: CreateChild, uow: UnitOfWork) -> ChildDetails:
    async with uow:
        child = Child.register(
            command.actor, command.parent_id, command.name, command.date_of_birth
        )
        uow.children.add(child)
        await uow.commit()
        return details(child)


async def list_children(command: ListChildren, uow: UnitOfWork) -> ChildPage:
    parent_id = access.children_visible_to(command.actor, command.parent_id)
    async with uow:
        try:
            rows, cursor = await uow.children.newest_first(parent_id, command.cursor, command.limit)
        except InvalidCursor as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        return ChildPage(items=[details(child) for child in rows], next_cursor=cursor)


async def get_child(command: GetChild, uow: UnitOfWork) -> ChildDetails:
    async with uow:
        return details(await load_child(uow, command.actor, command.child_id))


async def update_child(command: UpdateChild, uow: UnitOfWork) -> ChildDetails:
    async with uow:
        child = await load_child(uow, command.actor, command.child_id)
        child.change(command.actor, command.name, command.date_of_birth)
        await uow.commit()
        return details(child)


async def delete_child(command: DeleteChild, uow: UnitOfWork) -> Deleted:
    async with uow:
        child = await load_child(uow, command.actor, command.child_id)
        child.remove(command.actor, await uow.bookings.exist_for_child(command.child_id))
        await uow.commit()
        return Deleted(id=command.child_id)


async def submit_checklist(command: SubmitChildChecklist, uow: UnitOfWork) -> ChildDetails:
    async with uow:
        child = await load_child(uow, command.actor, command.child_id)
        child.submit_checklist(command.actor, command.answers)
        await uow.commit()
        return details(child)
