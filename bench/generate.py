"""Generate a municipality-sized receivables base for the benchmarks.

    DATABASE_URL=postgres://… .venv/bin/python bench/generate.py --taxpayers 100000

Default shape per taxpayer: 2.5 ledgers on average, 4 instalments a ledger a year over the
given years, a przypis for every instalment and a payment for most of them, so 100,000 taxpayers
give about 1,000,000 instalments and 2,000,000 entries. Deterministic (seeded), written with
bulk inserts in chunks; it refuses to run on a database that already holds taxpayers unless
--append is given.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from eservices.duedates import effective_due_date  # noqa: E402
from eservices.models import (  # noqa: E402
    Installment,
    Ledger,
    LedgerEntry,
    ReceivableType,
    Taxpayer,
    TaxpayerGroup,
)

QUARTERS = [(3, 15), (5, 15), (9, 15), (11, 15)]
TYPE_CODES = ["bench-pn", "bench-rolny", "bench-odpady"]
CHUNK = 5000


def _types() -> list[ReceivableType]:
    names = {
        "bench-pn": ("Podatek od nieruchomości (bench)", "property_tax", "tax"),
        "bench-rolny": ("Podatek rolny (bench)", "agricultural_tax", "tax"),
        "bench-odpady": ("Opłata za odpady (bench)", "waste_fee", "tax"),
    }
    return [
        ReceivableType.objects.get_or_create(
            code=code,
            defaults={"name": n, "category": c, "interest_regime": r, "domain_program": "BENCH"},
        )[0]
        for code, (n, c, r) in names.items()
    ]


def generate(taxpayers: int, years: list[int], seed: int, paid_ratio: float) -> dict[str, int]:
    rng = random.Random(seed)
    types = _types()
    due_dates = {
        (y, n): (date(y, m, d), effective_due_date(date(y, m, d)))
        for y in years
        for n, (m, d) in enumerate(QUARTERS, start=1)
    }
    counts = {"taxpayers": 0, "ledgers": 0, "installments": 0, "entries": 0}
    group = TaxpayerGroup.objects.get_or_create(name="Bench: every tenth taxpayer")[0]
    start = Taxpayer.objects.count()
    for chunk_start in range(0, taxpayers, CHUNK // 10):
        size = min(CHUNK // 10, taxpayers - chunk_start)
        with transaction.atomic():
            tps = Taxpayer.objects.bulk_create(
                Taxpayer(
                    first_name=rng.choice(["Jan", "Anna", "Piotr", "Maria", "Tomasz", "Ewa"]),
                    last_name=f"Bench{start + chunk_start + i:07d}",
                    external_id=f"BENCH-TP-{start + chunk_start + i}",
                    email=f"tp{start + chunk_start + i}@bench.example" if i % 3 else "",
                    phone=f"+4860{start + chunk_start + i:07d}" if i % 4 == 0 else "",
                )
                for i in range(size)
            )
            group.members.add(*tps[::10])
            ledgers = Ledger.objects.bulk_create(
                Ledger(
                    taxpayer=tp,
                    receivable_type=rtype,
                    number=f"B/{tp.external_id}/{rtype.code}",
                    external_id=f"BENCH-L-{tp.external_id}-{rtype.code}",
                )
                for tp in tps
                for rtype in (types if rng.random() < 0.5 else types[:2])
            )
            installments = Installment.objects.bulk_create(
                (
                    Installment(
                        ledger=led,
                        year=year,
                        number=number,
                        nominal_due_date=due_dates[(year, number)][0],
                        due_date=due_dates[(year, number)][1],
                        assessed_amount=Decimal(rng.randrange(2000, 90000)) / 100,
                        external_id=f"{led.external_id}-{year}-{number}",
                    )
                    for led in ledgers
                    for year in years
                    for number in range(1, 5)
                ),
                batch_size=CHUNK,
            )
            entries = []
            for inst in installments:
                entries.append(
                    LedgerEntry(
                        ledger=inst.ledger,
                        installment=inst,
                        kind=LedgerEntry.Kind.CHARGE,
                        booked_on=date(inst.year, 1, 20),
                        principal=inst.assessed_amount,
                        external_id=f"{inst.external_id}-C",
                    )
                )
                if rng.random() < paid_ratio:
                    partial = rng.random() < 0.1
                    paid = (
                        (inst.assessed_amount / 2).quantize(Decimal("0.01"))
                        if partial
                        else (inst.assessed_amount)
                    )
                    entries.append(
                        LedgerEntry(
                            ledger=inst.ledger,
                            installment=inst,
                            kind=LedgerEntry.Kind.PAYMENT,
                            booked_on=inst.due_date,
                            principal=-paid,
                            external_id=f"{inst.external_id}-P",
                        )
                    )
            LedgerEntry.objects.bulk_create(entries, batch_size=CHUNK)
        counts["taxpayers"] += len(tps)
        counts["ledgers"] += len(ledgers)
        counts["installments"] += len(installments)
        counts["entries"] += len(entries)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taxpayers", type=int, default=100_000)
    parser.add_argument("--years", default="2026", help="comma-separated")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--paid-ratio", type=float, default=0.95)
    parser.add_argument("--append", action="store_true")
    args = parser.parse_args()
    if Taxpayer.objects.filter(external_id__startswith="BENCH-").exists() and not args.append:
        sys.exit("This database already holds bench data; use --append or a fresh database.")
    started = time.perf_counter()
    counts = generate(
        args.taxpayers, [int(y) for y in args.years.split(",")], args.seed, args.paid_ratio
    )
    elapsed = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # A fresh bulk load has no planner statistics: measure what production would see.
        with connection.cursor() as cursor:
            for table in ("taxpayer", "ledger", "installment", "ledgerentry", "ledgerparty"):
                cursor.execute(f"ANALYZE eservices_{table}")
    print(", ".join(f"{k}: {v:,}" for k, v in counts.items()), f"in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
