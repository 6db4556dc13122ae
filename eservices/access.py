"""Who may see or do what for which taxpayer: the one access policy of the resident pages.

Every resident-facing view asks these functions. A taxpayer, ledger or instalment that the user
may not act for does not exist as far as the user can tell: the views answer 404, never 403, so
that identifiers cannot be probed.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import AccountLink, Ledger, Mandate, Taxpayer, User

Scope = Mandate.Scope


def taxpayers_for(user: User, scope: str = Scope.VIEW, on: date | None = None) -> QuerySet:
    """Taxpayers the user may act for with ``scope``: their own linked records and mandates.

    An account link (the user *is* the taxpayer, verified) carries every right; a proxy has
    only the rights of a mandate in force on ``on`` (today by default).
    """
    if not user.is_authenticated or not user.is_active:
        return Taxpayer.objects.none()
    if scope not in Scope.values:
        raise ValueError(f"Unknown scope {scope!r}")
    linked = AccountLink.objects.active().filter(user=user).values("taxpayer_id")
    mandated = (
        Mandate.objects.in_force(on).filter(proxy=user, **{scope: True}).values("taxpayer_id")
    )
    return Taxpayer.objects.filter(Q(pk__in=linked) | Q(pk__in=mandated))


def can_act_for(user: User, taxpayer: Taxpayer, scope: str = Scope.VIEW) -> bool:
    return taxpayers_for(user, scope).filter(pk=taxpayer.pk).exists()


def get_taxpayer(user: User, pk: int, scope: str = Scope.VIEW) -> Taxpayer:
    try:
        return taxpayers_for(user, scope).get(pk=pk)
    except (Taxpayer.DoesNotExist, ValueError, TypeError):
        raise Http404("No such taxpayer.") from None


def ledgers_for(user: User, taxpayer: Taxpayer, scope: str = Scope.VIEW) -> QuerySet:
    """Ledgers shown when acting for ``taxpayer``: its own and those it is co-obligated on."""
    if not can_act_for(user, taxpayer, scope):
        return Ledger.objects.none()
    return Ledger.objects.filter(Q(taxpayer=taxpayer) | Q(parties__taxpayer=taxpayer)).distinct()


def get_ledger(user: User, taxpayer: Taxpayer, pk: int, scope: str = Scope.VIEW) -> Ledger:
    try:
        return ledgers_for(user, taxpayer, scope).get(pk=pk)
    except (Ledger.DoesNotExist, ValueError, TypeError):
        raise Http404("No such ledger.") from None
