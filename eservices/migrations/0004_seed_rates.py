"""Seed the rate tables administrators maintain: interest rates, the no-interest threshold and
the reminder cost. Frozen copies of DOMAIN.md §5.2, §6 and §9 as of this migration; later changes
are made in the admin (or by a new migration), never by editing this one.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

# regime, valid_from, standard, reduced (art. 56a), increased (art. 56b), source
RATES = [
    (
        "tax",
        "2014-10-09",
        "8.00",
        "6.00",
        None,
        "8 % floor; e-pik 2022/06; czernikowo. Reduced 75 % before 2016 (art. 56a).",
    ),
    ("tax", "2016-01-01", "8.00", "4.00", "12.00", "8 % floor; e-pik 2022/06; czernikowo"),
    ("tax", "2022-02-09", "8.50", "4.25", "12.75", "podatkowyreferat"),
    ("tax", "2022-03-09", "10.00", "5.00", "15.00", "e-pik; gazetaprawna 8413989"),
    ("tax", "2022-04-07", "12.00", "6.00", "18.00", "e-pik; gazetaprawna 8413989"),
    ("tax", "2022-05-06", "13.50", "6.75", "20.25", "e-pik (M.P. 2022 poz. 468)"),
    ("tax", "2022-06-09", "15.00", "7.50", "22.50", "e-pik (M.P. 2022 poz. 607)"),
    ("tax", "2022-07-08", "16.00", "8.00", "24.00", "firma.rp.pl; czgekologiczni.pl"),
    ("tax", "2022-09-08", "16.50", "8.25", "24.75", "podatki.biz (M.P. 2022 poz. 905)"),
    (
        "tax",
        "2023-09-07",
        "15.00",
        "7.50",
        "22.50",
        "rach-mistrz (M.P. 2023 poz. 1017); start date D",
    ),
    ("tax", "2023-10-05", "14.50", "7.25", "21.75", "podatkowyreferat; gazetaprawna 2025-12-04"),
    ("tax", "2025-05-08", "13.50", "6.75", "20.25", "gazetaprawna 2025-12-04"),
    ("tax", "2025-07-03", "13.00", "6.50", "19.50", "gazetaprawna 2025-12-04"),
    ("tax", "2025-09-04", "12.50", "6.25", "18.75", "gazetaprawna 2025-12-04"),
    ("tax", "2025-10-09", "12.00", "6.00", "18.00", "gazetaprawna 2025-12-04"),
    ("tax", "2025-11-06", "11.50", "5.75", "17.25", "gazetaprawna 2025-12-04"),
    (
        "tax",
        "2025-12-04",
        "11.00",
        "5.50",
        "16.50",
        "gazetaprawna 2025-12-04; warszawawpigulce; wprost",
    ),
    (
        "tax",
        "2026-03-05",
        "10.50",
        "5.25",
        "15.75",
        "D: lombard 4.25 % × 2 + 2 (nowiny.press; bsbrodnica.pl; wpolityce); confirm in M.P.",
    ),
    ("civil_statutory", "2025-10-09", "10.00", None, None, "C: infor.pl"),
    (
        "civil_statutory",
        "2025-11-06",
        "9.75",
        None,
        None,
        "D: reference rate assumed cut 0.25 pp with the lombard rate; confirm with NBP",
    ),
    ("civil_statutory", "2025-12-04", "9.50", None, None, "D: reference 4.00 % + 5.5 pp"),
    ("civil_statutory", "2026-03-05", "9.25", None, None, "D: reference 3.75 % + 5.5 pp"),
]

# valid_from, amount, source (OP art. 54 §1 pkt 5)
THRESHOLDS = [
    ("0001-01-01", "6.60", "legis.lubin.pl"),
    ("2014-02-01", "8.70", "3 × 2.90 zł; bielice.com.pl"),
]

# valid_from, amount, source (koszty upomnienia, DOMAIN.md §9)
REMINDER_COSTS = [
    ("2001-01-01", "8.80", "earlier rate (DOMAIN.md §9)"),
    ("2016-01-01", "11.60", "Dz.U. 2015 poz. 1526"),
    ("2021-10-13", "16.00", "Dz.U. 2021 poz. 67"),
]


def _d(value):
    return date.fromisoformat(value)


def _m(value):
    return None if value is None else Decimal(value)


def seed(apps, schema_editor):
    InterestRate = apps.get_model("eservices", "InterestRate")
    NoInterestThreshold = apps.get_model("eservices", "NoInterestThreshold")
    ReminderCostRate = apps.get_model("eservices", "ReminderCostRate")
    for regime, valid_from, rate, reduced, increased, source in RATES:
        InterestRate.objects.update_or_create(
            regime=regime,
            valid_from=_d(valid_from),
            defaults={
                "annual_rate": Decimal(rate),
                "reduced_rate": _m(reduced),
                "increased_rate": _m(increased),
                "legal_source": source,
            },
        )
    for valid_from, amount, source in THRESHOLDS:
        NoInterestThreshold.objects.update_or_create(
            valid_from=_d(valid_from), defaults={"amount": Decimal(amount), "legal_source": source}
        )
    for valid_from, amount, source in REMINDER_COSTS:
        ReminderCostRate.objects.update_or_create(
            valid_from=_d(valid_from), defaults={"amount": Decimal(amount), "legal_source": source}
        )


class Migration(migrations.Migration):
    dependencies = [("eservices", "0003_receivables")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
