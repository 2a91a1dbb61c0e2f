"""Handlers for children: a parent manages their own, an admin manages all."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bookings.models import Child
from contracts.bookings import (
    ChildChecklistSubmitted,
    ChildCreated,
    ChildDeleted,
    ChildDetails,
    ChildPage,
    ChildUpdated,
    CreateChild,
    DeleteChild,
    GetChild,
    ListChildren,
    SubmitChildChecklist,
    UpdateChild,
)
from contracts.envelope import Actor, Deleted, Role, utc_now
from contracts.errors import ErrorCode, ServiceError
from messaging.outbox import stage
from messaging.paging import decode_cursor, encode_cursor
from messaging.unit_of_work import UnitOfWork


def _details(child: Child) -> ChildDetails:
    return ChildDetails.model_validate(child, from_attributes=True)


def _may_act_for(actor: Actor, parent_id: int) -> bool:
    return actor.role is Role.admin or (actor.role is Role.parent and actor.user_id == parent_id)


async def _load(session: AsyncSession, actor: Actor, child_id: int) -> Child:
    child = await session.get(Child, child_id)
    if child is None or not _may_act_for(actor, child.parent_id):
        # A child someone else owns is indistinguishable from one that does not exist.
        raise ServiceError(ErrorCode.not_found, f"child {child_id} not found")
    return child


class ChildHandlers:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def create(self, request: CreateChild) -> ChildDetails:
        if not _may_act_for(request.actor, request.parent_id):
            raise ServiceError(ErrorCode.forbidden, "you may only add your own children")
        async with self._uow.transaction() as session:
            child = Child(
                parent_id=request.parent_id, name=request.name, date_of_birth=request.date_of_birth
            )
            session.add(child)
            await session.flush()
            assert child.id is not None
            stage(
                session,
                ChildCreated(child_id=child.id, parent_id=child.parent_id, actor=request.actor),
            )
        return _details(child)

    async def list(self, request: ListChildren) -> ChildPage:
        actor = request.actor
        try:
            below = decode_cursor(request.cursor)
        except ValueError as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        query = select(Child).order_by(col(Child.id).desc()).limit(request.limit + 1)
        if actor.role is Role.admin:
            if request.parent_id is not None:
                query = query.where(Child.parent_id == request.parent_id)
        elif actor.role is Role.parent:
            query = query.where(Child.parent_id == actor.user_id)
        else:
            raise ServiceError(ErrorCode.forbidden, "only parents and admins list children")
        if below is not None:
            query = query.where(col(Child.id) < below)
        async with self._uow.reading() as session:
            rows = list((await session.exec(query)).all())
        more = len(rows) > request.limit
        rows = rows[: request.limit]
        cursor = encode_cursor(rows[-1].id) if more and rows[-1].id is not None else None
        return ChildPage(items=[_details(c) for c in rows], next_cursor=cursor)

    async def get(self, request: GetChild) -> ChildDetails:
        async with self._uow.reading() as session:
            return _details(await _load(session, request.actor, request.child_id))

    async def update(self, request: UpdateChild) -> ChildDetails:
        async with self._uow.transaction() as session:
            child = await _load(session, request.actor, request.child_id)
            # None means "leave as is": neither field may be cleared.
            if request.name is not None:
                child.name = request.name
            if request.date_of_birth is not None:
                child.date_of_birth = request.date_of_birth
            child.updated_at = utc_now()
            session.add(child)
            stage(
                session,
                ChildUpdated(
                    child_id=request.child_id, parent_id=child.parent_id, actor=request.actor
                ),
            )
        return _details(child)

    async def delete(self, request: DeleteChild) -> Deleted:
        async with self._uow.transaction() as session:
            child = await _load(session, request.actor, request.child_id)
            await session.delete(child)
            stage(
                session,
                ChildDeleted(
                    child_id=request.child_id, parent_id=child.parent_id, actor=request.actor
                ),
            )
        return Deleted(id=request.child_id)

    async def submit_checklist(self, request: SubmitChildChecklist) -> ChildDetails:
        async with self._uow.transaction() as session:
            child = await _load(session, request.actor, request.child_id)
            child.checklist = request.answers
            child.checklist_submitted_at = child.updated_at = utc_now()
            session.add(child)
            stage(
                session,
                ChildChecklistSubmitted(
                    child_id=request.child_id,
                    parent_id=child.parent_id,
                    child_name=child.name,
                    actor=request.actor,
                ),
            )
        return _details(child)
