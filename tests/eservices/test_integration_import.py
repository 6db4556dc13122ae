"""Import batches from the domain systems: format v1, idempotent upserts, all-or-nothing."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from eservices.integration import formats, importer, schema
from eservices.integration.importer import import_batch
from eservices.ledger import annotate_installments, ledger_totals
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

from . import factories as f

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SAMPLE_JSONL = (DATA / "sample_batch.jsonl").read_bytes()
SAMPLE_CSV = (DATA / "sample_batch.csv").read_bytes()
MODELS = [Taxpayer, ReceivableType, Ledger, LedgerParty, TaxedObject, Installment, LedgerEntry]
D = Decimal


@pytest.fixture
def sigid() -> DomainSystem:
    return DomainSystem.objects.create(name="SIGID", code="sigid")


@pytest.fixture
def loaded(sigid) -> ImportBatch:
    batch = import_batch(sigid, SAMPLE_JSONL, "jsonl", filename="sample_batch.jsonl")
    assert batch.status == ImportBatch.Status.APPLIED, batch.errors
    return batch


def jsonl(*records: dict) -> bytes:
    return "\n".join(json.dumps({"version": 1, **r}, ensure_ascii=False) for r in records).encode()


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def snapshot() -> dict[str, list]:
    """Every imported row as stored, to prove that a batch changed nothing."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


# --- The sample batch -----------------------------------------------------------------------


def test_the_sample_batch_round_trips_with_derived_balances(loaded, sigid):
    assert loaded.counts == {
        "receivable_type": {"created": 4, "updated": 0, "unchanged": 0},
        "taxpayer": {"created": 4, "updated": 0, "unchanged": 0},
        "ledger": {"created": 4, "updated": 0, "unchanged": 0},
        "ledger_party": {"created": 1, "updated": 0, "unchanged": 0},
        "taxed_object": {"created": 4, "updated": 0, "unchanged": 0},
        "installment": {"created": 11, "updated": 0, "unchanged": 0},
        "entry": {"created": 21, "updated": 0, "unchanged": 0},
    }
    assert loaded.applied_at is not None
    assert loaded.errors == [] and loaded.error_count == 0

    # Taxpayers: PESEL encrypted and findable, the company's NIP stored as ten digits.
    jan = Taxpayer.objects.with_pesel("44051401359").get()
    assert (jan.external_id, jan.name, jan.source_system) == ("T-1001", "Jan Kowalski", "sigid")
    assert "44051401359" not in jan.pesel_encrypted
    company = Taxpayer.objects.get(external_id="T-1003")
    assert company.kind == Taxpayer.Kind.ORGANISATION
    assert (company.nip, company.regon) == ("8567346215", "192598184")

    # Ledgers with co-obligated persons and taxed objects.
    pn = Ledger.objects.get(external_id="L-PN-1001")
    assert pn.taxpayer == jan and pn.receivable_type.code == "pn-osoby"
    assert [p.name for p in pn.co_obligated.all()] == ["Anna Kowalska"]
    assert pn.parties.get().role == "współwłaścicielka"
    assert sorted((o.kind, o.base, o.rate) for o in pn.taxed_objects.all()) == [
        ("budynek mieszkalny", D("120.5"), D("1.19")),
        ("grunt pozostały", D("850"), D("0.62")),
    ]
    waste = ReceivableType.objects.get(code="odpady")
    assert waste.bank_account == "72102010260000040200012345"

    # Effective due dates: Sundays, Saturdays and holidays move (OP art. 12 §5) unless the
    # type says never (alcohol permit fee, NSA II GSK 14/10).
    due = {i.external_id: (i.nominal_due_date, i.due_date) for i in Installment.objects.all()}
    assert due["I-PN-1001-2026-1"] == (date(2026, 3, 15), date(2026, 3, 16))  # Sunday
    assert due["I-PN-1001-2026-2"] == (date(2026, 5, 15), date(2026, 5, 15))  # Friday
    assert due["I-PN-1001-2026-4"] == (date(2026, 11, 15), date(2026, 11, 16))  # Sunday
    assert due["I-PN-1003-2026-1"] == (date(2026, 1, 31), date(2026, 2, 2))  # Saturday
    assert due["I-OD-1004-2026-1"] == (date(2026, 1, 6), date(2026, 1, 7))  # Epiphany
    assert due["I-OD-1004-2026-2"] == (date(2026, 5, 3), date(2026, 5, 4))  # 3 May, Sunday
    assert due["I-OD-1004-2026-3"] == (date(2026, 11, 11), date(2026, 11, 12))  # Independence
    assert due["I-ALK-1003-2026-1"] == (date(2026, 1, 31), date(2026, 1, 31))  # never moves

    rows = {
        i.external_id: (i.charged, i.principal_paid, i.outstanding, i.interest_paid)
        for i in annotate_installments(Installment.objects.all())
    }
    # Partial payment: 100.00 of 167.60.
    assert rows["I-PN-1001-2026-1"] == (D("167.60"), D("100.00"), D("67.60"), D("0.00"))
    # Amending decision: odpis of 167.60 and a new przypis of 150.00 (DOMAIN.md §12.4).
    assert rows["I-PN-1001-2026-2"] == (D("150.00"), D("0.00"), D("150.00"), D("0.00"))
    assert rows["I-PN-1001-2026-3"] == (D("167.60"), D("0.00"), D("167.60"), D("0.00"))
    # Paid late, with 12.00 of interest.
    assert rows["I-PN-1003-2026-2"] == (D("1184.33"), D("1184.33"), D("0.00"), D("12.00"))
    # Reminder costs were paid first; the rest went to principal.
    assert rows["I-OD-1004-2026-1"] == (D("111.00"), D("54.00"), D("57.00"), D("0.00"))
    assert rows["I-ALK-1003-2026-1"] == (D("525.00"), D("525.00"), D("0.00"), D("0.00"))

    ledgers = {led.external_id: led.pk for led in Ledger.objects.all()}
    totals = ledger_totals(list(ledgers.values()))
    # Overpayment left as credit on the ledger, not on an instalment.
    assert totals[ledgers["L-PN-1003"]] == {"reminder_costs": D("0.00"), "credit": D("200.00")}
    # The second reminder is still owed.
    assert totals[ledgers["L-OD-1004"]] == {"reminder_costs": D("16.00"), "credit": D("0.00")}
    assert totals[ledgers["L-PN-1001"]] == {"reminder_costs": D("0.00"), "credit": D("0.00")}


