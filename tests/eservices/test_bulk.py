"""eservices.bulk: COPY inserts with ids from the sequence, id lists as one array, GC pause."""

from __future__ import annotations

import gc
from datetime import date
from decimal import Decimal

import pytest

from eservices.bulk import any_of, cyclic_gc_paused, insert_rows
from eservices.models import LedgerEntry, OutboundEvent, Taxpayer

from . import factories as f


def test_inserted_rows_get_their_ids_and_read_back_as_written(db):
    events = [
        OutboundEvent(kind="payment.booked", payload={"amount": "12.30", "n": n, "tekst": "zażółć"})
        for n in range(3)
    ]
    insert_rows(events, ids=True)
    assert all(event.pk for event in events) and not events[0]._state.adding
    stored = {e.pk: e for e in OutboundEvent.objects.filter(pk__in=[e.pk for e in events])}
    assert [stored[e.pk].payload for e in events] == [e.payload for e in events]
    assert all(stored[e.pk].created_at for e in events)  # auto_now_add filled in


def test_entries_inserted_without_ids_keep_amounts_and_links(db):
    inst = f.installment(f.ledger(f.taxpayer()), "100.00", date(2026, 3, 16))
    entry = LedgerEntry(
        ledger_id=inst.ledger_id,
        installment_id=inst.pk,
        kind=LedgerEntry.Kind.PAYMENT,
        booked_on=date(2026, 4, 1),
        principal=Decimal("-40.05"),
        external_id="bulk-test/0",
    )
    insert_rows([entry])
    stored = LedgerEntry.objects.get(external_id="bulk-test/0")
    assert (stored.principal, stored.installment_id) == (Decimal("-40.05"), inst.pk)


def test_any_of_selects_the_same_rows_as_a_list(db):
    taxpayers = [f.taxpayer() for _ in range(4)]
    wanted = [taxpayers[0].pk, taxpayers[2].pk]
    found = Taxpayer.objects.filter(pk__in=any_of(wanted)).values_list("pk", flat=True)
    assert sorted(found) == sorted(wanted)


def test_gc_is_paused_inside_and_restored_after_even_on_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cyclic_gc_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
