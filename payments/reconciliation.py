"""Bank statements: import (all or nothing), match every credit line, book what matched.

Import: the file is parsed whole first (`payments.mt940.parse_statement`); a malformed file is
refused with the line number and reason and nothing is stored. Importing the same file again,
or another file with the same account and statement number, changes nothing; a line that
already came in on an overlapping statement is skipped by its unique key.

Matching, for each credit line, most specific first:

1. a portal payment's reference (``EU…``) or an operator's transaction reference in the title:
   that payment (a transfer payment is completed by it; a completed online payment settled
   by the operator one by one is booked by it);
2. an operator's payout (its account is in ``PAYMENT_OPERATOR_ACCOUNTS`` or its name is in
   the title): the completed, not yet booked payments it covers — those whose operator
   references the title lists, else the oldest ones whose amounts add up exactly to the line;
   each payment is booked on its own;
3. the virtual account (`payments.virtual_accounts`): the taxpayer and receivable it names;
4. a ledger number in the title;
5. the payer's account, when earlier matched lines tie it to exactly one taxpayer.

Anything else waits in the clerks' queue (`assign_line`). Booking goes through
`eservices.booking` (idempotent by reference) and publishes ``payment.booked`` in the domain
systems' outbox. Lines matched to a portal payment are booked as they are met and fire
`payments.signals.payment_booked`; lines matched to a taxpayer (steps 3–5, nearly all of a
statement) are booked together by `eservices.booking.book_payments` at the end, a few queries
per thousands of lines, and fire one `payments.signals.payments_booked` per statement.
Everything matching needs is loaded up front in a few set-based queries (`Matcher`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import operator
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eservices.booking import PaymentToBook, book_payment, book_payments
from eservices.bulk import any_of, cyclic_gc_paused, next_ids, row_writer
from eservices.integration.outbox import record_event, record_events
from eservices.models import Ledger, Taxpayer

from .models import BankStatement, Payment, PaymentEvent, StatementLine
from .signals import payment_booked, payments_booked
from .transitions import log_event, move
from .virtual_accounts import resolve_virtual_account_ids

logger = logging.getLogger(__name__)
Match = StatementLine.Match
LineStatus = StatementLine.Status
REFERENCE = re.compile(r"\bEU[0-9A-F]{10}\b")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_-]{3,}")
OPERATOR_NAMES = {"payu": ("PAYU",), "przelewy24": ("PRZELEWY24", "P24", "DOTPAY", "PAYPRO")}
OPERATOR_OF_NAME = {name: code for code, names in OPERATOR_NAMES.items() for name in names}
OPERATOR_NAME = re.compile(r"\b(" + "|".join(OPERATOR_OF_NAME) + r")\b")
BATCH = 2000
#: The advisory lock that queues statement imports (any constant unique in this database).
IMPORT_LOCK = 0x4D543934  # "MT94"
#: What reconciliation writes back to a statement line.
UPDATED = ["status", "match", "taxpayer", "ledger", "booked_at", "note"]
#: A statement line's columns as the import writes them (by attribute name, after the id).
LINE_FIELDS = (
    "statement_id",
    "line_no",
    "line_hash",
    "booked_on",
    "value_date",
    "amount",
    "currency",
    "bank_reference",
    "title",
    "counterparty_account",
    "counterparty_name",
    "virtual_account",
    "status",
    "match",
    "note",
    "taxpayer_id",
    "ledger_id",
    "booked_at",
)


class StatementImportError(Exception):
    """The file was refused: nothing was stored or booked."""

    def __init__(self, line_no: int, reason: str):
        super().__init__(f"line {line_no}: {reason}")
        self.line_no = line_no
        self.reason = reason


@dataclass
class ImportResult:
    statement: BankStatement
    created: bool
    lines: int = 0
    skipped_lines: int = 0
    matched: int = 0
    unmatched: int = 0
    ignored: int = 0
    booked_amount: Decimal = Decimal("0.00")
    payments_booked: int = 0
    notes: list[str] = field(default_factory=list)


def line_key(account: str, line, occurrence: int) -> str:
    """What makes a statement line the same line on any statement that repeats it: its
    booking day (first, so that a statement's keys sit together in their index instead of
    at random places in it) and a hash of everything it says."""
    # Two payers' identical transfers differ only in the virtual account paid into.
    raw = (
        f"{account}|{line.booked_on}|{line.value_date}|{line.amount}|{line.currency}|"
        f"{line.bank_reference}|{line.title}|{line.counterparty_account}|"
        f"{line.counterparty_name}|{line.virtual_account}|{occurrence}"
    )
    return _day(line.booked_on) + hashlib.sha256(raw.encode()).hexdigest()[:56]


@functools.lru_cache(maxsize=64)  # a statement spans a few days; strftime costs µs a call
def _day(day: date) -> str:
    return f"{day:%Y%m%d}"


_LINE_ROW = operator.attrgetter("pk", *LINE_FIELDS)  # a line's row, built in C


class _Line:
    """A statement line being imported: what the file says, then how it matched.

    Plain attributes with `StatementLine`'s names, so that matching and booking take either
    (a clerk assigns a saved `StatementLine`); 100,000 model instances would cost seconds.
    """

    __slots__ = (*LINE_FIELDS, "pk")

    def __init__(self, pk: int | None, statement_id: int, parsed, key: str) -> None:
        self.pk = pk
        self.statement_id = statement_id
        self.line_no = parsed.line_no
        self.line_hash = key
        self.booked_on = parsed.booked_on
        self.value_date = parsed.value_date
        self.amount = parsed.amount
        self.currency = (parsed.currency or "PLN")[:3]
        self.bank_reference = (parsed.bank_reference or "")[:64]
        self.title = parsed.title or ""
        self.counterparty_account = (parsed.counterparty_account or "")[:34]
        self.counterparty_name = (parsed.counterparty_name or "")[:255]
        self.virtual_account = (parsed.virtual_account or "")[:34]
        self.status = LineStatus.UNMATCHED if parsed.amount > 0 else LineStatus.IGNORED
        self.match = ""
        self.note = ""
        self.taxpayer_id = None
        self.ledger_id = None
        self.booked_at = None

    def row(self) -> tuple:
        return _LINE_ROW(self)


def import_statement(data: bytes, *, filename: str = "", user=None) -> ImportResult:
    """Import and reconcile one MT940 file (see the module docstring)."""
    with cyclic_gc_paused():
        return _import_statement(data, filename=filename, user=user)


def _import_statement(data: bytes, *, filename: str, user) -> ImportResult:
    # Imported here: the parser pulls in the mt-940 library, which only imports need.
    from . import mt940

    digest = hashlib.sha256(data).hexdigest()
    existing = BankStatement.objects.filter(file_hash=digest).first()
    if existing is not None:
        return ImportResult(existing, created=False)
    try:
        parsed = mt940.parse_statement(data, readers=settings.PAYMENTS_STATEMENT_READERS)
    except mt940.StatementError as error:
        raise StatementImportError(error.line_no, error.reason) from error
    with transaction.atomic():
        _one_import_at_a_time()
        existing = BankStatement.objects.filter(
            Q(file_hash=digest) | Q(account=parsed.account, number=parsed.number)
        ).first()
        if existing is not None:
            same_file = existing.file_hash == digest
            return ImportResult(
                existing, created=False, notes=[] if same_file else ["same account and number"]
            )
        statement = BankStatement.objects.create(
            account=parsed.account[:64],
            number=parsed.number[:64],
            file_hash=digest,
            filename=filename[:255],
            opening_balance=parsed.opening_balance,
            closing_balance=parsed.closing_balance,
            imported_by=user if getattr(user, "is_authenticated", False) else None,
        )
        seen: dict[str, int] = defaultdict(int)
        keys = []
        for line in parsed.lines:
            base = line_key(parsed.account, line, 0)
            occurrence = seen[base]
            seen[base] += 1
            keys.append(base if occurrence == 0 else line_key(parsed.account, line, occurrence))
        known = _known_keys(keys)
        fresh = [
            _Line(None, statement.pk, line, key)
            for line, key in zip(parsed.lines, keys, strict=True)
            if key not in known
        ]
        # Where the database hands out ids up front, the lines are written once, as matched
        # and booked: updating 100,000 rows afterwards costs as much as inserting them.
        ids = next_ids(StatementLine, len(fresh))
        if ids is not None:
            for line, pk in zip(fresh, ids, strict=True):
                line.pk = pk
        else:
            _create_lines(fresh)
        result = ImportResult(
            statement, created=True, lines=len(fresh), skipped_lines=len(keys) - len(fresh)
        )
        result.ignored = sum(line.status == LineStatus.IGNORED for line in fresh)
        reconcile(result, [line for line in fresh if line.amount > 0])
        if ids is not None:
            with row_writer(StatementLine, ("id", *LINE_FIELDS)) as write:
                for line in fresh:
                    write(line.row())
        else:
            _save_outcomes(fresh)
    return result


def _known_keys(keys: list[str]) -> set[str]:
    """The line keys already imported (from an overlapping statement)."""
    return set(
        StatementLine.objects.filter(line_hash__in=any_of(keys, "text"))
        .order_by()  # no join to the statements for their order
        .values_list("line_hash", flat=True)
    )


def _create_lines(lines: list[_Line]) -> None:
    """Insert the lines now, for their ids (where the database has no sequence to take them
    from first); `_save_outcomes` writes the match results at the end."""
    created = StatementLine.objects.bulk_create(
        [StatementLine(**dict(zip(LINE_FIELDS, line.row()[1:], strict=True))) for line in lines],
        batch_size=BATCH,
    )
    for line, row in zip(lines, created, strict=True):
        line.pk = row.pk


def _one_import_at_a_time() -> None:
    """Statements are imported one after another (until the importing transaction ends).

    An import locks the ledgers of thousands of taxpayers chunk by chunk; two at once could
    each hold what the other needs next and deadlock. Imports are rare: a queue costs nothing.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


