"""Preferences: every pair answered, role defaults, required pairs refused with a clear 422."""

import pytest

from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from contracts.notifications import (
    Category,
    Channel,
    GetNotificationPreferences,
    PreferenceChoice,
    Preferences,
    UpdateNotificationPreferences,
)

from .conftest import ADMIN, PARENT, TRAINER, Send


def pairs(answer: Preferences) -> dict[tuple[Category, Channel], tuple[bool, bool]]:
    return {(p.category, p.channel): (p.enabled, p.required) for p in answer.items}


@pytest.mark.parametrize("actor", [PARENT, TRAINER, ADMIN])
async def test_every_pair_is_answered_with_web_push_off(send: Send, actor: Actor) -> None:
    answer = pairs(await send(GetNotificationPreferences(actor=actor)))
    assert len(answer) == len(Category) * len(Channel)
    assert not any(on for (_, channel), (on, _) in answer.items() if channel is Channel.web_push)


async def test_defaults_follow_the_role(send: Send) -> None:
    admin = pairs(await send(GetNotificationPreferences(actor=ADMIN)))
    parent = pairs(await send(GetNotificationPreferences(actor=PARENT)))
    trainer = pairs(await send(GetNotificationPreferences(actor=TRAINER)))
    assert admin[(Category.child_checklist, Channel.in_app)] == (True, False)
    assert parent[(Category.payment, Channel.in_app)] == (True, True)
    assert parent[(Category.session_cancelled, Channel.in_app)] == (True, True)
    assert parent[(Category.trainer_assigned, Channel.in_app)] == (True, False)
    assert trainer[(Category.session_cancelled, Channel.in_app)] == (True, True)
    assert trainer[(Category.absence, Channel.in_app)] == (True, False)


async def test_an_update_sets_only_the_pairs_given(send: Send) -> None:
    items = [
        PreferenceChoice(category=Category.payment, channel=Channel.web_push, enabled=True),
        PreferenceChoice(category=Category.trainer_assigned, channel=Channel.in_app, enabled=False),
    ]
    answer = pairs(await send(UpdateNotificationPreferences(actor=PARENT, items=items)))
    assert answer[(Category.payment, Channel.web_push)] == (True, False)
    assert answer[(Category.trainer_assigned, Channel.in_app)] == (False, False)
    assert answer[(Category.payment, Channel.in_app)] == (True, True)
    again = pairs(await send(GetNotificationPreferences(actor=PARENT)))
    assert again == answer
    # The same pair set back is an update of the stored row, not a second one.
    back = [
        PreferenceChoice(category=Category.trainer_assigned, channel=Channel.in_app, enabled=True)
    ]
    answer = pairs(await send(UpdateNotificationPreferences(actor=PARENT, items=back)))
    assert answer[(Category.trainer_assigned, Channel.in_app)] == (True, False)


async def test_turning_a_required_pair_off_is_invalid_and_changes_nothing(send: Send) -> None:
    items = [
        PreferenceChoice(category=Category.payment, channel=Channel.web_push, enabled=True),
        PreferenceChoice(category=Category.payment, channel=Channel.in_app, enabled=False),
    ]
    with pytest.raises(ServiceError) as raised:
        await send(UpdateNotificationPreferences(actor=PARENT, items=items))
    assert raised.value.code is ErrorCode.invalid
    [field] = raised.value.fields
    assert field.loc == ["items", 1, "enabled"]
    assert field.msg == "payment in_app notifications cannot be turned off for a parent"
    answer = pairs(await send(GetNotificationPreferences(actor=PARENT)))
    assert answer[(Category.payment, Channel.web_push)] == (False, False)