def test_importing_the_same_file_twice_changes_nothing(loaded, sigid):
    before = snapshot()
    again = import_batch(sigid, SAMPLE_JSONL, "jsonl")
    assert again.status == ImportBatch.Status.APPLIED
    assert again.total("created") == again.total("updated") == 0
    assert again.total("unchanged") == 49
    assert again.sha256 == loaded.sha256
    assert snapshot() == before


def test_the_csv_sample_holds_the_same_data_as_the_jsonl_sample(loaded, sigid):
    before = snapshot()
    batch = import_batch(sigid, SAMPLE_CSV, "csv", filename="sample_batch.csv")
    assert batch.status == ImportBatch.Status.APPLIED, batch.errors
    assert batch.total("unchanged") == 49 and batch.total("created") == 0
    assert snapshot() == before


def test_the_csv_sample_imports_into_an_empty_portal(sigid):
    batch = import_batch(sigid, SAMPLE_CSV, "csv")
    assert batch.status == ImportBatch.Status.APPLIED, batch.errors
    assert batch.total("created") == 49
    assert Taxpayer.objects.with_pesel("87061103112").get().name == "Piotr Nowak"


def test_csv_one_record_type_per_file_with_semicolons(sigid):
    # How a spreadsheet exports: only the columns of one type, semicolon-separated.
    taxpayers = (
        b"type;version;external_id;kind;first_name;last_name;pesel\n"
        b"taxpayer;1;T-1;person;Ewa;Lis;75031412348\n"
        b"taxpayer;1;T-2;person;Adam;Lis;\n"
    )
    batch = import_batch(sigid, taxpayers, "csv")
    assert batch.status == ImportBatch.Status.APPLIED, batch.errors
    assert Taxpayer.objects.get(external_id="T-2").pesel == ""