# --- Matching --------------------------------------------------------------------------------
class _NumberedLedger(NamedTuple):
    pk: int
    taxpayer_id: int
    account: str


class Matcher:
    """Everything matching needs, loaded once per statement (a statement has 100,000 lines)."""

    def __init__(self, lines: list[_Line]):
        open_payments = list(
            Payment.objects.filter(booked_at__isnull=True)
            .filter(
                status__in=[
                    Payment.Status.COMPLETED,
                    Payment.Status.PENDING,
                    Payment.Status.STARTED,
                ]
            )
            .order_by("completed_at", "pk")
        )
        self.by_reference = {p.reference: p for p in open_payments}
        self.by_operator_ref = {
            p.operator_reference: p for p in open_payments if p.operator_reference
        }
        self.unbooked_by_gateway: dict[str, list[Payment]] = defaultdict(list)
        for p in open_payments:
            if p.status == Payment.Status.COMPLETED and p.gateway != "transfer":
                self.unbooked_by_gateway[p.gateway].append(p)
        #: virtual account → (taxpayer id, receivable type)
        self.virtual = resolve_virtual_account_ids(
            {line.virtual_account for line in lines if line.virtual_account}
        )
        self.operator_accounts = {
            account: code
            for code, accounts in getattr(settings, "PAYMENT_OPERATOR_ACCOUNTS", {}).items()
            for account in accounts
        }
        rest = [line for line in lines if line.virtual_account not in self.virtual]
        self.by_number = self._ledgers_by_number(
            {token for line in rest for token in TOKEN.findall(line.title)}
        )
        self.owners = self._matched_owners(
            {line.counterparty_account for line in rest if line.counterparty_account}
        )

    @staticmethod
    def _ledgers_by_number(tokens: set[str]) -> dict[str, list[_NumberedLedger]]:
        found: dict[str, list[_NumberedLedger]] = defaultdict(list)
        rows = (
            Ledger.objects.filter(number__in=any_of(tokens, "text"))
            .order_by("pk")
            .values_list("pk", "number", "taxpayer_id", "receivable_type__bank_account")
        )
        for pk, number, taxpayer_id, account in rows:
            found[number].append(_NumberedLedger(pk, taxpayer_id, account))
        return found

    @staticmethod
    def _matched_owners(accounts: set[str]) -> dict[str, set[int]]:
        """Payer account → the taxpayers earlier matched lines from it were booked for."""
        owners: dict[str, set[int]] = defaultdict(set)
        rows = (
            StatementLine.objects.filter(
                counterparty_account__in=any_of(accounts, "text"),
                status=LineStatus.MATCHED,
                taxpayer__isnull=False,
            )
            .order_by()
            .values_list("counterparty_account", "taxpayer_id")
            .distinct()
        )
        for account, taxpayer_id in rows:
            owners[account].add(taxpayer_id)
        return owners

    def ledger_named(self, title: str) -> _NumberedLedger | None:
        """The one ledger whose number the title gives (none, or two, is no match)."""
        ledgers = {
            ledger.pk: ledger
            for token in set(TOKEN.findall(title))
            for ledger in self.by_number.get(token, ())
        }
        return ledgers.popitem()[1] if len(ledgers) == 1 else None

    def owner_of(self, account: str) -> int | None:
        owners = self.owners.get(account, ())
        return next(iter(owners)) if len(owners) == 1 else None

    def matched(self, line, taxpayer_id: int | None) -> None:
        """Later lines from the same payer account may be matched by this one (step 5)."""
        if line.counterparty_account and taxpayer_id is not None:
            self.owners[line.counterparty_account].add(taxpayer_id)

    def operator_of(self, line) -> str | None:
        if line.counterparty_account in self.operator_accounts:
            return self.operator_accounts[line.counterparty_account]
        found = OPERATOR_NAME.search(f"{line.title} {line.counterparty_name}".upper())
        return OPERATOR_OF_NAME[found.group(1)] if found else None

    def payout_payments(self, line, code: str) -> list[Payment] | None:
        pending = [p for p in self.unbooked_by_gateway.get(code, []) if p.booked_at is None]
        tokens = set(TOKEN.findall(line.title))
        listed = [p for p in pending if p.operator_reference in tokens]
        if listed:
            return listed if sum(p.amount for p in listed) == line.amount else None
        # Oldest first: the payout covers a contiguous run of completions.
        total = Decimal("0.00")
        covered = []
        for p in pending:
            if p.completed_at and timezone.localdate(p.completed_at) > line.booked_on:
                break
            covered.append(p)
            total += p.amount
            if total == line.amount:
                return covered
            if total > line.amount:
                return None
        return None


