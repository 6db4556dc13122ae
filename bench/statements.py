"""Bank-statement benchmark: import + reconcile an MT940 file of credit lines against the
receivables benchmark data, with the bare mt-940 parse of the same file as the floor.

    createdb gmina_bench && export DATABASE_URL=postgres://…/gmina_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/statements.py --taxpayers 100000 --lines 100000
    .venv/bin/python bench/statements.py --taxpayers 2000 --lines 5000     # a quick run

Missing bench taxpayers are generated first (bench/generate.py). The statement comes from
bench/mt940_generate.py: 80 % of the lines pay into a taxpayer's virtual account, 15 % name
the ledger number in the title, 5 % match nothing (the clerks' queue). Every matched line is
booked through `eservices.booking.book_payments` (allocation, ledger lock, entries, outbox event).

The statement is imported ``--rounds`` times (3), each import between two bare parses and
taken back afterwards (``--keep``: one round, kept), so every round starts from the same data.

Reported, for the round with the median ratio (every round is listed too): import+reconcile
seconds and the CPU seconds of this process and the statement readers it forks
(PAYMENTS_STATEMENT_READERS), lines/s, the bare ``mt940.parse`` seconds of the same bytes (the
mean of the parses before and after the import) and the ratio; then peak resident memory of
the process and our own parse alone (in one process, and with the readers). Targets (issue
5): 100,000 lines < 60 s, peak memory < 1 GB, ratio ≤ 4. Written to
bench/results/statements.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

import mt940  # noqa: E402
import mt940_generate  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from eservices.models import Taxpayer  # noqa: E402
from payments import mt940 as portal_mt940  # noqa: E402
from payments import reconciliation  # noqa: E402


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the statement readers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bare_parse(data: bytes, lines: int) -> float:
    """Seconds of the bare ``mt940.parse`` of ``data`` (the floor)."""
    started = time.perf_counter()
    parsed = mt940.parse(data)
    seconds = time.perf_counter() - started
    assert len(parsed) == lines, len(parsed)
    return seconds


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_taxpayers(count: int) -> int:
    have = Taxpayer.objects.filter(external_id__startswith="BENCH-").count()
    if have < count:
        print(f"generating bench data: {count} taxpayers (have {have}) …", flush=True)
        subprocess.run(  # noqa: S603 - our own script with our own interpreter
            [sys.executable, str(ROOT / "bench/generate.py"), "--taxpayers", str(count)],
            check=True,
        )
        have = Taxpayer.objects.filter(external_id__startswith="BENCH-").count()
    return have


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taxpayers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="default: a new one per run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="imports of the statement (each one undone)"
    )
    parser.add_argument("--keep", action="store_true", help="one round, and keep what it booked")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL (DATABASE_URL).")
    rounds = 1 if args.keep else max(args.rounds, 1)

    taxpayers = ensure_taxpayers(args.taxpayers)
    seed = args.seed if args.seed is not None else int(time.time())
    started = time.perf_counter()
    data = mt940_generate.generate_statement(
        mt940_generate.database_lines(args.lines, seed=seed), number=str(seed % 100_000)
    )
    generated = time.perf_counter() - started
    print(
        f"statement: {args.lines:,} credit lines, {len(data) / 2**20:.1f} MiB "
        f"({generated:.1f} s to generate)",
        flush=True,
    )

    # Our own parse (Polish :86: subfields, encodings, line numbers for errors) is part of the
    # import; shown apart, in one process and as the import reads it, so the booking's share
    # can be read off.
    readers = settings.PAYMENTS_STATEMENT_READERS
    started = time.perf_counter()
    portal_mt940.parse_statement(data)
    portal_parse_seconds = time.perf_counter() - started
    started = time.perf_counter()
    portal_mt940.parse_statement(data, readers=readers)
    portal_parse_readers_seconds = time.perf_counter() - started
    rss_before = peak_rss_mib()

    measured = [import_round(data, args.lines, seed, keep=args.keep) for _ in range(rounds)]
    result = measured[-1]["result"]
    median = sorted(range(rounds), key=lambda i: measured[i]["ratio"])[rounds // 2]
    figures = {
        "taxpayers": taxpayers,
        "lines": result.lines,
        "matched": result.matched,
        "unmatched": result.unmatched,
        "skipped_lines": result.skipped_lines,
        "rounds": rounds,
        "import_reconcile_s": measured[median]["seconds"],
        "lines_per_s": round(result.lines / measured[median]["seconds"], 1),
        "bare_mt940_parse_s": measured[median]["bare"],
        "ratio_to_bare_parse": measured[median]["ratio"],
        "cpu_s": measured[median]["cpu"],
        "each_round": [{k: v for k, v in round_.items() if k != "result"} for round_ in measured],
        "portal_parse_s": round(portal_parse_seconds, 2),
        "statement_readers": readers,
        "portal_parse_with_readers_s": round(portal_parse_readers_seconds, 2),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "peak_rss_before_import_mib": round(rss_before, 1),
        "targets": {"seconds_for_100k": 60, "peak_mib": 1024, "ratio": 4},
    }
    for key, value in figures.items():
        print(f"{key:<28} {value}")
    out = ROOT / "bench/results"
    out.mkdir(exist_ok=True)
    (out / "statements.json").write_text(json.dumps(figures, indent=2) + "\n")


def import_round(data: bytes, lines: int, seed: int, *, keep: bool) -> dict:
    """One import of the statement, between two bare parses of it (the shared machine's speed
    drifts within minutes: their mean brackets the import); undone afterwards unless kept."""
    bare_before = bare_parse(data, lines)
    import_started = timezone.now()
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = reconciliation.import_statement(data, filename=f"bench-{seed}.sta")
    seconds, cpu_seconds = time.perf_counter() - started, _cpu_seconds() - cpu_started
    bare_after = bare_parse(data, lines)
    bare = (bare_before + bare_after) / 2
    measured = {
        "seconds": round(seconds, 2),
        "bare": round(bare, 2),
        "bare_before_and_after": [round(bare_before, 2), round(bare_after, 2)],
        "ratio": round(seconds / bare, 2),
        "cpu": round(cpu_seconds, 2),
        "result": result,
    }
    print(
        f"round: import {seconds:.2f} s, bare parse {bare:.2f} s, ratio {seconds / bare:.2f}",
        flush=True,
    )
    if not keep:
        undo_import(result.statement.pk, import_started)
    return measured


def undo_import(statement_id: int, since) -> None:
    """Take back what the benchmark's import booked, so that every run starts from the same
    data (the ledger is append-only for the portal; this is the benchmark's own database)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM eservices_ledgerentry WHERE created_at >= %s AND external_id LIKE 'S-%%'",
            [since],
        )
        cursor.execute(
            "DELETE FROM eservices_outboundevent WHERE created_at >= %s AND kind = %s",
            [since, "payment.booked"],
        )
        cursor.execute("DELETE FROM payments_statementline WHERE statement_id = %s", [statement_id])
        cursor.execute("DELETE FROM payments_bankstatement WHERE id = %s", [statement_id])
        for table in ("eservices_ledgerentry", "eservices_outboundevent", "payments_statementline"):
            cursor.execute(f"VACUUM ANALYZE {table}")


if __name__ == "__main__":
    main()
