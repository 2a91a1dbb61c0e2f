"""Money rules: a current ISO 4217 currency, and an amount with no more minor units than it has
(CLDR data through babel)."""

from decimal import Decimal
from functools import cache

from babel.core import get_global
from babel.numbers import get_currency_precision

from bookings.domain.errors import invalid


@cache
def current_currencies() -> frozenset[str]:
    """Codes some territory uses as legal tender today (withdrawn ones such as HRK are not)."""
    territories = get_global("territory_currencies")
    return frozenset(
        code
        for used in territories.values()
        for code, _start, end, tender in used
        if end is None and tender
    )


def minor_units(currency: str) -> int:
    return int(get_currency_precision(currency))


def checked(amount: Decimal, currency: str) -> Decimal:
    """`amount` at the currency's precision (10.5 GBP is 10.50); ServiceError(invalid) naming
    the field otherwise."""
    if currency not in current_currencies():
        raise invalid("currency", f"{currency} is not a current ISO 4217 currency code")
    places = minor_units(currency)
    exponent = amount.normalize().as_tuple().exponent
    if not isinstance(exponent, int) or -exponent > places:
        raise invalid("amount", f"{currency} amounts have at most {places} decimal places")
    return in_currency(amount, currency)


def in_currency(amount: Decimal, currency: str) -> Decimal:
    """A stored amount shown with exactly the currency's minor units."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)))