def test_a_later_batch_updates_taxpayers_ledgers_and_installments(loaded, sigid):
    jan = Taxpayer.objects.get(external_id="T-1001")
    changed = jsonl(
        {
            "type": "taxpayer",
            "external_id": "T-1001",
            "kind": "person",
            "first_name": "Jan",
            "last_name": "Kowalski-Nowak",
            "pesel": "44051401359",
            "city": "Dębina",
        },
        {
            "type": "ledger",
            "external_id": "L-PN-1001",
            "taxpayer": "T-1001",
            "receivable_type": "pn-osoby",
            "number": "PN/1001/A",
        },
        {
            "type": "installment",
            "external_id": "I-PN-1001-2026-3",
            "ledger": "L-PN-1001",
            "year": 2026,
            "number": 3,
            "nominal_due_date": "2026-08-15",  # Saturday and Assumption Day
            "assessed_amount": "167.60",
        },
    )
    batch = import_batch(sigid, changed, "jsonl")
    assert batch.status == ImportBatch.Status.APPLIED, batch.errors
    assert batch.counts == {
        "taxpayer": {"created": 0, "updated": 1, "unchanged": 0},
        "ledger": {"created": 0, "updated": 1, "unchanged": 0},
        "installment": {"created": 0, "updated": 1, "unchanged": 0},
    }
    jan.refresh_from_db()
    # A record is a snapshot: fields it leaves out are emptied.
    assert (jan.last_name, jan.street, jan.email) == ("Kowalski-Nowak", "", "")
    assert jan.pesel == "44051401359"
    assert Ledger.objects.get(external_id="L-PN-1001").number == "PN/1001/A"
    third = Installment.objects.get(external_id="I-PN-1001-2026-3")
    assert (third.nominal_due_date, third.due_date) == (date(2026, 8, 15), date(2026, 8, 17))


def test_references_to_records_earlier_in_the_file_resolve(sigid):
    f.receivable_type("psy", name="Opłata od posiadania psów")
    batch = import_batch(
        sigid,
        jsonl(
            {"type": "taxpayer", "external_id": "T-9", "kind": "person", "last_name": "Lis"},
            {
                "type": "ledger",
                "external_id": "L-9",
                "taxpayer": "T-9",
                "receivable_type": "psy",
                "number": "PS/9",
            },
            {
                "type": "installment",
                "external_id": "I-9",
                "ledger": "L-9",
                "year": 2026,
                "number": 1,
                "nominal_due_date": "2026-03-31",
                "assessed_amount": "100.00",
            },
            {
                "type": "entry",
                "external_id": "E-9",
                "installment": "I-9",
                "kind": "przypis",
                "booked_on": "2026-01-10",
                "principal": "100.00",
            },
        ),
        "jsonl",
    )
    assert batch.status == ImportBatch.Status.APPLIED, batch.errors
    entry = LedgerEntry.objects.get(external_id="E-9")
    assert entry.ledger.external_id == "L-9" and entry.installment.external_id == "I-9"


def test_the_source_may_be_given_by_its_code(sigid):
    batch = import_batch("sigid", jsonl(TAXPAYER), "jsonl")
    assert batch.source_system == sigid
    with pytest.raises(ValueError, match="no domain system with the code 'puma'"):
        import_batch("puma", jsonl(TAXPAYER), "jsonl")
    assert ImportBatch.objects.count() == 1


def test_a_dry_run_counts_and_writes_nothing(sigid):
    batch = import_batch(sigid, SAMPLE_JSONL, "jsonl", dry_run=True)
    assert batch.pk is None
    assert batch.status == ImportBatch.Status.RECEIVED
    assert batch.total("created") == 49
    assert set(row_counts().values()) == {0}
    assert not ImportBatch.objects.exists()


# --- Rejected batches -----------------------------------------------------------------------

TAXPAYER = {"type": "taxpayer", "external_id": "T-50", "kind": "person", "last_name": "Lis"}
ENTRY = {
    "type": "entry",
    "external_id": "E-50",
    "installment": "I-PN-1001-2026-3",
    "kind": "wplata",
    "booked_on": "2026-09-01",
    "principal": "-20.00",
}


def _lines(*lines: str) -> bytes:
    return "\n".join(lines).encode()


