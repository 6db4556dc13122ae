"""Demo data of payments: a fee table and a few payments of Jan Kowalski in different states
(completed and awaiting booking, started and never finished, failed). Idempotent: fixed keys."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from eservices import access
from eservices.dues import dues
from eservices.models import Taxpayer

from . import checkout
from .models import FeeBand, Payment, PaymentEvent

FEES = [
    # gateway, from, to, percent, fixed, minimum
    ("payu", "0.00", "1000.00", "1.20", "0.00", "0.80"),
    ("payu", "1000.01", None, "0.90", "0.00", "0.00"),
    ("przelewy24", "0.00", None, "1.00", "0.30", "0.00"),
    ("demo", "0.00", "500.00", "1.00", "0.50", "0.00"),
    ("demo", "500.01", None, "0.50", "1.00", "0.00"),
]
NAMESPACE = uuid.UUID("6f1c6a3e-2b1d-4c1e-9a55-0d3c5e7a9b10")


def _fees() -> int:
    for gateway, low, high, percent, fixed, minimum in FEES:
        FeeBand.objects.update_or_create(
            gateway=gateway,
            amount_from=Decimal(low),
            defaults={
                "amount_to": Decimal(high) if high else None,
                "percent": Decimal(percent),
                "fixed": Decimal(fixed),
                "minimum": Decimal(minimum),
            },
        )
    return len(FEES)


def _payment(name: str, user, taxpayer, choices, status: str, days_ago: int) -> Payment:
    key = uuid.uuid5(NAMESPACE, name)
    existing = Payment.objects.filter(key=key).first()
    if existing:
        return existing
    result = dues(access.ledgers_for(user, taxpayer, access.Scope.PAY), timezone.localdate())
    selection = checkout.select(result, choices)
    if selection.is_empty:
        return None
    payment, _ = checkout.create_payment(
        key=key, taxpayer=taxpayer, user=user, gateway="demo", selection=selection
    )
    when = timezone.now() - timedelta(days=days_ago)
    fields = {
        "status": status,
        "gateway_order_id": f"DEMO-{key.hex[:20].upper()}",
        "created_at": when,
    }
    if status == Payment.Status.COMPLETED:
        fields.update(
            completed_at=when + timedelta(minutes=2), operator_reference=fields["gateway_order_id"]
        )
    Payment.objects.filter(pk=payment.pk).update(**fields)
    if status != Payment.Status.STARTED:
        PaymentEvent.objects.create(
            payment=payment,
            gateway="demo",
            kind=PaymentEvent.Kind.STATUS,
            from_status="started",
            to_status=status,
            source="demo data",
        )
    return payment


def load(report) -> None:
    bands = _fees()
    lines = [f"Tabela prowizji: {bands} progów (PayU, Przelewy24, bramka demonstracyjna)"]
    user = get_user_model().objects.filter(email="jan.kowalski@przykladowo.example").first()
    jan = Taxpayer.objects.filter(external_id="SIGID-10001").first()
    if user is not None and jan is not None:
        result = dues(access.ledgers_for(user, jan, access.Scope.PAY), timezone.localdate())
        tokens = [f"inst-{i.installment.pk}" for ld in result.ledgers for i in ld.open]
        made = [
            _payment("completed", user, jan, tokens[-1:], Payment.Status.COMPLETED, 2),
            _payment("started", user, jan, tokens[:1], Payment.Status.STARTED, 1),
            _payment("failed", user, jan, tokens[-1:], Payment.Status.FAILED, 5),
        ]
        references = ", ".join(p.reference for p in made if p)
        lines.append(
            f"Płatności Jana Kowalskiego (zrealizowana, rozpoczęta, nieudana): {references}"
        )
    report.section("Płatności", lines)
