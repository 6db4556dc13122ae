"""The operator's commission from the fee table (administrators edit `FeeBand` rows).

The payer sees the commission before paying and pays it on top of the dues; only the dues are
booked on the ledger. A method without any band charges nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from eservices.money import ZERO, round_grosz

from .models import FeeBand


def band_for(gateway: str, amount: Decimal) -> FeeBand | None:
    return (
        FeeBand.objects.filter(gateway=gateway, amount_from__lte=amount)
        .filter(Q(amount_to__isnull=True) | Q(amount_to__gte=amount))
        .order_by("-amount_from")
        .first()
    )


def commission(gateway: str, amount: Decimal) -> Decimal:
    """The commission on ``amount`` PLN paid with ``gateway``, to the grosz (half up)."""
    band = band_for(gateway, amount)
    if band is None or amount <= 0:
        return ZERO
    fee = round_grosz(amount * band.percent / Decimal(100) + band.fixed)
    return max(fee, band.minimum)
