"""Bank statements: per-payment and payout settlement of online payments, transfers by virtual
account, reference and payer's account, partial payments, the clerk's queue, a malformed file
that books nothing, and re-import that books nothing twice."""

from __future__ import annotations

import hashlib
import importlib
import threading
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eservices.models import LedgerEntry, OutboundEvent
from payments import reconciliation
from payments.models import BankStatement, Payment, StatementLine
from payments.signals import payment_booked, payments_booked
from payments.virtual_accounts import compact_nrb, virtual_account
from tests.eservices import factories as f

from .helpers import demo_body, mt940_generator, post_notification, start_payment

ACCOUNT = "60102010260000123456789012"
Line = StatementLine.Status


@pytest.fixture
def gen():
    return mt940_generator()


@pytest.fixture
def booked(resident):
    """Bookings announced (sent on commit): one per payment_booked, and each of a statement's
    payments_booked."""
    received = []

    def one(sender, **kwargs):
        received.append(kwargs)

    def many(sender, *, bookings, **kwargs):
        received.extend(bookings)

    payment_booked.connect(one)
    payments_booked.connect(many)
    yield received
    payment_booked.disconnect(one)
    payments_booked.disconnect(many)


def _completed(resident, choices=None) -> Payment:
    payment = start_payment(resident, choices=choices)
    assert post_notification(demo_body(payment, "completed")).status_code == 200
    payment.refresh_from_db()
    return payment


def _statement(gen, lines, number="1"):
    return gen.generate_statement(lines, account=ACCOUNT, number=number)


def _payments_entries(resident):
    return LedgerEntry.objects.filter(ledger=resident.ledger, kind=LedgerEntry.Kind.PAYMENT)


