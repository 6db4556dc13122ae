"""Generate an MT940 statement with many credit lines, for the import and reconciliation benchmark.

    # lines paying into the virtual accounts of the receivables benchmark data (bench/generate.py)
    DATABASE_URL=postgres://… .venv/bin/python bench/mt940_generate.py --lines 100000 -o wyciag.sta
    # no database: synthetic payers, then time parse_statement against the bare mt940.parse
    .venv/bin/python bench/mt940_generate.py --synthetic --lines 100000 --measure

The file looks like an ING / PKO BP export: Windows-1250, CRLF, ``:86:`` with ``~`` subfields
wrapped at 65 characters, the virtual account in the ``:61:`` supplementary details.
From the database, 80 % of the lines pay into a taxpayer's virtual account, 15 % name the ledger
number in the title only and 5 % match nothing (the clerk's queue). ``generate_statement`` is
a plain function (no Django) that tests use as well.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

DEFAULT_ACCOUNT = "60102010260000123456789012"  # the demo municipality's main account
BENCH_PREFIXES = {"bench-pn": "10000001", "bench-rolny": "10000002", "bench-odpady": "10000003"}


@dataclass(frozen=True)
class CreditLine:
    amount: Decimal
    title: str
    virtual_account: str = ""
    counterparty_name: str = ""
    counterparty_account: str = ""
    bank_reference: str = ""
    booked_on: date = field(default_factory=date.today)


def _nrb(sort_code: str, account: str) -> str:
    bban = sort_code + account
    return f"{98 - int(bban + '252100') % 97:02d}{bban}"


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _details(line: CreditLine) -> str:
    title = _chunks(line.title, 27)[:6]
    name = _chunks(line.counterparty_name, 27)[:2]
    parts = ["240~00PRZELEW ELIXIR"]
    parts += [f"~{20 + i}{chunk}" for i, chunk in enumerate(title)]
    if line.counterparty_account:
        acc = line.counterparty_account
        parts += [f"~30{acc[2:10]}", f"~31{acc[10:]}"]
    parts += [f"~{32 + i}{chunk}" for i, chunk in enumerate(name)]
    if line.counterparty_account:
        parts.append(f"~38PL{line.counterparty_account}")
    return "\r\n".join(_wrap("".join(parts)))


def _wrap(text: str, width: int = 65) -> list[str]:
    """Lines of at most ``width``, none ending in a space (readers strip trailing spaces)."""
    lines, start = [], 0
    while start < len(text):
        cut = min(width, len(text) - start)
        while cut > 1 and start + cut < len(text) and text[start + cut - 1] == " ":
            cut -= 1
        lines.append(text[start : start + cut])
        start += cut
    return lines


def generate_statement(
    lines: Iterable[CreditLine],
    *,
    account: str = DEFAULT_ACCOUNT,
    number: str = "1",
    opening: Decimal = Decimal("0.00"),
    on: date | None = None,
    encoding: str = "cp1250",
) -> bytes:
    """A valid MT940 statement (balances add up) crediting ``lines`` to ``account``."""
    on = on or date.today()
    out = [
        ":20:MT940GMINA",
        f":25:/PL{account}",
        f":28C:{number}",
        f":60F:{'C' if opening >= 0 else 'D'}{on:%y%m%d}PLN{_amount(abs(opening))}",
    ]
    total = opening
    for i, line in enumerate(lines, start=1):
        reference = line.bank_reference or f"B{i:011d}"
        out.append(f":61:{line.booked_on:%y%m%d%m%d}C{_amount(line.amount)}NTRFNONREF//{reference}")
        if line.virtual_account:
            out.append(line.virtual_account)
        out.append(f":86:{_details(line)}")
        total += line.amount
    out.append(f":62F:{'C' if total >= 0 else 'D'}{on:%y%m%d}PLN{_amount(abs(total))}")
    out.append("-")
    return ("\r\n".join(out) + "\r\n").encode(encoding, errors="replace")


FIRST = ["Jan", "Anna", "Piotr", "Maria", "Tomasz", "Ewa", "Łukasz", "Żaneta"]


def synthetic_lines(count: int, *, seed: int = 2026, account: str = DEFAULT_ACCOUNT):
    """Lines paying into made-up virtual accounts at ``account``'s bank (no database)."""
    rng = random.Random(seed)
    sort_code = account[2:10]
    for i in range(count):
        payer = rng.randrange(1, 10_000_000)
        yield CreditLine(
            amount=Decimal(rng.randrange(2000, 90000)) / 100,
            title=f"Podatek od nieruchomości rata {rng.randint(1, 4)}/2026 B/BENCH-TP-{payer}",
            virtual_account=_nrb(sort_code, f"10000001{payer:08d}"),
            counterparty_name=f"{rng.choice(FIRST)} Bench{payer:07d} ul. Polna {i % 90 + 1}",
            counterparty_account=_nrb("10901014", f"{payer:016d}"),
        )