class Target(NamedTuple):
    """Where a line matched to a taxpayer (steps 3–5) is booked: on a ledger, or on the
    taxpayer's first ledger of a receivable type (a virtual account names the type)."""

    taxpayer_id: int
    ledger_id: int | None
    how: str
    account: str | None = None
    receivable_type_id: int | None = None


def reconcile(result: ImportResult, lines: list[_Line]) -> ImportResult:
    """Match and book a statement's new credit ``lines`` (the import writes them afterwards)."""
    matcher = Matcher(lines)
    targets: list[tuple[_Line, Target]] = []
    for line in lines:
        try:
            outcome = _match_line(line, matcher, result)
        except ValueError as error:
            # book_payment refused (no ledger in that account, …): the clerk decides.
            outcome = False
            line.note = str(error)[:500]
        if isinstance(outcome, Target):
            targets.append((line, outcome))
            matcher.matched(line, outcome.taxpayer_id)
        elif outcome:
            result.matched += 1
            matcher.matched(line, line.taxpayer_id)
        else:
            result.unmatched += 1
    refused = _book_lines(targets, result)
    result.matched += len(targets) - len(refused)
    result.unmatched += len(refused)
    return result


def _match_line(line: _Line, matcher: Matcher, result: ImportResult) -> bool | Target:
    """Steps 1–2 book the portal payments they find; steps 3–5 return where to book."""
    # 1. Our payment reference, or the operator's reference of one payment.
    if matcher.by_reference or matcher.by_operator_ref:
        booked = _portal_payment_line(line, matcher, result)
        if booked is not None:
            return booked
    # 2. An operator's payout covering many payments.
    code = matcher.operator_of(line)
    if code is not None:
        covered = matcher.payout_payments(line, code)
        if covered:
            return _book_payment_line(line, covered, Match.PAYOUT, result)
        line.note = "operator payout: no set of completed payments adds up to it"
        return False
    # 3. Virtual account.
    resolved = matcher.virtual.get(line.virtual_account) if line.virtual_account else None
    if resolved is not None:
        taxpayer_id, rtype = resolved
        return Target(taxpayer_id, None, Match.VIRTUAL_ACCOUNT, rtype.bank_account, rtype.pk)
    # 4. A ledger number in the title.
    ledger = matcher.ledger_named(line.title)
    if ledger is not None:
        return Target(ledger.taxpayer_id, ledger.pk, Match.LEDGER_NUMBER, ledger.account)
    # 5. The payer's account, known from earlier matched lines of exactly one taxpayer.
    taxpayer_id = matcher.owner_of(line.counterparty_account) if line.counterparty_account else None
    if taxpayer_id is not None:
        return Target(taxpayer_id, None, Match.PAYER_ACCOUNT)
    return False