MALFORMED = {
    "bad JSON line": (
        _lines(json.dumps({**TAXPAYER, "version": 1}), '{"type": "taxpayer", "version": 1,'),
        "jsonl",
        [(2, "not valid JSON")],
    ),
    "float amount": (
        jsonl(TAXPAYER, {**ENTRY, "principal": -20.5}),
        "jsonl",
        [(2, "principal: -20.5 is a JSON number with a fraction or exponent; not allowed")],
    ),
    "integer amount": (
        jsonl(TAXPAYER, {**ENTRY, "principal": -20}),
        "jsonl",
        [
            (
                2,
                'principal: amounts are strings with two decimal places, e.g. "12.50"; '
                "got the number -20",
            )
        ],
    ),
    "exponent amount": (
        jsonl(TAXPAYER, {**ENTRY, "principal": "-2E1"}),
        "jsonl",
        [(2, "principal: amounts are strings with two decimal places")],
    ),
    "three decimals": (
        jsonl(TAXPAYER, {**ENTRY, "principal": "-20.005"}),
        "jsonl",
        [(2, "principal: amounts are strings with two decimal places")],
    ),
    "bad PESEL": (
        jsonl({**TAXPAYER, "pesel": "44051401358"}),
        "jsonl",
        [(1, "pesel: not a valid PESEL: the check digit does not match")],
    ),
    "PESEL with an impossible birth date": (
        jsonl({**TAXPAYER, "pesel": "02381307589"}),
        "jsonl",
        [(1, "pesel: not a valid PESEL: it encodes an impossible date")],
    ),
    "bad NIP": (
        jsonl(
            {
                "type": "taxpayer",
                "external_id": "T-51",
                "kind": "organisation",
                "organisation_name": "Firma",
                "nip": "PL 8567346216",
            }
        ),
        "jsonl",
        [(1, "nip: not a valid NIP: the check digit does not match")],
    ),
    "bad REGON": (
        jsonl({**TAXPAYER, "regon": "192598183"}),
        "jsonl",
        [(1, "regon: not a valid REGON")],
    ),
    "unknown reference": (
        jsonl(TAXPAYER, {**ENTRY, "installment": "I-NOWHERE"}),
        "jsonl",
        [(2, "installment: unknown installment 'I-NOWHERE'")],
    ),
    "reference to a later line": (
        jsonl(
            {
                "type": "ledger",
                "external_id": "L-50",
                "taxpayer": "T-50",
                "receivable_type": "pn-osoby",
                "number": "X",
            },
            TAXPAYER,
        ),
        "jsonl",
        [(1, "taxpayer: taxpayer T-50 is defined later, on line 2")],
    ),
    "wrong sign": (
        jsonl(TAXPAYER, {**ENTRY, "principal": "20.00"}),
        "jsonl",
        [(2, "a wplata (payment) reduces what is owed: principal <= 0")],
    ),
    "charge without an installment": (
        jsonl(
            {
                **ENTRY,
                "installment": "",
                "ledger": "L-PN-1001",
                "kind": "przypis",
                "principal": "5.00",
            }
        ),
        "jsonl",
        [(1, "a przypis needs an installment")],
    ),
    "booked entry with different amounts": (
        jsonl(
            TAXPAYER,
            {
                "type": "entry",
                "external_id": "E-PN-1001-W1",
                "installment": "I-PN-1001-2026-1",
                "kind": "wplata",
                "booked_on": "2026-03-16",
                "principal": "-110.00",
                "document": "Wyciąg bankowy 52/2026",
            },
        ),
        "jsonl",
        [
            (
                2,
                "entry E-PN-1001-W1 already booked with different amounts; "
                "post a correction entry instead",
            )
        ],
    ),
    "duplicate external id in one batch": (
        jsonl(TAXPAYER, {**TAXPAYER, "last_name": "Lisowski"}),
        "jsonl",
        [(2, "taxpayer T-50 already appears on line 1 of this batch")],
    ),
    "unknown record type": (
        jsonl(TAXPAYER, {"type": "invoice", "external_id": "F-1"}),
        "jsonl",
        [(2, "unknown record type 'invoice'")],
    ),
    "wrong version": (
        _lines(json.dumps({**TAXPAYER, "version": 2})),
        "jsonl",
        [(1, "unsupported format version 2; this portal reads version 1")],
    ),
    "missing version": (
        _lines(json.dumps(TAXPAYER)),
        "jsonl",
        [(1, 'the record has no "version"')],
    ),
    "unknown field": (
        jsonl({**TAXPAYER, "second_name": "Maria"}),
        "jsonl",
        [(1, "second_name: unknown field")],
    ),
    "installment moved to another ledger": (
        jsonl(
            {
                "type": "installment",
                "external_id": "I-PN-1001-2026-1",
                "ledger": "L-PN-1003",
                "year": 2026,
                "number": 9,
                "nominal_due_date": "2026-03-15",
                "assessed_amount": "167.60",
            }
        ),
        "jsonl",
        [(1, "installment I-PN-1001-2026-1 belongs to ledger L-PN-1001")],
    ),
    "installment number taken": (
        jsonl(
            {
                "type": "installment",
                "external_id": "I-OTHER",
                "ledger": "L-PN-1001",
                "year": 2026,
                "number": 1,
                "nominal_due_date": "2026-03-15",
                "assessed_amount": "1.00",
            }
        ),
        "jsonl",
        [(1, "ledger L-PN-1001 already has installment 2026/1 under the external id")],
    ),
    "installment number given twice in one batch": (
        jsonl(
            *[
                {
                    "type": "installment",
                    "external_id": external_id,
                    "ledger": "L-PN-1003",
                    "year": 2027,
                    "number": 1,
                    "nominal_due_date": "2027-01-31",
                    "assessed_amount": "1.00",
                }
                for external_id in ("I-A", "I-B")
            ]
        ),
        "jsonl",
        [(2, "installment 2027/1 of ledger L-PN-1003 is already given to I-A in this batch")],
    ),
    "CSV with a missing column": (
        b"type,version,external_id,installment,kind,principal\n"
        b"entry,1,E-60,I-PN-1001-2026-3,wplata,-5.00\n",
        "csv",
        [(1, "the header has no 'booked_on' column, which entry records need (first on line 2)")],
    ),
    "CSV with an unknown column": (
        b"type,version,external_id,kind,last_name,nickname\ntaxpayer,1,T-61,person,Lis,Lisek\n",
        "csv",
        [(1, "unknown column 'nickname' in the header")],
    ),
    "CSV row with too many cells": (
        b"type,version,external_id,kind,last_name\ntaxpayer,1,T-62,person,Lis,extra\n",
        "csv",
        [(2, "the row has 6 cells, the header 5")],
    ),
    "not UTF-8": (
        json.dumps({**TAXPAYER, "version": 1, "last_name": "Łoś"}, ensure_ascii=False).encode(
            "cp1250"
        ),
        "jsonl",
        [(1, "the file is not UTF-8 text")],
    ),
    "empty file": (b"\n\n", "jsonl", [(None, "the batch contains no records")]),
}


