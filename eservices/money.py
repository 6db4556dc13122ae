"""Money helpers: PLN amounts are `Decimal` with two places, never float.

Rounding follows Ordynacja podatkowa art. 63: interest goes to whole złoty, half-up (§1);
amounts credited from a payment keep their grosze (§3), rounded half-up to the grosz where a
share has to be computed (DOMAIN.md §7).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

GROSZ = Decimal("0.01")
ZLOTY = Decimal("1")
ZERO = Decimal("0.00")


def round_grosz(value: Decimal) -> Decimal:
    """Round to the grosz, 50 and more of the next place up (ROUND_HALF_UP)."""
    return value.quantize(GROSZ, rounding=ROUND_HALF_UP)


def round_zloty(value: Decimal) -> Decimal:
    """Round to whole złoty: under 50 gr down, 50 gr and over up (OP art. 63 §1).

    Returned with two places (``12.00``) so it can be stored and added like any other amount.
    """
    return value.quantize(ZLOTY, rounding=ROUND_HALF_UP).quantize(GROSZ)


def money(value: Decimal | int | str) -> Decimal:
    """An amount as a two-place `Decimal`, refusing anything that would lose grosze.

    Floats are refused outright: ``Decimal(0.1)`` is not 0.10 and money must not drift.
    """
    if isinstance(value, float):
        raise TypeError("money amounts must not be floats; pass a Decimal or a string")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    quantized = amount.quantize(GROSZ)
    if quantized != amount:
        raise ValueError(f"amount has more than two decimal places: {value!r}")
    return quantized