def _portal_payment_line(line: _Line, matcher: Matcher, result: ImportResult) -> bool | None:
    """Step 1: the payment whose reference (ours, or the operator's) the title gives, booked;
    None when the title names none that this line can settle."""
    for ref in REFERENCE.findall(line.title):
        payment = matcher.by_reference.get(ref)
        if (
            payment is not None
            and payment.booked_at is None
            and (
                payment.gateway == "transfer"
                or (payment.status == Payment.Status.COMPLETED and line.amount == payment.amount)
            )
        ):
            return _book_payment_line(line, [payment], Match.REFERENCE, result)
    for token in TOKEN.findall(line.title):
        payment = matcher.by_operator_ref.get(token)
        if (
            payment is not None
            and payment.booked_at is None
            and payment.status == Payment.Status.COMPLETED
            and line.amount == payment.amount
        ):
            return _book_payment_line(line, [payment], Match.PAYMENT, result)
    return None


# --- Booking ---------------------------------------------------------------------------------
def _event_payload(*, payment, taxpayer, amount, booked_on, reference, line, entries) -> dict:
    """``taxpayer`` is the taxpayer's external id; ``entries`` the booked entries' ids."""
    return {
        "reference": reference,
        "taxpayer": taxpayer,
        "amount": str(amount),
        "booked_on": booked_on.isoformat(),
        "payment": payment.reference if payment else None,
        "method": payment.gateway if payment else "transfer",
        "statement_line": line.line_hash if line else None,
        "entries": entries,
    }


