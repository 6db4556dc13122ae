"""Import a batch from a domain system: validate every line, then write all of it or nothing.

The steps, for a file of any size:

1. read the file (``formats``) and validate each record on its own (``schema``);
2. fetch, in a handful of set-based queries, every existing row the batch names or refers to;
3. walk the records in file order, resolving references (to the database or to a record on an
   earlier line) and comparing each record with what is stored: created, updated, unchanged
   or an error; every error is collected, not just the first;
4. only if there is no error, write with ``bulk_create``/``bulk_update`` in dependency order,
   inside one transaction.

The ``ImportBatch`` row is saved before and after, outside that transaction, so a rejected
batch leaves its errors behind and nothing else.

Ledger entries are append-only: an entry that is already booked must come again unchanged; a
different amount under the same external id is refused (the domain system books a correction).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import IO, Any, NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F
from django.utils import timezone

from eservices import crypto
from eservices.booking import ENTRY_FIELDS as ENTRY_ROW
from eservices.bulk import any_of, cyclic_gc_paused, row_writer
from eservices.duedates import ShiftRule, effective_due_date
from eservices.models import (
    DomainSystem,
    ImportBatch,
    Installment,
    Ledger,
    LedgerEntry,
    LedgerParty,
    ReceivableType,
    TaxedObject,
    Taxpayer,
)

from .formats import ParsedFile, read
from .schema import (
    EntryRecord,
    InstallmentRecord,
    LedgerPartyRecord,
    LedgerRecord,
    LineError,
    ReceivableTypeRecord,
    Record,
    RecordError,
    RecordType,
    TaxedObjectRecord,
    TaxpayerRecord,
    parse_record,
)

#: How many errors a rejected batch keeps (``error_count`` has the full number).
MAX_STORED_ERRORS = 1000
BULK_BATCH_SIZE = 1000

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

TAXPAYER_FIELDS = [
    "kind",
    "first_name",
    "last_name",
    "organisation_name",
    "nip",
    "regon",
    "street",
    "postal_code",
    "city",
    "email",
    "phone",
]
RECEIVABLE_TYPE_FIELDS = [
    "name",
    "category",
    "interest_regime",
    "due_date_shift",
    "domain_program",
    "bank_account",
    "virtual_account_prefix",
    "is_active",
]
INSTALLMENT_FIELDS = ["year", "number", "nominal_due_date", "due_date", "assessed_amount"]
ENTRY_FIELDS = [
    "ledger",
    "installment",
    "kind",
    "booked_on",
    "principal",
    "interest",
    "reminder_costs",
    "document",
]
_AMOUNTS = {"principal", "interest", "reminder_costs"}


def import_batch(
    source_system: DomainSystem | str | None,
    content: bytes | str | IO[bytes],
    format: str,
    *,
    filename: str = "",
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
) -> ImportBatch:
    """Validate and apply one batch; returns its ``ImportBatch`` (applied or rejected).

    ``source_system`` is the DomainSystem (or its code) the batch comes from; ``None`` for a
    file of unknown origin. ``dry_run`` validates and counts without writing anything, the batch
    row included.
    """
    if format not in ImportBatch.Format.values:
        raise ValueError(f"unknown format {format!r}; use one of {ImportBatch.Format.values}")
    if isinstance(source_system, str):
        code = source_system
        source_system = DomainSystem.objects.filter(code=code).first()
        if source_system is None:
            raise ValueError(f"no domain system with the code {code!r}; add it in the admin")
    if hasattr(content, "read"):
        content = content.read()
    if isinstance(content, str):
        content = content.encode()
    batch = ImportBatch(
        source_system=source_system,
        format=format,
        filename=filename[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        created_by=user if user is not None and user.is_authenticated else None,
    )
    if not dry_run:
        batch.save()

    errors: list[LineError] = []
    try:
        with transaction.atomic(), cyclic_gc_paused():
            if source_system is not None:
                # One batch per system at a time: the second waits, then validates against
                # what the first committed instead of failing on a unique key half-way.
                DomainSystem.objects.select_for_update().filter(pk=source_system.pk).first()
            plan = _Plan(source_system)
            plan.build(read(content, format))
            errors = plan.errors
            batch.counts = plan.counts
            if not errors and not dry_run:
                plan.apply()
                batch.status = ImportBatch.Status.APPLIED
                batch.applied_at = timezone.now()
                batch.save(update_fields=["status", "counts", "applied_at"])
    except DatabaseError as exc:
        # Validation should leave nothing for the database to refuse; if it does (a concurrent
        # import from another system with the same ids), the whole batch is rolled back.
        errors = [LineError(None, f"the database refused the batch, nothing was imported: {exc}")]

    if errors:
        errors.sort(key=lambda e: e.line or 0)
        batch.status = ImportBatch.Status.REJECTED
        batch.counts = {}  # nothing was written; partial counts would only mislead
        batch.error_count = len(errors)
        batch.errors = [error.as_dict() for error in errors[:MAX_STORED_ERRORS]]
        if not dry_run:
            batch.save(update_fields=["status", "counts", "errors", "error_count"])
    return batch


def _chunks(keys: Iterable[Any]) -> Iterator[list[Any]]:
    # Below SQLite's bound-parameter limit; PostgreSQL does not mind either way.
    size = min(connection.features.max_query_params or 10_000, 10_000) - 10
    keys = list(keys)
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def _fetch(queryset: models.QuerySet, field: str, keys: Iterable[Any]) -> Iterator[Any]:
    """Rows whose ``field`` is one of ``keys``: one query however many keys there are
    (`eservices.bulk.any_of`)."""
    keys = list(set(keys))
    if not keys:
        return
    if connection.vendor in ("postgresql", "sqlite"):
        sql_type = "bigint" if isinstance(keys[0], int) else "text"
        yield from queryset.filter(**{f"{field}__in": any_of(keys, sql_type)})
    else:
        for chunk in _chunks(keys):
            yield from queryset.filter(**{f"{field}__in": chunk})


class _InstallmentRef(NamedTuple):
    pk: int
    ledger_id: int
    ledger_key: str


class _Plan:
    """What a batch would do: errors, counts and the rows to create or update."""

    def __init__(self, source_system: DomainSystem | None) -> None:
        self.system_code = source_system.code if source_system else ""
        self.errors: list[LineError] = []
        self.counts: dict[str, dict[str, int]] = {}
        self.records: list[tuple[int, Record]] = []
        # Where each key was first seen in the batch, valid or not (duplicates are errors).
        self.first_seen: dict[tuple[RecordType, str], int] = {}
        self.defined: dict[tuple[RecordType, str], int] = {}
        self.rejected: set[tuple[RecordType, str]] = set()

        self.new_types: list[ReceivableType] = []
        self.changed_types: list[ReceivableType] = []
        self.new_taxpayers: list[Taxpayer] = []
        self.changed_taxpayers: list[Taxpayer] = []
        self.new_ledgers: list[tuple[Ledger, LedgerRecord]] = []
        self.changed_ledgers: list[tuple[Ledger, LedgerRecord]] = []
        self.new_parties: list[tuple[LedgerParty, LedgerPartyRecord]] = []
        self.changed_parties: list[LedgerParty] = []
        self.new_objects: list[tuple[TaxedObject, TaxedObjectRecord]] = []
        self.changed_objects: list[TaxedObject] = []
        self.new_installments: list[tuple[Installment, InstallmentRecord]] = []
        self.changed_installments: list[Installment] = []
        self.new_entries: list[tuple[EntryRecord, str]] = []
        self.batch_slots: dict[tuple[str, int, int], str] = {}

    # --- 1. records ---------------------------------------------------------------------------

    def error(self, line: int | None, message: str, record_type: str = "", key: str = "") -> None:
        self.errors.append(LineError(line, message, record_type, key))

    def build(self, parsed: ParsedFile) -> None:
        self.errors.extend(parsed.errors)
        for raw in parsed.lines:
            if raw.error:
                self.error(raw.line, raw.error)
            elif raw.incomplete:
                self._remember_rejected(raw.line, str(raw.data.get("type")), _raw_key(raw.data))
            else:
                self._parse(raw.line, raw.data)
        if not self.records and not self.errors:
            self.error(None, "the batch contains no records")
        if not self.records:
            return
        self._fetch_existing()
        for line, record in self.records:
            status = self.CHECKS[record.record_type](self, line, record)
            if status is not None:
                per_type = self.counts.setdefault(
                    record.record_type.value, {CREATED: 0, UPDATED: 0, UNCHANGED: 0}
                )
                per_type[status] += 1

    def _parse(self, line: int, data: dict[str, Any]) -> None:
        try:
            record = parse_record(data)
        except RecordError as exc:
            for message in exc.messages:
                self.error(line, message, exc.record_type, exc.key)
            self._remember_rejected(line, exc.record_type, exc.key)
            return
        key = (record.record_type, record.key)
        if key in self.first_seen:
            self.error(
                line,
                f"{record.record_type} {record.key} already appears on line "
                f"{self.first_seen[key]} of this batch",
                record.record_type,
                record.key,
            )
            return
        self.first_seen[key] = line
        self.defined[key] = line
        self.records.append((line, record))

    def _remember_rejected(self, line: int, record_type: str, key: str) -> None:
        # Records that refer to a rejected one are not reported again: one cause, one error.
        if key and record_type in RecordType.__members__.values():
            self.rejected.add((RecordType(record_type), key))
            self.first_seen.setdefault((RecordType(record_type), key), line)

    # --- 2. what exists -----------------------------------------------------------------------

    def _fetch_existing(self) -> None:
        by_type: dict[RecordType, list[Any]] = defaultdict(list)
        for _line, record in self.records:
            by_type[record.record_type].append(record)
        taxpayers = by_type[RecordType.TAXPAYER]
        types = by_type[RecordType.RECEIVABLE_TYPE]
        ledgers = by_type[RecordType.LEDGER]
        parties = by_type[RecordType.LEDGER_PARTY]
        objects = by_type[RecordType.TAXED_OBJECT]
        installments = by_type[RecordType.INSTALLMENT]
        entries = by_type[RecordType.ENTRY]

        taxpayer_keys = {r.external_id for r in taxpayers}
        taxpayer_keys |= {r.taxpayer for r in ledgers} | {r.taxpayer for r in parties}
        self.db_taxpayers = {
            t.external_id: t for t in _fetch(Taxpayer.objects.all(), "external_id", taxpayer_keys)
        }
        # A few dozen rows at most: fetch them all.
        self.db_types = {t.code: t for t in ReceivableType.objects.all()}

        ledger_keys = {r.external_id for r in ledgers}
        for group in (parties, objects, installments):
            ledger_keys |= {r.ledger for r in group}
        ledger_keys |= {r.ledger for r in entries if r.ledger}
        ledger_qs = Ledger.objects.annotate(
            taxpayer_key=F("taxpayer__external_id"), type_code=F("receivable_type__code")
        )
        self.db_ledgers = {
            led.external_id: led for led in _fetch(ledger_qs, "external_id", ledger_keys)
        }

        installment_qs = Installment.objects.annotate(ledger_key=F("ledger__external_id"))
        self.db_installments = {
            i.external_id: i
            for i in _fetch(installment_qs, "external_id", {r.external_id for r in installments})
        }
        # Entries only need to know where an installment is: (pk, ledger pk, ledger key) rows
        # are far cheaper than model instances when a batch pays thousands of them.
        referenced = {r.installment for r in entries if r.installment}
        self.installment_refs: dict[str, _InstallmentRef] = {
            key: _InstallmentRef(pk, ledger_id, ledger_key)
            for key, pk, ledger_id, ledger_key in _fetch(
                Installment.objects.values_list(
                    "external_id", "pk", "ledger_id", "ledger__external_id"
                ),
                "external_id",
                referenced,
            )
        }

        def ledger_ids(records: list[Any]) -> set[int]:
            return {self.db_ledgers[r.ledger].pk for r in records if r.ledger in self.db_ledgers}

        # (ledger, year, number) is unique: who holds each slot of the ledgers being written.
        self.db_slots = {
            (ledger_id, year, number): external_id
            for ledger_id, year, number, external_id in _fetch(
                Installment.objects.values_list("ledger_id", "year", "number", "external_id"),
                "ledger_id",
                ledger_ids(installments),
            )
        }
        self.db_parties = {
            (p.ledger_id, p.taxpayer_id): p
            for p in _fetch(LedgerParty.objects.all(), "ledger_id", ledger_ids(parties))
        }
        self.db_objects: dict[tuple[int, int, str, str], TaxedObject] = {}
        for obj in _fetch(TaxedObject.objects.order_by("pk"), "ledger_id", ledger_ids(objects)):
            self.db_objects.setdefault((obj.ledger_id, obj.year, obj.kind, obj.description), obj)

        entry_qs = LedgerEntry.objects.values_list(
            "external_id",
            "ledger__external_id",
            "installment__external_id",
            "kind",
            "booked_on",
            "principal",
            "interest",
            "reminder_costs",
            "document",
        )
        self.db_entries = {
            row[0]: dict(zip(ENTRY_FIELDS, row[1:], strict=True))
            for row in _fetch(entry_qs, "external_id", {r.external_id for r in entries})
        }

        # The state after this batch, for what later checks derive: an installment's effective
        # due date depends on its ledger's receivable type, which this batch may change.
        self.final_shift = {code: t.due_date_shift for code, t in self.db_types.items()}
        self.final_shift.update({r.code: r.due_date_shift for r in types})
        self.final_ledger_type = {key: led.type_code for key, led in self.db_ledgers.items()}
        self.final_ledger_type.update({r.external_id: r.receivable_type for r in ledgers})
        self.batch_installment_ledger = {r.external_id: r.ledger for r in installments}

    def _exists(
        self, line: int, rec: Record, field: str, record_type: RecordType, existing: dict
    ) -> bool:
        """Whether ``rec.<field>`` resolves: to a stored row or to a record on an earlier line."""
        key = getattr(rec, field)
        if key in existing:
            return True
        defined_on = self.defined.get((record_type, key))
        if defined_on is not None and defined_on < line:
            return True
        if defined_on is not None:
            self._error_for(
                line,
                rec,
                f"{field}: {record_type} {key} is defined later, on line {defined_on}; "
                "put records before the records that refer to them",
            )
        elif (record_type, key) not in self.rejected:
            self._error_for(
                line, rec, f"{field}: unknown {record_type} {key!r} (not in this batch nor stored)"
            )
        return False

    # --- 3. one check per record type ------------------------------------------------------------

    def _check_taxpayer(self, line: int, rec: TaxpayerRecord) -> str | None:
        values = {name: getattr(rec, name) for name in TAXPAYER_FIELDS}
        values["kind"] = rec.kind.value
        existing = self.db_taxpayers.get(rec.external_id)
        if existing is None:
            taxpayer = Taxpayer(
                external_id=rec.external_id, source_system=self.system_code, **values
            )
            taxpayer.pesel = rec.pesel
            self.new_taxpayers.append(taxpayer)
            return CREATED
        if (
            existing.source_system
            and self.system_code
            and existing.source_system != self.system_code
        ):
            self._error_for(
                line,
                rec,
                f"taxpayer {rec.external_id} is kept by the domain system "
                f"{existing.source_system!r}, not {self.system_code!r}",
            )
            return None
        changed = _assign(existing, values)
        if self.system_code and existing.source_system != self.system_code:
            existing.source_system = self.system_code
            changed = True
        # PESEL ciphertexts differ on every encryption: compare the blind index instead.
        if existing.pesel_index != (crypto.blind_index(rec.pesel) if rec.pesel else ""):
            existing.pesel = rec.pesel
            changed = True
        if changed:
            self.changed_taxpayers.append(existing)
            return UPDATED
        return UNCHANGED

    def _check_receivable_type(self, line: int, rec: ReceivableTypeRecord) -> str | None:
        values = {name: getattr(rec, name) for name in RECEIVABLE_TYPE_FIELDS}
        existing = self.db_types.get(rec.code)
        if existing is None:
            self.new_types.append(ReceivableType(code=rec.code, **values))
            return CREATED
        if _assign(existing, values):
            self.changed_types.append(existing)
            return UPDATED
        return UNCHANGED

    def _check_ledger(self, line: int, rec: LedgerRecord) -> str | None:
        ok = self._exists(line, rec, "taxpayer", RecordType.TAXPAYER, self.db_taxpayers)
        ok &= self._exists(line, rec, "receivable_type", RecordType.RECEIVABLE_TYPE, self.db_types)
        if not ok:
            return None
        values = {"number": rec.number, "opened_on": rec.opened_on}
        existing = self.db_ledgers.get(rec.external_id)
        if existing is None:
            self.new_ledgers.append((Ledger(external_id=rec.external_id, **values), rec))
            return CREATED
        changed = _assign(existing, values)
        changed |= existing.taxpayer_key != rec.taxpayer
        changed |= existing.type_code != rec.receivable_type
        if changed:
            self.changed_ledgers.append((existing, rec))
            return UPDATED
        return UNCHANGED

    def _check_ledger_party(self, line: int, rec: LedgerPartyRecord) -> str | None:
        ok = self._exists(line, rec, "ledger", RecordType.LEDGER, self.db_ledgers)
        ok &= self._exists(line, rec, "taxpayer", RecordType.TAXPAYER, self.db_taxpayers)
        if not ok:
            return None
        ledger = self.db_ledgers.get(rec.ledger)
        taxpayer = self.db_taxpayers.get(rec.taxpayer)
        existing = self.db_parties.get((ledger.pk, taxpayer.pk)) if ledger and taxpayer else None
        if existing is None:
            self.new_parties.append((LedgerParty(role=rec.role), rec))
            return CREATED
        if _assign(existing, {"role": rec.role}):
            self.changed_parties.append(existing)
            return UPDATED
        return UNCHANGED

    def _check_taxed_object(self, line: int, rec: TaxedObjectRecord) -> str | None:
        if not self._exists(line, rec, "ledger", RecordType.LEDGER, self.db_ledgers):
            return None
        ledger = self.db_ledgers.get(rec.ledger)
        existing = (
            self.db_objects.get((ledger.pk, rec.year, rec.kind, rec.description))
            if ledger
            else None
        )
        values = {"base": rec.base, "unit": rec.unit, "rate": rec.rate}
        if existing is None:
            obj = TaxedObject(year=rec.year, kind=rec.kind, description=rec.description, **values)
            self.new_objects.append((obj, rec))
            return CREATED
        if _assign(existing, values):
            self.changed_objects.append(existing)
            return UPDATED
        return UNCHANGED

    def _check_installment(self, line: int, rec: InstallmentRecord) -> str | None:
        if not self._exists(line, rec, "ledger", RecordType.LEDGER, self.db_ledgers):
            return None
        existing = self.db_installments.get(rec.external_id)
        if existing is not None and existing.ledger_key != rec.ledger:
            self._error_for(
                line,
                rec,
                f"installment {rec.external_id} belongs to ledger {existing.ledger_key}; "
                f"it cannot move to {rec.ledger}",
            )
            return None
        holder = self.batch_slots.setdefault((rec.ledger, rec.year, rec.number), rec.external_id)
        if holder != rec.external_id:
            self._error_for(
                line,
                rec,
                f"installment {rec.year}/{rec.number} of ledger {rec.ledger} is already given "
                f"to {holder} in this batch",
            )
            return None
        ledger = self.db_ledgers.get(rec.ledger)
        if ledger is not None:
            holder = self.db_slots.get((ledger.pk, rec.year, rec.number))
            if holder is not None and holder != rec.external_id:
                self._error_for(
                    line,
                    rec,
                    f"ledger {rec.ledger} already has installment {rec.year}/{rec.number} "
                    f"under the external id {holder}",
                )
                return None
        shift = self.final_shift.get(self.final_ledger_type.get(rec.ledger, ""))
        if shift is None:
            return None  # the ledger's receivable type is rejected elsewhere in the batch
        values = {
            "year": rec.year,
            "number": rec.number,
            "nominal_due_date": rec.nominal_due_date,
            # The portal computes the effective date (OP art. 12 §5) from the nominal one.
            "due_date": effective_due_date(rec.nominal_due_date, rule=ShiftRule(shift)),
            "assessed_amount": rec.assessed_amount,
        }
        if existing is None:
            self.new_installments.append((Installment(external_id=rec.external_id, **values), rec))
            return CREATED
        if _assign(existing, values):
            self.changed_installments.append(existing)
            return UPDATED
        return UNCHANGED

    def _check_entry(self, line: int, rec: EntryRecord) -> str | None:
        ledger_key = rec.ledger
        if rec.installment:
            if not self._exists(
                line, rec, "installment", RecordType.INSTALLMENT, self.installment_refs
            ):
                return None
            if rec.installment in self.batch_installment_ledger:
                owner = self.batch_installment_ledger[rec.installment]
            else:
                owner = self.installment_refs[rec.installment].ledger_key
            if ledger_key and ledger_key != owner:
                self._error_for(
                    line,
                    rec,
                    f"installment {rec.installment} belongs to ledger {owner}, not {ledger_key}",
                )
                return None
            ledger_key = owner
        elif not self._exists(line, rec, "ledger", RecordType.LEDGER, self.db_ledgers):
            return None

        values = {
            "ledger": ledger_key,
            "installment": rec.installment or None,
            "kind": rec.kind.value,
            "booked_on": rec.booked_on,
            "principal": rec.principal,
            "interest": rec.interest,
            "reminder_costs": rec.reminder_costs,
            "document": rec.document,
        }
        booked = self.db_entries.get(rec.external_id)
        if booked is None:
            # Built in apply(), once the ids of new ledgers and installments are known.
            self.new_entries.append((rec, ledger_key))
            return CREATED
        different = [name for name in ENTRY_FIELDS if booked[name] != values[name]]
        if not different:
            return UNCHANGED
        what = "amounts" if _AMOUNTS & set(different) else ", ".join(different)
        self._error_for(
            line,
            rec,
            f"entry {rec.external_id} already booked with different {what}; "
            "post a correction entry instead",
        )
        return None

    CHECKS = {
        RecordType.TAXPAYER: _check_taxpayer,
        RecordType.RECEIVABLE_TYPE: _check_receivable_type,
        RecordType.LEDGER: _check_ledger,
        RecordType.LEDGER_PARTY: _check_ledger_party,
        RecordType.TAXED_OBJECT: _check_taxed_object,
        RecordType.INSTALLMENT: _check_installment,
        RecordType.ENTRY: _check_entry,
    }

    def _error_for(self, line: int, rec: Record, message: str) -> None:
        self.error(line, message, rec.record_type.value, rec.key)

    # --- 4. write ---------------------------------------------------------------------------

    def apply(self) -> None:
        """Write the plan, parents first. Runs inside the caller's transaction."""
        now = timezone.now()

        _create(ReceivableType, self.new_types, "code")
        _update(ReceivableType, self.changed_types, RECEIVABLE_TYPE_FIELDS)
        type_ids = _ids("code", self.db_types.values(), self.new_types)

        _create(Taxpayer, self.new_taxpayers, "external_id")
        for taxpayer in self.changed_taxpayers:
            taxpayer.updated_at = now  # bulk_update does not run auto_now
        _update(
            Taxpayer,
            self.changed_taxpayers,
            [*TAXPAYER_FIELDS, "pesel_encrypted", "pesel_index", "source_system", "updated_at"],
        )
        taxpayer_ids = _ids("external_id", self.db_taxpayers.values(), self.new_taxpayers)

        for ledger, rec in [*self.new_ledgers, *self.changed_ledgers]:
            ledger.taxpayer_id = taxpayer_ids[rec.taxpayer]
            ledger.receivable_type_id = type_ids[rec.receivable_type]
        new_ledgers = [ledger for ledger, _rec in self.new_ledgers]
        _create(Ledger, new_ledgers, "external_id")
        _update(
            Ledger,
            [ledger for ledger, _rec in self.changed_ledgers],
            ["taxpayer", "receivable_type", "number", "opened_on"],
        )
        ledger_ids = _ids("external_id", self.db_ledgers.values(), new_ledgers)

        for party, rec in self.new_parties:
            party.ledger_id = ledger_ids[rec.ledger]
            party.taxpayer_id = taxpayer_ids[rec.taxpayer]
        _create(LedgerParty, [party for party, _rec in self.new_parties])
        _update(LedgerParty, self.changed_parties, ["role"])

        for obj, rec in self.new_objects:
            obj.ledger_id = ledger_ids[rec.ledger]
        _create(TaxedObject, [obj for obj, _rec in self.new_objects])
        _update(TaxedObject, self.changed_objects, ["base", "unit", "rate"])

        for installment, rec in self.new_installments:
            installment.ledger_id = ledger_ids[rec.ledger]
        new_installments = [installment for installment, _rec in self.new_installments]
        _create(Installment, new_installments, "external_id")
        _update(Installment, self.changed_installments, INSTALLMENT_FIELDS)
        installments = dict(self.installment_refs)
        installments.update(
            {i.external_id: _InstallmentRef(i.pk, i.ledger_id, "") for i in new_installments}
        )

        rows = []
        for rec, ledger_key in self.new_entries:
            if rec.installment:
                installment = installments[rec.installment]
                installment_id, ledger_id = installment.pk, installment.ledger_id
            else:
                installment_id, ledger_id = None, ledger_ids[ledger_key]
            rows.append(
                (
                    ledger_id,
                    installment_id,
                    rec.kind.value,
                    rec.booked_on,
                    rec.principal,
                    rec.interest,
                    rec.reminder_costs,
                    rec.document,
                    rec.external_id,
                    now,
                )
            )
        _insert_entries(rows)