@pytest.mark.parametrize(
    ("content", "format", "expected"), list(MALFORMED.values()), ids=list(MALFORMED)
)
def test_malformed_batches_are_rejected_whole_with_line_errors(
    loaded, sigid, content, format, expected
):
    before = snapshot()
    batch = import_batch(sigid, content, format, filename=f"bad.{format}")
    assert batch.status == ImportBatch.Status.REJECTED
    found = [(error["line"], error["message"]) for error in batch.errors]
    for line, message in expected:
        assert any(
            got_line == line and message in got_message for got_line, got_message in found
        ), found
    assert batch.error_count == len(batch.errors) == len(expected), found
    # Nothing of the batch was written, not even its valid lines; the batch row was.
    assert snapshot() == before
    stored = ImportBatch.objects.get(pk=batch.pk)
    assert stored.status == ImportBatch.Status.REJECTED and stored.errors == batch.errors
    assert stored.counts == {} and stored.applied_at is None


def test_every_error_is_collected_with_its_line_and_record(loaded, sigid):
    content = _lines(
        json.dumps({**TAXPAYER, "version": 1}),
        "",  # blank lines are skipped but keep the numbering
        json.dumps({**TAXPAYER, "version": 1, "external_id": "T-70", "pesel": "123"}),
        json.dumps({**ENTRY, "version": 1, "principal": "1.00"}),
        "not json",
        json.dumps({**ENTRY, "version": 1, "external_id": "E-71", "booked_on": "2026-02-30"}),
    )
    batch = import_batch(sigid, content, "jsonl")
    assert [(e["line"], e["record_type"], e["external_id"]) for e in batch.errors] == [
        (3, "taxpayer", "T-70"),
        (4, "entry", "E-50"),
        (5, "", ""),
        (6, "entry", "E-71"),
    ]
    assert not Taxpayer.objects.filter(external_id="T-50").exists()