def _announce(*, payment, taxpayer, user, amount, booked_on, reference, line, entries) -> None:
    record_event(
        "payment.booked",
        _event_payload(
            payment=payment,
            taxpayer=taxpayer.external_id,
            amount=amount,
            booked_on=booked_on,
            reference=reference,
            line=line,
            entries=entries,
        ),
    )
    transaction.on_commit(
        lambda: payment_booked.send(
            sender=Payment,
            payment=payment,
            taxpayer=taxpayer,
            user=user,
            amount=amount,
            booked_on=booked_on,
            reference=reference,
        )
    )


def _designated_ledger(payment: Payment) -> Ledger | None:
    ledger_ids = {item.ledger_id for item in payment.items.all()}
    if len(ledger_ids) == 1:
        return Ledger.objects.select_related("receivable_type").get(pk=ledger_ids.pop())
    return None


def book_portal_payment(payment: Payment, line, amount: Decimal, paid_on: date) -> None:
    """Book ``payment`` (locked by the caller) with ``amount`` paid on ``paid_on``."""
    ledger = _designated_ledger(payment)
    reference = f"P-{payment.reference}"
    booking = book_payment(
        payment.taxpayer,
        amount,
        paid_on,
        reference,
        ledger=ledger,
        account=ledger.receivable_type.bank_account if ledger else None,
        document=payment.reference,
    )
    payment.booked_at = timezone.now()
    payment.statement_line_id = line.pk if line else None
    payment.save(update_fields=["booked_at", "statement_line", "updated_at"])
    log_event(
        payment,
        PaymentEvent.Kind.BOOKED,
        source="statement",
        message=f"booked {amount}",
        data={"line": line.line_hash if line else None},
    )
    if not booking.already_booked:
        _announce(
            payment=payment,
            taxpayer=payment.taxpayer,
            user=payment.user,
            amount=amount,
            booked_on=paid_on,
            reference=reference,
            line=line,
            entries=booking.external_ids,
        )


