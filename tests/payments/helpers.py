"""Helpers of the payments tests: start a payment, post demo-operator notifications, build
MT940 statements with P2's generator (bench/mt940_generate.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from decimal import Decimal
from pathlib import Path

from django.test import Client
from django.urls import reverse

from payments import checkout
from payments.gateways import demo
from payments.models import Payment

REPO = Path(__file__).resolve().parents[2]


def mt940_generator():
    spec = importlib.util.spec_from_file_location(
        "mt940_generate", REPO / "bench/mt940_generate.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mt940_generate", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def start_payment(resident, gateway: str = "demo", choices=None) -> Payment:
    from django.utils import timezone

    from eservices import access
    from eservices.dues import dues

    result = dues(access.ledgers_for(resident.user, resident.taxpayer), timezone.localdate())
    selection = checkout.select(result, choices or [f"arrears-{resident.ledger.pk}"])
    import uuid

    payment, _ = checkout.create_payment(
        key=uuid.uuid4(),
        taxpayer=resident.taxpayer,
        user=resident.user,
        gateway=gateway,
        selection=selection,
    )
    return checkout.register_order(
        payment,
        continue_url="http://testserver/x/",
        notify_url="http://testserver/n/",
        customer_ip="127.0.0.1",
        language="pl",
    )


def demo_body(payment: Payment, status: str, amount: Decimal | None = None, **extra) -> bytes:
    data = {
        "orderId": payment.gateway_order_id,
        "extOrderId": str(payment.key),
        "status": status,
        "amount": str(payment.total if amount is None else amount),
        **extra,
    }
    return json.dumps(data, separators=(",", ":")).encode()


def post_notification(body: bytes, *, signature: str | None = None, client: Client | None = None):
    client = client or Client()
    return client.post(
        reverse("payments_callbacks:notify", args=["demo"]),
        data=body,
        content_type="application/json",
        HTTP_X_DEMO_SIGNATURE=demo.sign(body) if signature is None else signature,
    )
