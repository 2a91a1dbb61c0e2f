"""Absence requests: a trainer asks for themself (an admin for anyone), reads and withdraws
their own while pending; only an admin decides. Someone else's request looks exactly like one
that does not exist."""

from contracts.envelope import Actor, Deleted
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import (
    AbsenceRequestDetails,
    AbsenceRequestPage,
    DecideAbsenceRequest,
    GetAbsenceRequest,
    ListAbsenceRequests,
    RequestAbsence,
    WithdrawAbsenceRequest,
)
from database.paging import InvalidCursor
from trainers.domain import access
from trainers.domain.absence import AbsenceRequest
from trainers.handlers.trainers import load_trainer
from trainers.unit_of_work import UnitOfWork


def details(absence: AbsenceRequest) -> AbsenceRequestDetails:
    return AbsenceRequestDetails.model_validate(absence, from_attributes=True)


async def _load(
    uow: UnitOfWork, actor: Actor, absence_id: int, for_update: bool = False
) -> AbsenceRequest:
    access.require_staff(actor)
    absence = await uow.absences.get(absence_id, for_update=for_update)
    if absence is None or not access.may_act_for(actor, absence.trainer_user_id):
        raise ServiceError(ErrorCode.not_found, f"absence request {absence_id} not found")
    return absence


async def request_absence(command: RequestAbsence, uow: UnitOfWork) -> AbsenceRequestDetails:
    async with uow:
        trainer = await load_trainer(uow, command.actor, command.trainer_id)
        absence = AbsenceRequest.request(
            command.actor, trainer, command.start_date, command.end_date, command.reason
        )
        uow.absences.add(absence)
        await uow.commit()
        return details(absence)


async def list_absence_requests(
    command: ListAbsenceRequests, uow: UnitOfWork
) -> AbsenceRequestPage:
    trainer_id, trainer_user_id = access.absences_visible_to(command.actor, command.trainer_id)
    async with uow:
        if command.trainer_id is not None:
            # Another trainer's requests, or a trainer that does not exist: 404 (docs/rest.md).
            await load_trainer(uow, command.actor, command.trainer_id)
        try:
            rows, cursor = await uow.absences.newest_first(
                trainer_id, trainer_user_id, command.status, command.cursor, command.limit
            )
        except InvalidCursor as exc:
            raise ServiceError(ErrorCode.invalid, str(exc)) from exc
        return AbsenceRequestPage(items=[details(a) for a in rows], next_cursor=cursor)


async def get_absence_request(command: GetAbsenceRequest, uow: UnitOfWork) -> AbsenceRequestDetails:
    async with uow:
        return details(await _load(uow, command.actor, command.absence_request_id))


async def decide_absence_request(
    command: DecideAbsenceRequest, uow: UnitOfWork
) -> AbsenceRequestDetails:
    async with uow:
        absence = await _load(uow, command.actor, command.absence_request_id, for_update=True)
        absence.decide(command.actor, command.status)
        await uow.commit()
        return details(absence)


async def withdraw_absence_request(command: WithdrawAbsenceRequest, uow: UnitOfWork) -> Deleted:
    async with uow:
        absence = await _load(uow, command.actor, command.absence_request_id, for_update=True)
        absence.withdraw(command.actor)
        await uow.commit()
        return Deleted(id=command.absence_request_id)
