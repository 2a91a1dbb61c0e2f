"""Taking the money: the payment processor bookings charges, and the development one."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from bookings.domain.payment import Payment


@dataclass(frozen=True)
class Charge:
    approved: bool
    reference: str | None = None
    reason: str | None = None


class PaymentProcessor(Protocol):
    async def charge(self, payment: Payment, /) -> Charge:
        """The processor's answer; an exception when it could not be asked."""
        ...


class DevelopmentProcessor:
    """Approves every charge but the sandbox amounts it is told to decline (setting
    `BOOKINGS_PAYMENTS_DECLINE_AMOUNTS`), so the decline path can be tried without a gateway."""

    def __init__(self, decline_amounts: Iterable[Decimal] = ()) -> None:
        self._declined = frozenset(decline_amounts)

    async def charge(self, payment: Payment, /) -> Charge:
        reference = f"dev_{uuid.uuid4().hex}"
        if payment.amount in self._declined:
            return Charge(approved=False, reference=reference, reason="card declined (sandbox)")
        return Charge(approved=True, reference=reference)
