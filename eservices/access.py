"""Who may see or do what for which taxpayer: the one access policy of the resident pages.

Every resident-facing view asks these functions. A taxpayer, ledger or instalment that the user
may not act for does not exist as far as the user can tell: the views answer 404, never 403, so
that identifiers cannot be probed.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from .models import AccountLink, Ledger, LedgerParty, Mandate, Taxpayer, User

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
    # One IN over a UNION, not two INs joined by OR: PostgreSQL turns an OR of subqueries into
    # a scan of the whole taxpayer table, and the UNION into a few index lookups.
    return Taxpayer.objects.filter(pk__in=linked.order_by().union(mandated.order_by()))


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
    # As above: a UNION of the two ways in, not an OR over a join (a scan of every ledger).
    owned = Ledger.objects.filter(taxpayer=taxpayer).order_by().values("pk")
    co_obligated = LedgerParty.objects.filter(taxpayer=taxpayer).order_by().values("ledger_id")
    return Ledger.objects.filter(pk__in=owned.union(co_obligated))


def get_ledger(user: User, taxpayer: Taxpayer, pk: int, scope: str = Scope.VIEW) -> Ledger:
    try:
        return ledgers_for(user, taxpayer, scope).get(pk=pk)
    except (Ledger.DoesNotExist, ValueError, TypeError):
        raise Http404("No such ledger.") from None