def _insert_entries(rows: list[tuple[Any, ...]]) -> None:
    """Write new ledger entries (`ENTRY_ROW`: the columns booking writes): the bulk of every
    batch, so through `eservices.bulk.row_writer` (COPY on PostgreSQL, about 12 against 70 µs a
    row). Constraints and the unique external id are enforced the same way; LedgerEntry.save()
    is bypassed, and it only guards against edits.
    """
    if not rows:
        return
    fields = {f.attname for f in LedgerEntry._meta.concrete_fields if not f.primary_key}
    if fields != set(ENTRY_ROW):  # a new column must not be silently left out
        raise RuntimeError(f"ENTRY_ROW is out of date: the model has {sorted(fields)}")
    with row_writer(LedgerEntry, ENTRY_ROW) as write:
        for row in rows:
            write(row)


def _assign(instance: models.Model, values: dict[str, Any]) -> bool:
    """Set the values that differ; whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _create(model: type[models.Model], objs: list[Any], key_field: str | None = None) -> None:
    model.objects.bulk_create(objs, batch_size=BULK_BATCH_SIZE)
    if key_field is None:
        return
    # PostgreSQL and SQLite >= 3.35 return the new ids; elsewhere, ask once for the missing.
    missing = {getattr(obj, key_field): obj for obj in objs if obj.pk is None}
    for chunk in _chunks(missing):
        query = model.objects.filter(**{f"{key_field}__in": chunk})
        for key, pk in query.values_list(key_field, "pk"):
            missing[key].pk = pk


def _update(model: type[models.Model], objs: list[Any], fields: list[str]) -> None:
    if objs:
        model.objects.bulk_update(objs, fields, batch_size=BULK_BATCH_SIZE)


def _ids(key_field: str, *groups: Iterable[models.Model]) -> dict[str, int]:
    """Key → primary key over stored and just-created rows."""
    return {getattr(obj, key_field): obj.pk for group in groups for obj in group}


def _raw_key(data: dict[str, Any] | None) -> str:
    if not data:
        return ""
    value = data.get("external_id") or data.get("code") or ""
    return value if isinstance(value, str) else ""