def test_records_that_refer_to_a_rejected_record_are_not_reported_again(loaded, sigid):
    content = jsonl(
        {**TAXPAYER, "pesel": "1"},
        {
            "type": "ledger",
            "external_id": "L-80",
            "taxpayer": "T-50",
            "receivable_type": "pn-osoby",
            "number": "1",
        },
    )
    batch = import_batch(sigid, content, "jsonl")
    assert [e["line"] for e in batch.errors] == [1]


def test_a_taxpayer_kept_by_another_domain_system_is_not_overwritten(loaded):
    puma = DomainSystem.objects.create(name="PUMA", code="puma")
    batch = import_batch(
        puma,
        jsonl({"type": "taxpayer", "external_id": "T-1001", "kind": "person", "last_name": "X"}),
        "jsonl",
    )
    assert batch.errors[0]["message"] == (
        "taxpayer T-1001 is kept by the domain system 'sigid', not 'puma'"
    )
    assert Taxpayer.objects.get(external_id="T-1001").last_name == "Kowalski"


def test_the_error_list_is_capped_but_counted(sigid, monkeypatch):
    monkeypatch.setattr("eservices.integration.importer.MAX_STORED_ERRORS", 3)
    content = _lines(*["oops"] * 5)
    batch = import_batch(sigid, content, "jsonl")
    assert batch.error_count == 5 and len(batch.errors) == 3


@pytest.mark.django_db(transaction=True)
def test_a_rejected_batch_row_survives_the_rollback():
    # With real transactions (no test wrapper): the data rolls back, the batch row stays.
    system = DomainSystem.objects.create(name="SIGID", code="sigid")
    content = jsonl(TAXPAYER, {**TAXPAYER, "external_id": "T-51", "pesel": "1"})
    batch = import_batch(system, content, "jsonl")
    assert batch.status == ImportBatch.Status.REJECTED
    assert not Taxpayer.objects.exists()
    assert ImportBatch.objects.get(pk=batch.pk).error_count == 1


# --- Sign rules -----------------------------------------------------------------------------

Kind = LedgerEntry.Kind
SIGNS = [D("-5.00"), D("0.00"), D("5.00")]


@pytest.mark.parametrize("kind", [k.value for k in Kind])
def test_the_sign_rules_match_the_database_constraints(kind):
    # The importer refuses wrong signs before the database sees them; both must agree.
    inst = f.installment(f.ledger(f.taxpayer()), "100.00", date(2026, 3, 16), charge=False)
    for principal in SIGNS:
        for interest in SIGNS:
            for costs in SIGNS:
                if principal == interest == costs == 0:
                    continue  # the importer also refuses entries that move nothing
                accepted_by_schema = (
                    schema.sign_rule_violation(kind, principal, interest, costs) is None
                )
                try:
                    with transaction.atomic():
                        f.entry(
                            inst, kind, principal=principal, interest=interest, reminder_costs=costs
                        )
                    accepted_by_database = True
                except IntegrityError:
                    accepted_by_database = False
                assert accepted_by_schema == accepted_by_database, (principal, interest, costs)


# --- Set-based ------------------------------------------------------------------------------


def _entries(prefix: str, count: int) -> bytes:
    return jsonl(
        *[
            {
                "type": "entry",
                "external_id": f"{prefix}-{n}",
                "installment": "I-PN-1001-2026-4",
                "kind": "wplata",
                "booked_on": "2026-11-16",
                "principal": "-0.01",
            }
            for n in range(count)
        ]
    )