@transaction.atomic  # a refused booking (ValueError) takes back only this line's changes
def _book_payment_line(line, payments: list[Payment], how: str, result: ImportResult) -> bool:
    locked = list(
        Payment.objects.select_for_update(of=("self",))
        .filter(pk__in=[p.pk for p in payments], booked_at__isnull=True)
        .select_related("taxpayer", "user")
    )
    if len(locked) != len(payments):
        return False  # booked meanwhile by another import
    for payment in locked:
        if payment.gateway == "transfer":
            # The transfer arrived: that completes the payment; partial amounts book as paid.
            amount = line.amount
            if payment.status != Payment.Status.COMPLETED:
                move(
                    payment,
                    Payment.Status.COMPLETED,
                    source="statement",
                    data={"line": line.line_hash, "amount": str(line.amount)},
                )
            paid_on = line.value_date or line.booked_on
        else:
            amount = payment.amount
            paid_on = timezone.localdate(payment.completed_at)
        book_portal_payment(payment, line, amount, paid_on)
        result.payments_booked += 1
        for original in payments:
            if original.pk == payment.pk:
                original.booked_at = payment.booked_at
    line.status = LineStatus.MATCHED
    line.match = how
    owners = {p.taxpayer_id for p in locked}
    line.taxpayer_id = owners.pop() if len(owners) == 1 else None
    line.booked_at = timezone.now()
    result.booked_amount += line.amount
    return True


@transaction.atomic
def _book_lines(targets: list[tuple[object, Target]], result: ImportResult) -> list:
    """Book lines matched to taxpayers, all at once; returns the lines booking refused.

    Sets each line's match result; the caller writes the lines."""
    if not targets:
        return []
    outcomes = book_payments(
        [
            PaymentToBook(
                target.taxpayer_id,
                line.amount,
                line.value_date or line.booked_on,
                # The line's id: ids only grow, so the entries' keys go in at the end of
                # their index instead of at random places in it (as a hash of the line did).
                f"S-{line.pk}",
                ledger_id=target.ledger_id,
                account=target.account if target.ledger_id or target.receivable_type_id else None,
                document=(line.title or line.bank_reference)[:255],
                receivable_type_id=target.receivable_type_id,
            )
            for line, target in targets
        ]
    )
    external_ids = dict(
        Taxpayer.objects.filter(pk__in=any_of({target.taxpayer_id for _, target in targets}))
        .order_by()
        .values_list("pk", "external_id")
    )
    now = timezone.now()
    refused, payloads, booked = [], [], []
    for (line, target), outcome in zip(targets, outcomes, strict=True):
        if isinstance(outcome, ValueError):
            # No ledger in that account, …: the line waits for a clerk.
            line.note = str(outcome)[:500]
            refused.append(line)
            continue
        line.status = LineStatus.MATCHED
        line.match = target.how
        line.taxpayer_id = target.taxpayer_id
        line.ledger_id = outcome.ledger_id or target.ledger_id
        line.booked_at = now
        result.booked_amount += line.amount
        if outcome.already_booked:
            continue
        paid_on = line.value_date or line.booked_on
        payloads.append(
            _event_payload(
                payment=None,
                taxpayer=external_ids[target.taxpayer_id],
                amount=line.amount,
                booked_on=paid_on,
                reference=outcome.reference,
                line=line,
                entries=outcome.external_ids,
            )
        )
        booked.append(
            {
                "payment": None,
                "taxpayer_id": target.taxpayer_id,
                "user": None,
                "amount": line.amount,
                "booked_on": paid_on,
                "reference": outcome.reference,
            }
        )
    record_events("payment.booked", payloads)
    if booked:
        transaction.on_commit(lambda: payments_booked.send(sender=Payment, bookings=booked))
    return refused


