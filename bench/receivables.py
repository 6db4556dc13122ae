"""Receivables benchmark: import throughput, defined queries, the resident's dashboard.

    createdb gmina_bench
    export DATABASE_URL=postgres://…/gmina_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/generate.py --taxpayers 100000
    .venv/bin/python bench/receivables.py [--entries 50000] [--repeat 3]

Every figure is reported with a baseline measured in the same run on the same data (the two
run in turns), the ratio between them and the load average, so results from different or
busy machines compare:

- import: entries/s through `eservices.integration.importer` (validation, upserts, one
  transaction) against a bare `bulk_create` of the same entries;
- defined queries: seconds for each query of `eservices.queries` against a hand-written single
  SQL statement that returns the same rows (checked: same count, same sum of totals);
- dashboard: server time of the resident's dues page for a taxpayer with 200 instalments,
  against the health-check view (one request through the same middleware stack).

Targets (issue 4): import ≥ 5,000 entries/s; each query < 5 s and ≤ 1.5 × its baseline;
dashboard < 50 ms. Results are printed and written to bench/results/receivables.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from eservices.models import (  # noqa: E402
    AccountLink,
    Installment,
    Ledger,
    LedgerEntry,
    ReceivableType,
    Taxpayer,
)


def timed_pair(
    func: Callable[[], object], baseline: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median wall times of ``func`` and its ``baseline``, run in turns.

    On a shared machine the load drifts within seconds; alternating the two (rather than all
    runs of one, then all of the other) lets both see the same conditions, so their ratio
    holds even when the absolute figures move.
    """
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for measured, times in ((func, samples[0]), (baseline, samples[1])):
            started = time.perf_counter()
            measured()
            times.append(time.perf_counter() - started)
    return statistics.median(samples[0]), statistics.median(samples[1])


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, reported with the figures."""
    return [round(value, 2) for value in os.getloadavg()]


# --- Dashboard ---------------------------------------------------------------------------------


def _dashboard_taxpayer() -> tuple[object, Taxpayer]:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = User.objects.filter(email="bench-dashboard@bench.example").first()
    if user is None:
        user = User.objects.create_user("bench-dashboard@bench.example", "x" * 16)
    tp, created = Taxpayer.objects.get_or_create(
        external_id="BENCH-DASHBOARD", defaults={"first_name": "Benek", "last_name": "Pulpit"}
    )
    if created:
        rtype = ReceivableType.objects.get(code="bench-pn")
        with transaction.atomic():
            for ledger_no in range(5):
                ledger = Ledger.objects.create(
                    taxpayer=tp,
                    receivable_type=rtype,
                    number=f"DASH/{ledger_no}",
                    external_id=f"BENCH-DASH-L{ledger_no}",
                )
                for n in range(40):  # 5 × 40 = 200 instalments
                    year, month = 2018 + n // 5, 1 + (n % 5) * 2
                    due = date(year, month, 15)
                    inst = Installment.objects.create(
                        ledger=ledger,
                        year=year,
                        number=n,
                        nominal_due_date=due,
                        due_date=due,
                        assessed_amount=Decimal("150.00"),
                        external_id=f"BENCH-DASH-{ledger_no}-{n}",
                    )
                    LedgerEntry.objects.create(
                        ledger=ledger,
                        installment=inst,
                        kind=LedgerEntry.Kind.CHARGE,
                        booked_on=due,
                        principal=Decimal("150.00"),
                        external_id=f"BENCH-DASH-{ledger_no}-{n}-C",
                    )
                    if n % 3:
                        LedgerEntry.objects.create(
                            ledger=ledger,
                            installment=inst,
                            kind=LedgerEntry.Kind.PAYMENT,
                            booked_on=due,
                            principal=Decimal("-150.00") if n % 2 else Decimal("-70.00"),
                            external_id=f"BENCH-DASH-{ledger_no}-{n}-P",
                        )
        AccountLink.objects.create(user=user, taxpayer=tp, method=AccountLink.Method.COUNTER)
    return user, tp


def bench_dashboard(repeat: int) -> dict:
    user, tp = _dashboard_taxpayer()
    client = Client(HTTP_HOST="localhost")  # a host the dev settings allow
    client.force_login(user)
    url = reverse("eservices:taxpayer_dues", kwargs={"taxpayer_pk": tp.pk})
    assert client.get(url).status_code == 200
    assert client.get("/healthz").status_code == 200
    page, baseline = timed_pair(lambda: client.get(url), lambda: client.get("/healthz"), repeat)
    return {
        "instalments": Installment.objects.filter(ledger__taxpayer=tp).count(),
        "seconds": page,
        "baseline_seconds": baseline,
        "ratio": page / baseline,
        "target_seconds": 0.05,
        "load_average": load_average(),
    }


# --- Defined queries ---------------------------------------------------------------------------

# Hand-written baselines: for each defined query, the single SQL statement a developer would
# write by hand for PostgreSQL to get the same rows (the same taxpayers with the same totals, and
# the taxpayer's contact columns), straight from the tables with no query builder. The bench
# checks that each baseline returns the same number of rows and the same sum of totals as its
# defined query, so the ratio compares equal work.
_OPEN = """
    open_items AS (
        SELECT e.installment_id, SUM(e.principal) AS outstanding
        FROM eservices_ledgerentry e
        WHERE e.installment_id IS NOT NULL
        GROUP BY e.installment_id
        HAVING SUM(e.principal) > 0
    ),
    open_lines AS (
        SELECT l.taxpayer_id, i.id AS installment_id, i.due_date, o.outstanding,
               rt.interest_regime AS regime
        FROM open_items o
        JOIN eservices_installment i ON i.id = o.installment_id
        JOIN eservices_ledger l ON l.id = i.ledger_id
        JOIN eservices_receivabletype rt ON rt.id = l.receivable_type_id
        {where}
    )"""
_COSTS = """
    costs AS (
        SELECT l.taxpayer_id, SUM(e.reminder_costs) AS reminder_costs
        FROM eservices_ledgerentry e JOIN eservices_ledger l ON l.id = e.ledger_id
        WHERE e.reminder_costs <> 0
        GROUP BY l.taxpayer_id
    )"""
_INTEREST = """
    rates AS (
        SELECT regime, valid_from,
               LEAD(valid_from) OVER (PARTITION BY regime ORDER BY valid_from) AS valid_to,
               annual_rate
        FROM eservices_interestrate
    ),
    interest_per_item AS (
        SELECT ol.installment_id, ol.taxpayer_id, ol.regime,
               SUM(ol.outstanding * r.annual_rate / 100
                   * (LEAST(COALESCE(r.valid_to - 1, %(as_of)s), %(as_of)s)
                      - GREATEST(r.valid_from, ol.due_date + 1) + 1) / 365) AS exact
        FROM open_lines ol
        JOIN rates r ON r.regime = ol.regime
                    AND r.valid_from <= %(as_of)s
                    AND (r.valid_to IS NULL OR r.valid_to > ol.due_date + 1)
        WHERE ol.due_date < %(as_of)s
        GROUP BY ol.installment_id, ol.taxpayer_id, ol.regime
    ),
    interest AS (
        SELECT taxpayer_id,
               SUM(CASE WHEN regime = 'tax' THEN
                         CASE WHEN ROUND(exact, 0) <= COALESCE((
                             SELECT amount FROM eservices_nointerestthreshold
                             WHERE valid_from <= %(as_of)s ORDER BY valid_from DESC LIMIT 1), -1)
                         THEN 0 ELSE ROUND(exact, 0) END
                    ELSE ROUND(exact, 2) END) AS interest
        FROM interest_per_item
        GROUP BY taxpayer_id
    )"""


def _baseline(code: str) -> str:
    where = ""
    if code == "total_arrears":
        where = "WHERE i.due_date < %(as_of)s"
    elif code == "nearest_dues":
        where = "WHERE i.due_date BETWEEN %(as_of)s AND %(window_end)s"
    ctes = [_OPEN.format(where=where)]
    with_costs = code != "nearest_dues"
    with_interest = code == "dues_and_arrears_with_interest"
    if with_costs:
        ctes.append(_COSTS)
    if with_interest:
        ctes.append(_INTEREST)
    total = "COALESCE(p.principal, 0)"
    joins = ""
    if with_costs:
        total += " + COALESCE(c.reminder_costs, 0)"
        joins += " FULL JOIN costs c ON c.taxpayer_id = p.taxpayer_id"
    if with_interest:
        total += " + COALESCE(x.interest, 0)"
        joins += " LEFT JOIN interest x ON x.taxpayer_id = COALESCE(p.taxpayer_id, c.taxpayer_id)"
    taxpayer_id = "COALESCE(p.taxpayer_id, c.taxpayer_id)" if with_costs else "p.taxpayer_id"
    return f"""
    WITH {",".join(ctes)},
    principal AS (
        SELECT taxpayer_id,
               SUM(outstanding) AS principal,
               SUM(CASE WHEN due_date < %(as_of)s THEN outstanding ELSE 0 END) AS arrears,
               SUM(CASE WHEN due_date >= %(as_of)s THEN outstanding ELSE 0 END) AS dues,
               COUNT(*) AS items,
               MIN(due_date) AS oldest_due_date
        FROM open_lines
        GROUP BY taxpayer_id
    ),
    totals AS (
        SELECT {taxpayer_id} AS taxpayer_id, p.arrears, p.dues, p.items, p.oldest_due_date,
               {total} AS total
        FROM principal p{joins}
    )
    SELECT t.id, t.external_id, t.first_name, t.last_name, t.organisation_name, t.nip,
           t.email, t.phone, s.arrears, s.dues, s.items, s.oldest_due_date, s.total
    FROM totals s JOIN eservices_taxpayer t ON t.id = s.taxpayer_id
    WHERE s.total > 0
    ORDER BY s.total DESC, t.id
    """  # noqa: S608 - fixed SQL, parameters bound by the driver


def _raw(sql: str, params: dict) -> tuple[int, Decimal]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return len(rows), sum((row[-1] for row in rows), Decimal("0.00"))


def bench_queries(repeat: int, as_of: date) -> dict:
    from eservices.queries import QUERIES

    if connection.vendor != "postgresql":
        sys.exit("The query benchmark compares with PostgreSQL baselines: use PostgreSQL.")
    results = {}
    for code, query in QUERIES.items():
        params = {"as_of": as_of}
        if query.window_days is not None:
            params["days"] = 30
        result = query.run(params)
        totals = result.totals()
        base_sql = _baseline(code)
        base_params = {"as_of": as_of, "window_end": date.fromordinal(as_of.toordinal() + 30)}
        rows, base_total = _raw(base_sql, base_params)
        if (rows, base_total) != (totals.count, totals.total):
            sys.exit(
                f"{code}: the baseline disagrees with the defined query: {rows} rows, "
                f"{base_total} PLN against {totals.count} rows, {totals.total} PLN"
            )
        seconds, baseline = timed_pair(
            lambda q=query, p=params: list(q.run(p)),
            lambda s=base_sql, p=base_params: _raw(s, p),
            repeat,
        )
        results[code] = {
            "rows": totals.count,
            "total_pln": str(totals.total),
            "seconds": seconds,
            "baseline_seconds": baseline,
            "ratio": seconds / baseline,
            "target_seconds": 5.0,
            "target_ratio": 1.5,
            "load_average": load_average(),
        }
    return results


# --- Import --------------------------------------------------------------------------------------


def bench_import(entries: int) -> dict:
    from eservices.integration.importer import import_batch
    from eservices.models import DomainSystem

    DomainSystem.objects.get_or_create(code="BENCH", defaults={"name": "Benchmark"})

    installments = list(
        Installment.objects.filter(external_id__startswith="BENCH-L-")
        .select_related("ledger")
        .order_by("pk")[:entries]
    )
    run = f"{int(time.time())}"
    lines = [
        json.dumps(
            {
                "type": "entry",
                "version": 1,
                "external_id": f"BENCH-IMP-{run}-{inst.pk}",
                "installment": inst.external_id,
                "kind": "wplata",
                "booked_on": inst.due_date.isoformat(),
                "principal": "-0.01",
                "interest": "0.00",
                "reminder_costs": "0.00",
                "document": "bench",
            }
        )
        for inst in installments
    ]
    payload = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    batch = import_batch("BENCH", payload, "jsonl")
    imported = time.perf_counter() - started
    assert batch.status == "applied", batch.errors[:5]

    # Baseline: the same number of rows written with a bare bulk_create, then removed.
    rows = [
        LedgerEntry(
            ledger_id=inst.ledger_id,
            installment=inst,
            kind=LedgerEntry.Kind.PAYMENT,
            booked_on=inst.due_date,
            principal=Decimal("-0.01"),
            external_id=f"BENCH-RAW-{run}-{inst.pk}",
        )
        for inst in installments
    ]
    started = time.perf_counter()
    with transaction.atomic():
        LedgerEntry.objects.bulk_create(rows, batch_size=1000)
        raw = time.perf_counter() - started
        transaction.set_rollback(True)
    return {
        "entries": len(lines),
        "entries_per_second": len(lines) / imported,
        "baseline_entries_per_second": len(lines) / raw,
        "ratio": (len(lines) / imported) / (len(lines) / raw),
        "target_entries_per_second": 5000,
        "load_average": load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated: import,queries,dashboard")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=date(2026, 11, 1),
        help="as-of day of the queries (the generated instalments fall due in 2026)",
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if not Taxpayer.objects.filter(external_id__startswith="BENCH-TP-").exists():
        sys.exit("No bench data: run bench/generate.py first.")
    report = {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "taxpayers": Taxpayer.objects.count(),
        "installments": Installment.objects.count(),
        "entries": LedgerEntry.objects.count(),
        "measured_at": timezone.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average": load_average(),
    }
    if "import" not in skip:
        report["import"] = bench_import(args.entries)
    if "queries" not in skip:
        report["queries"] = bench_queries(args.repeat, args.as_of)
    if "dashboard" not in skip:
        report["dashboard"] = bench_dashboard(max(args.repeat, 10))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "receivables.json").write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