def test_the_number_of_queries_does_not_grow_with_the_batch(loaded, sigid):
    # Set-based: existing ids are fetched in bulk and rows written with bulk_create, so 800
    # entries cost the same reads as 5 (never one SELECT per line). Inserts are not compared:
    # SQLite's bound-parameter limit splits a bulk insert into several statements.
    def selects(context: CaptureQueriesContext) -> list[str]:
        return [q["sql"] for q in context.captured_queries if q["sql"].startswith("SELECT")]

    with CaptureQueriesContext(connection) as small:
        assert import_batch(sigid, _entries("E-SMALL", 5), "jsonl").status == "applied"
    with CaptureQueriesContext(connection) as large:
        batch = import_batch(sigid, _entries("E-LARGE", 800), "jsonl")
    assert batch.total("created") == 800
    assert len(selects(large)) == len(selects(small)) <= 10


# --- The management command ------------------------------------------------------------------


def test_the_command_applies_a_file_and_prints_the_summary(sigid, capsys):
    call_command("import_domain_data", str(DATA / "sample_batch.jsonl"), "--source", "sigid")
    out = capsys.readouterr().out
    assert "applied" in out
    assert "entry" in out and "created      21" in out


def test_the_command_exits_1_with_line_errors_when_rejected(sigid, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl({**TAXPAYER, "pesel": "44051401358"}))
    with pytest.raises(CommandError) as raised:
        call_command("import_domain_data", str(bad), "--source", "sigid")
    assert raised.value.returncode == 1
    assert "line 1 (taxpayer T-50): pesel: not a valid PESEL" in capsys.readouterr().err
    assert not Taxpayer.objects.exists()


def test_the_command_dry_run_writes_nothing(sigid, capsys):
    call_command(
        "import_domain_data", str(DATA / "sample_batch.csv"), "--source", "sigid", "--dry-run"
    )
    assert "Dry run" in capsys.readouterr().out
    assert not Taxpayer.objects.exists() and not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nope"], "No domain system"),
        (["--source", "sigid", "--format", "csv"], None),
    ],
)
def test_the_command_exits_2_on_bad_invocation(sigid, tmp_path, args, message):
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(CommandError) as raised:
        call_command("import_domain_data", str(missing), *args)
    assert raised.value.returncode == 2
    if message:
        assert message in str(raised.value)


def test_the_command_needs_a_format_it_can_tell(sigid, tmp_path):
    unknown = tmp_path / "export.txt"
    unknown.write_bytes(jsonl(TAXPAYER))
    with pytest.raises(CommandError, match="--format") as raised:
        call_command("import_domain_data", str(unknown), "--source", "sigid")
    assert raised.value.returncode == 2
    call_command("import_domain_data", str(unknown), "--source", "sigid", "--format", "jsonl")
    assert Taxpayer.objects.filter(external_id="T-50").exists()


# --- The documentation ----------------------------------------------------------------------


def test_every_example_in_the_format_documentation_is_a_valid_record():
    doc = (Path(__file__).parents[2] / "docs" / "integration-format.md").read_text()
    section = doc[doc.index("## 2. Record types") : doc.index("## 3. Errors")]
    blocks = re.findall(r"```(json|csv)\n(.*?)```", section, flags=re.DOTALL)
    seen_types = set()
    for language, text in blocks:
        parsed = formats.read(text.encode(), "jsonl" if language == "json" else "csv")
        assert parsed.errors == []
        for raw in parsed.lines:
            assert raw.error is None and not raw.incomplete, (raw.line, text)
            seen_types.add(schema.parse_record(raw.data).record_type)
    assert seen_types == set(schema.RecordType)


def test_a_database_refusal_during_the_write_rejects_the_whole_batch(loaded, sigid, monkeypatch):
    # As if another import booked the same entry between validation and writing: the unique
    # external id stops it, and the batch is rolled back and rejected, not half-written.
    fetch_existing = importer._Plan._fetch_existing

    def blind_to_booked_entries(plan):
        fetch_existing(plan)
        plan.db_entries = {}

    monkeypatch.setattr(importer._Plan, "_fetch_existing", blind_to_booked_entries)
    before = snapshot()
    content = jsonl(TAXPAYER, *[json.loads(line) for line in SAMPLE_JSONL.splitlines()[-2:]])
    batch = import_batch(sigid, content, "jsonl")
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors[0]["line"] is None
    assert "the database refused the batch, nothing was imported" in batch.errors[0]["message"]
    assert snapshot() == before
