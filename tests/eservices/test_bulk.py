"""eservices.bulk: rows streamed by COPY, ids from the sequence, id lists as one array, GC pause."""

from __future__ import annotations

import gc
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from eservices.booking import ENTRY_FIELDS
from eservices.bulk import any_of, cyclic_gc_paused, next_ids, row_writer
from eservices.models import LedgerEntry, OutboundEvent, Taxpayer

from . import factories as f


def test_rows_written_read_back_as_written(db):
    inst = f.installment(f.ledger(f.taxpayer()), "100.00", date(2026, 3, 16))
    zero, now = Decimal("0.00"), timezone.now()
    with row_writer(LedgerEntry, ENTRY_FIELDS) as write:
        for installment, day, amount, key in [
            (inst.pk, date(2026, 4, 1), Decimal("-40.05"), "b/0"),
            (None, date(2026, 4, 2), Decimal("-0.01"), "b/1"),
        ]:
            write((inst.ledger_id, installment, "wplata", day, amount, zero, zero, "", key, now))
    stored = LedgerEntry.objects.filter(external_id__in=["b/0", "b/1"]).order_by("external_id")
    assert [(e.principal, e.installment_id, e.booked_on) for e in stored] == [
        (Decimal("-40.05"), inst.pk, date(2026, 4, 1)),
        (Decimal("-0.01"), None, date(2026, 4, 2)),
    ]


def test_json_rows_and_ids_from_the_sequence(db):
    payloads = [{"amount": "12.30", "n": n, "tekst": "zażółć"} for n in range(3)]
    ids = next_ids(OutboundEvent, len(payloads))
    if ids is None:  # no sequences (SQLite): the rows get theirs on insert
        ids = [None] * len(payloads)
    else:
        assert len(set(ids)) == 3
    with row_writer(OutboundEvent, ("id", "kind", "payload", "created_at")) as write:
        for pk, payload in zip(ids, payloads, strict=True):
            write((pk, "payment.booked", payload, timezone.now()))
    stored = OutboundEvent.objects.filter(kind="payment.booked").order_by("pk")
    assert [e.payload for e in stored] == payloads
    if ids[0] is not None:
        assert [e.pk for e in stored] == ids


def test_any_of_selects_the_same_rows_as_a_list(db):
    taxpayers = [f.taxpayer() for _ in range(4)]
    wanted = [taxpayers[0].pk, taxpayers[2].pk]
    found = Taxpayer.objects.filter(pk__in=any_of(wanted)).values_list("pk", flat=True)
    assert sorted(found) == sorted(wanted)


def test_any_of_text_values_keep_quotes_backslashes_and_commas(db):
    names = ['Kowalski "Kowal"', "C:\\dane", "Nowak, Jan", "{nawias}", "Żółć", "O'Brien"]
    for name in [*names, "nie ten"]:
        f.taxpayer(last_name=name)
    found = Taxpayer.objects.filter(last_name__in=any_of(names, "text"))
    assert sorted(found.values_list("last_name", flat=True)) == sorted(names)
    plain = ["Żółć", "nie ten"]
    found = Taxpayer.objects.filter(last_name__in=any_of(plain, "text"))
    assert sorted(set(found.values_list("last_name", flat=True))) == sorted(plain)
    assert not Taxpayer.objects.filter(last_name__in=any_of([], "text")).exists()
    if connection.vendor == "postgresql":  # elsewhere the values are passed as they are
        with pytest.raises(ValueError):
            any_of(names, "text); DROP TABLE x; --")


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
