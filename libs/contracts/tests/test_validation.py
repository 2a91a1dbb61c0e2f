"""Unit: contracts refuse bad input before any service sees it."""

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from contracts.bookings import CreateChild, ListChildren, SubmitChildChecklist, UpdateChild
from contracts.envelope import Actor, Role
from contracts.live import Context, LiveRefreshRequested

PARENT = Actor(user_id=7, role=Role.parent)
TOMORROW = date.today() + timedelta(days=1)


def error_locations(exc: pytest.ExceptionInfo[ValidationError]) -> set[tuple[str | int, ...]]:
    return {tuple(err["loc"]) for err in exc.value.errors()}


def test_a_valid_child_is_accepted() -> None:
    child = CreateChild(actor=PARENT, parent_id=7, name="Ada", date_of_birth=date(2018, 5, 1))
    assert child.subject == "bookings.requests.create_child"


def test_a_date_of_birth_in_the_future_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        CreateChild(actor=PARENT, parent_id=7, name="Ada", date_of_birth=TOMORROW)
    assert error_locations(exc) == {("date_of_birth",)}
    assert "future" in str(exc.value)


def test_an_update_to_a_future_date_of_birth_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        UpdateChild(actor=PARENT, child_id=1, date_of_birth=TOMORROW)
    assert error_locations(exc) == {("date_of_birth",)}


def test_an_empty_or_overlong_name_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        CreateChild(actor=PARENT, parent_id=7, name="", date_of_birth=date(2018, 5, 1))
    assert error_locations(exc) == {("name",)}
    with pytest.raises(ValidationError):
        UpdateChild(actor=PARENT, child_id=1, name="x" * 121)


def test_unknown_fields_are_refused_so_drift_is_loud() -> None:
    with pytest.raises(ValidationError) as exc:
        CreateChild.model_validate(
            {
                "actor": PARENT.model_dump(),
                "parent_id": 7,
                "name": "Ada",
                "date_of_birth": "2018-05-01",
                "nickname": "A",
            }
        )
    assert error_locations(exc) == {("nickname",)}


def test_a_request_without_an_actor_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        ListChildren.model_validate({})
    assert error_locations(exc) == {("actor",)}


def test_list_limits_and_checklist_answers_are_bounded() -> None:
    with pytest.raises(ValidationError):
        ListChildren(actor=PARENT, limit=0)
    with pytest.raises(ValidationError):
        ListChildren(actor=PARENT, limit=201)
    with pytest.raises(ValidationError):
        SubmitChildChecklist(actor=PARENT, child_id=1, answers={})


def test_an_actor_has_a_known_role() -> None:
    with pytest.raises(ValidationError):
        Actor.model_validate({"user_id": 1, "role": "janitor"})


def test_a_refresh_request_names_at_least_one_known_context() -> None:
    with pytest.raises(ValidationError):
        LiveRefreshRequested(contexts=[])
    with pytest.raises(ValidationError):
        LiveRefreshRequested.model_validate({"contexts": ["weather"]})
    assert LiveRefreshRequested(contexts=[Context.bookings]).notify_admins is False


def test_every_event_gets_a_unique_id_and_a_utc_time() -> None:
    first, second = (
        LiveRefreshRequested(contexts=["bookings"]),
        LiveRefreshRequested(contexts=["bookings"]),
    )
    assert first.event_id != second.event_id
    assert first.occurred_at.utcoffset() == timedelta(0)