def _save_outcomes(lines: list[_Line]) -> None:
    """Write the match results of lines inserted before matching (where ids are not handed
    out before insert): one UPDATE per line, sent as one batch (`bulk_update`'s CASE per
    column takes minutes for 100,000 lines)."""
    fields = [StatementLine._meta.get_field(name) for name in UPDATED]
    table = connection.ops.quote_name(StatementLine._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608 - names from _meta
    rows = [
        [f.get_db_prep_save(getattr(line, f.attname), connection) for f in fields] + [line.pk]
        for line in lines
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


@dataclass
class Candidate:
    """A taxpayer a clerk may book an unmatched line for, and why the portal suggests them."""

    taxpayer: Taxpayer
    reasons: list[str]
    ledgers: list[Ledger] = field(default_factory=list)


def candidates(line: StatementLine, query: str = "", limit: int = 20) -> list[Candidate]:
    """Who an unmatched line may be from: the owners of ledgers whose numbers its title gives,
    taxpayers earlier lines from the payer's account were booked for, then what ``query``
    (a name, NIP, REGON, PESEL or external id) finds. Each with their ledgers."""
    from eservices.viewsets import search_taxpayers

    found: dict[int, Candidate] = {}

    def add(taxpayers, reason: str) -> None:
        for taxpayer in taxpayers:
            found.setdefault(taxpayer.pk, Candidate(taxpayer, [])).reasons.append(reason)

    tokens = set(TOKEN.findall(line.title))
    if tokens:
        add(
            Taxpayer.objects.filter(ledgers__number__in=tokens).distinct()[:limit],
            _("a ledger number in the title"),
        )
    if line.counterparty_account:
        add(
            Taxpayer.objects.filter(
                pk__in=StatementLine.objects.filter(
                    counterparty_account=line.counterparty_account, status=LineStatus.MATCHED
                ).values("taxpayer_id")
            )[:limit],
            _("earlier payments from this account"),
        )
    if query.strip():
        add(
            search_taxpayers(Taxpayer.objects.all(), query).order_by("last_name", "pk")[:limit],
            _("search"),
        )
    ledgers = Ledger.objects.filter(taxpayer_id__in=found).select_related("receivable_type")
    for ledger in ledgers.order_by("receivable_type__name", "number"):
        found[ledger.taxpayer_id].ledgers.append(ledger)
    return list(found.values())[:limit]


@transaction.atomic
def assign_line(line: StatementLine, taxpayer: Taxpayer, ledger: Ledger | None = None) -> None:
    """A clerk's decision for an unmatched line: book it for ``taxpayer`` (and ``ledger``)."""
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.status != LineStatus.UNMATCHED:
        raise ValueError("Only an unmatched line can be assigned.")
    if ledger is not None and ledger.taxpayer_id != taxpayer.pk:
        raise ValueError("The ledger does not belong to this taxpayer.")
    target = Target(
        taxpayer.pk,
        ledger.pk if ledger else None,
        Match.MANUAL,
        ledger.receivable_type.bank_account if ledger else None,
    )
    refused = _book_lines([(line, target)], ImportResult(line.statement, created=False))
    if refused:
        raise ValueError(refused[0].note)
    line.save(update_fields=UPDATED)