def database_lines(count: int, *, seed: int = 2026):
    """Lines paying the bench taxpayers' ledgers (bench/generate.py must have run)."""
    from eservices.models import Installment, ReceivableType
    from payments.virtual_accounts import compact_nrb, municipality_settings, virtual_account

    municipality = municipality_settings()
    if not municipality.bank_account:
        municipality.bank_account = DEFAULT_ACCOUNT
        municipality.save(update_fields=["bank_account"])
    for code, prefix in BENCH_PREFIXES.items():
        ReceivableType.objects.filter(code=code, virtual_account_prefix="").update(
            virtual_account_prefix=prefix
        )
    rng = random.Random(seed)
    installments = list(
        Installment.objects.filter(ledger__receivable_type__code__in=BENCH_PREFIXES)
        .select_related("ledger__taxpayer", "ledger__receivable_type")
        .order_by("?")[:count]
    )
    if not installments:
        sys.exit("No bench data: run bench/generate.py first.")
    for i in range(count):
        inst = installments[i % len(installments)]
        ledger = inst.ledger
        kind = rng.random()
        va = ""
        if kind < 0.8:
            va = compact_nrb(virtual_account(ledger.taxpayer, ledger.receivable_type, municipality))
        title = f"{ledger.number} rata {inst.number}/{inst.year}" if kind < 0.95 else "wpłata"
        yield CreditLine(
            amount=inst.assessed_amount,
            title=title,
            virtual_account=va,
            counterparty_name=f"{ledger.taxpayer.name} ul. Polna {i % 90 + 1}",
            counterparty_account=_nrb("10901014", f"{ledger.taxpayer.pk:016d}"),
        )


def measure(data: bytes) -> None:
    """Wall time of the bare library parse (the floor) and of ours; peak RSS of the process."""
    import resource

    import mt940

    from payments.mt940 import parse_statement

    took = {}
    for name, run in (("bare", lambda: mt940.parse(data)), ("ours", lambda: parse_statement(data))):
        started = time.perf_counter()
        result = run()
        took[name] = time.perf_counter() - started
        count = len(result.lines) if hasattr(result, "lines") else len(result)
        print(f"{name}: {count:,} lines in {took[name]:.2f} s ({count / took[name]:,.0f} lines/s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"parse_statement / mt940.parse = {took['ours'] / took['bare']:.2f}; peak {peak:.0f} MiB")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--synthetic", action="store_true", help="no database: made-up payers")
    parser.add_argument("-o", "--output", help="write the statement here")
    parser.add_argument("--measure", action="store_true", help="time the parsers on the file")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.synthetic:
        lines = list(synthetic_lines(args.lines, seed=args.seed))
        account = DEFAULT_ACCOUNT
    else:
        from django.db import transaction

        from eservices.models import ReceivableType
        from payments.virtual_accounts import collection_account

        with transaction.atomic():
            lines = list(database_lines(args.lines, seed=args.seed))
        account = collection_account(ReceivableType.objects.get(code="bench-pn"))
    data = generate_statement(lines, account=account)
    took = time.perf_counter() - started
    print(f"{len(lines):,} lines, {len(data) / 2**20:.1f} MiB in {took:.1f} s")
    if args.output:
        Path(args.output).write_bytes(data)
    if args.measure:
        measure(data)


if __name__ == "__main__":
    main()