def test_completed_payment_awaits_booking_until_its_line_arrives(
    resident, gen, booked, django_capture_on_commit_callbacks
):
    payment = _completed(resident)
    assert payment.awaiting_booking and not _payments_entries(resident).exists()
    data = _statement(
        gen, [gen.CreditLine(amount=payment.amount, title=f"PayU {payment.operator_reference}")]
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = reconciliation.import_statement(data, filename="w1.sta")
    payment.refresh_from_db()
    assert result.matched == 1 and result.payments_booked == 1
    assert not payment.awaiting_booking and payment.statement_line.match == "payment"
    entries = _payments_entries(resident)
    assert (
        -sum(e.principal for e in entries)
        + sum(e.interest for e in entries)
        - sum(e.reminder_costs for e in entries)
        == payment.amount
    )
    assert [b["payment"] for b in booked] == [payment]
    assert booked[0]["amount"] == payment.amount and booked[0]["user"] == resident.user
    event = OutboundEvent.objects.get(kind="payment.booked")
    assert event.payload["payment"] == payment.reference


def test_payout_line_books_every_payment_it_covers(
    resident, gen, booked, settings, django_capture_on_commit_callbacks
):
    operator = "61109010140000071219812874"
    settings.PAYMENT_OPERATOR_ACCOUNTS = {"demo": [operator]}
    first = _completed(resident, [f"inst-{resident.overdue.pk}"])
    second = _completed(resident, [f"inst-{resident.upcoming.pk}"])
    total = first.amount + second.amount
    wrong = _statement(
        gen,
        [
            gen.CreditLine(
                amount=total - Decimal("0.01"),
                title="wyplata srodkow 2026",
                counterparty_account=operator,
            )
        ],
        number="7",
    )
    result = reconciliation.import_statement(wrong)
    assert result.unmatched == 1
    assert Payment.objects.filter(booked_at__isnull=False).count() == 0
    data = _statement(
        gen,
        [gen.CreditLine(amount=total, title="wyplata srodkow", counterparty_account=operator)],
        number="8",
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = reconciliation.import_statement(data)
    assert result.matched == 1 and result.payments_booked == 2
    line = StatementLine.objects.get(status=Line.MATCHED)
    assert line.match == "payout" and set(line.payments.all()) == {first, second}
    assert len(booked) == 2


def test_transfer_by_virtual_account_books_on_that_receivable(
    resident, gen, booked, django_capture_on_commit_callbacks
):
    rtype = resident.ledger.receivable_type
    rtype.bank_account = ACCOUNT
    rtype.virtual_account_prefix = "10000001"
    rtype.save()
    nrb = compact_nrb(virtual_account(resident.taxpayer, rtype))
    data = _statement(
        gen,
        [
            gen.CreditLine(
                amount=Decimal("100.00"),
                title="podatek",
                virtual_account=nrb,
                counterparty_account="61109010140000071219812874",
            )
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = reconciliation.import_statement(data)
    assert result.matched == 1
    line = StatementLine.objects.get()
    assert line.match == "virtual_account" and line.taxpayer == resident.taxpayer
    assert line.ledger == resident.ledger
    assert booked[0]["payment"] is None and booked[0]["amount"] == Decimal("100.00")
    # Later, the same payer's account identifies them even without the virtual account.
    again = _statement(
        gen,
        [
            gen.CreditLine(
                amount=Decimal("5.00"),
                title="dopłata",
                counterparty_account="61109010140000071219812874",
            )
        ],
        number="2",
    )
    reconciliation.import_statement(again)
    assert StatementLine.objects.get(amount=Decimal("5.00")).match == "payer_account"


def test_partial_transfer_with_the_payment_reference(resident, gen):
    url_payment = start_payment(resident, gateway="transfer")
    assert url_payment.status == Payment.Status.PENDING
    part = (url_payment.amount / 2).quantize(Decimal("0.01"))
    data = _statement(gen, [gen.CreditLine(amount=part, title=f"wplata {url_payment.reference}")])
    result = reconciliation.import_statement(data)
    url_payment.refresh_from_db()
    assert result.matched == 1
    assert url_payment.status == Payment.Status.COMPLETED and url_payment.booked_at
    entries = _payments_entries(resident)
    paid = (
        -sum(e.principal for e in entries)
        + sum(e.interest for e in entries)
        - sum(e.reminder_costs for e in entries)
    )
    assert paid == part


def test_reimport_books_nothing_twice(resident, gen):
    payment = _completed(resident)
    data = _statement(gen, [gen.CreditLine(amount=payment.amount, title=f"{payment.reference}")])
    reconciliation.import_statement(data)
    count = LedgerEntry.objects.count()
    again = reconciliation.import_statement(data)
    assert not again.created
    # The same lines in another file (an overlapping statement) are skipped by their key.
    overlap = _statement(
        gen, [gen.CreditLine(amount=payment.amount, title=f"{payment.reference}")], number="2"
    )
    result = reconciliation.import_statement(overlap)
    assert result.created and result.lines == 0 and result.skipped_lines == 1
    assert LedgerEntry.objects.count() == count
    assert BankStatement.objects.count() == 2


def test_lines_keyed_before_the_day_came_first_are_still_known_after_the_migration(resident, gen):
    line = gen.CreditLine(amount=Decimal("10.00"), title="stary klucz", virtual_account="")
    reconciliation.import_statement(_statement(gen, [line]))
    stored = StatementLine.objects.get()
    key = stored.line_hash
    assert key.startswith(f"{stored.booked_on:%Y%m%d}") and len(key) == 64
    # As the line was keyed before: the whole hash, which the key's last part begins with.
    old = key[8:] + hashlib.sha256(b"the rest of the old hash").hexdigest()[:8]
    StatementLine.objects.filter(pk=stored.pk).update(line_hash=old)
    migration = importlib.import_module("payments.migrations.0006_line_keys_start_with_the_day")
    migration.day_first(None, SimpleNamespace(connection=connection))  # what it uses of one
    assert StatementLine.objects.get().line_hash == key
    again = reconciliation.import_statement(_statement(gen, [line], number="2"))
    assert again.created and again.skipped_lines == 1 and again.lines == 0


def test_malformed_statement_is_rejected_with_its_line_and_books_nothing(resident, gen):
    payment = _completed(resident)
    good = _statement(
        gen,
        [
            gen.CreditLine(amount=payment.amount, title=payment.reference),
            gen.CreditLine(amount=Decimal("10.00"), title="x"),
        ],
    )
    broken = good.replace(b"C10,00N", b"CXX,00N")
    with pytest.raises(reconciliation.StatementImportError) as error:
        reconciliation.import_statement(broken)
    assert error.value.line_no > 1
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()
    payment.refresh_from_db()
    assert payment.booked_at is None


def test_unmatched_line_waits_for_a_clerk_who_assigns_it(resident, gen):
    data = _statement(gen, [gen.CreditLine(amount=Decimal("42.00"), title="za psa")])
    result = reconciliation.import_statement(data)
    assert result.unmatched == 1
    line = StatementLine.objects.get()
    assert line.status == Line.UNMATCHED
    reconciliation.assign_line(line, resident.taxpayer, resident.ledger)
    line.refresh_from_db()
    assert line.status == Line.MATCHED and line.match == "manual"
    with pytest.raises(ValueError):
        reconciliation.assign_line(line, resident.taxpayer)
    assert _payments_entries(resident).exists()


def test_ledger_number_in_the_title(resident, gen):
    data = _statement(
        gen, [gen.CreditLine(amount=Decimal("20.00"), title=f"{resident.ledger.number} rata 1")]
    )
    reconciliation.import_statement(data)
    line = StatementLine.objects.get()
    assert line.match == "ledger_number" and line.ledger == resident.ledger


def test_import_command(resident, gen, tmp_path):
    path = tmp_path / "wyciag.sta"
    path.write_bytes(_statement(gen, [gen.CreditLine(amount=Decimal("1.00"), title="x")]))
    call_command("import_statement", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert StatementLine.objects.count() == 1
    bad = tmp_path / "zly.sta"
    bad.write_bytes(b":20:X\r\n:25:/PL1\r\n:61:garbage\r\n")
    with pytest.raises(CommandError, match="line"):
        call_command("import_statement", str(bad))
    assert BankStatement.objects.count() == 1


def test_booked_day_is_the_gateway_completion_day(resident, gen):
    payment = _completed(resident)
    Payment.objects.filter(pk=payment.pk).update(completed_at=timezone.now() - timedelta(days=3))
    data = _statement(gen, [gen.CreditLine(amount=payment.amount, title=payment.reference)])
    reconciliation.import_statement(data)
    assert {e.booked_on for e in _payments_entries(resident)} == {
        timezone.localdate() - timedelta(days=3)
    }


def _payments_entries_of(inst):
    return LedgerEntry.objects.filter(installment=inst, kind=LedgerEntry.Kind.PAYMENT)


def _virtual_type():
    rtype = f.receivable_type(
        "pn-wirtualne", bank_account=ACCOUNT, virtual_account_prefix="10000002"
    )
    return rtype


def _virtual_line(gen, taxpayer, rtype, amount: str, title: str = "podatek"):
    return gen.CreditLine(
        amount=Decimal(amount),
        title=title,
        virtual_account=compact_nrb(virtual_account(taxpayer, rtype)),
    )


def test_a_statement_books_in_the_same_queries_for_ten_or_sixty_lines(db, gen):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite splits a bulk insert by its limit on query parameters")
    rtype = _virtual_type()

    def queries(count: int, number: str) -> int:
        lines = []
        for n in range(count):
            tp = f.taxpayer()
            led = f.ledger(tp, rtype)
            f.installment(led, "100.00", timezone.localdate() - timedelta(days=40), number=1)
            lines.append(_virtual_line(gen, tp, rtype, "60.00"))
            if n % 5 == 0:  # ledger numbers in titles are looked up in bulk too
                lines.append(gen.CreditLine(amount=Decimal("7.00"), title=f"{led.number} rata"))
        data = _statement(gen, lines, number=number)
        with CaptureQueriesContext(connection) as captured:
            result = reconciliation.import_statement(data)
        assert result.matched == len(lines) and result.unmatched == 0
        return len(captured)

    queries(2, "9")  # warm-up: settings are read once per process
    assert queries(10, "10") == queries(60, "60")


def test_two_lines_of_one_payer_in_a_statement_are_booked_in_turn(db, gen):
    rtype = _virtual_type()
    tp = f.taxpayer()
    led = f.ledger(tp, rtype)
    today = timezone.localdate()
    first = f.installment(led, "100.00", today - timedelta(days=40), number=1)
    second = f.installment(led, "100.00", today - timedelta(days=10), number=2)
    data = _statement(
        gen,
        [
            _virtual_line(gen, tp, rtype, "100.00", "rata 1"),
            _virtual_line(gen, tp, rtype, "100.00", "rata 2"),
        ],
    )
    reconciliation.import_statement(data)
    # The second line sees what the first paid: it goes to the next instalment, not over it.
    paid = {
        inst.number: -sum(e.principal for e in _payments_entries_of(inst))
        for inst in (first, second)
    }
    assert paid == {1: Decimal("100.00"), 2: Decimal("100.00")}
    assert StatementLine.objects.filter(status=Line.MATCHED).count() == 2
    events = OutboundEvent.objects.filter(kind="payment.booked")
    assert events.count() == 2
    assert {e.payload["taxpayer"] for e in events} == {tp.external_id}


def test_a_line_booking_refuses_waits_for_a_clerk_and_the_rest_are_booked(db, gen):
    rtype = _virtual_type()
    good, empty = f.taxpayer(), f.taxpayer()
    f.installment(f.ledger(good, rtype), "50.00", timezone.localdate(), number=1)
    data = _statement(
        gen,
        [
            _virtual_line(gen, empty, rtype, "10.00"),  # no ledger at all: nothing to book on
            _virtual_line(gen, good, rtype, "50.00"),
        ],
    )
    result = reconciliation.import_statement(data)
    assert (result.matched, result.unmatched) == (1, 1)
    refused = StatementLine.objects.get(amount=Decimal("10.00"))
    assert refused.status == Line.UNMATCHED and "no ledger" in refused.note
    assert StatementLine.objects.get(amount=Decimal("50.00")).status == Line.MATCHED


def test_a_statement_booking_confirms_to_residents_who_consented(
    resident, gen, django_capture_on_commit_callbacks
):
    from messaging.consents import Evidence, set_consent
    from messaging.models import Delivery

    set_consent(resident.user, "email", "payment_booked", True, Evidence())
    rtype = resident.ledger.receivable_type
    rtype.bank_account = ACCOUNT
    rtype.virtual_account_prefix = "10000001"
    rtype.save()
    stranger = f.taxpayer()
    f.ledger(stranger, rtype)
    data = _statement(
        gen,
        [
            _virtual_line(gen, resident.taxpayer, rtype, "123.45"),
            _virtual_line(gen, stranger, rtype, "10.00"),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        reconciliation.import_statement(data)
    message = Delivery.objects.get()
    assert message.user == resident.user and message.category == "payment_booked"
    assert "123,45 zł" in message.body


@pytest.mark.django_db(transaction=True)
def test_the_same_statement_imported_twice_at_once_books_once(gen):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent imports queue on a PostgreSQL advisory lock")
    rtype = _virtual_type()
    payers = [f.taxpayer() for _ in range(3)]
    for tp in payers:
        f.installment(f.ledger(tp, rtype), "80.00", timezone.localdate(), number=1)
    data = _statement(gen, [_virtual_line(gen, tp, rtype, "80.00") for tp in payers])
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait()
            results.append(reconciliation.import_statement(data))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(r.created for r in results) == [False, True]
    assert BankStatement.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 3
