"""The "Płatności" admin: who sees what, CSV/XLSX export, statement import with line errors,
the clerk's assignment (logged), fee table for administrators, report and gateway status."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from eservices.roles import ADMINISTRATORS, CLERKS, EDITORS
from payments import reconciliation
from payments.models import BankStatement, FeeBand, Payment, StatementLine
from tests.eservices import factories as f
from tests.eservices.conftest import login_verified

from .helpers import demo_body, mt940_generator, post_notification, start_payment


def staff(role: str):
    user = get_user_model().objects.create_user(
        f"{role.lower()}@gmina.example", "x" * 12, is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def clerk(db):
    return login_verified(Client(), staff(CLERKS))


def test_roles_open_their_part_of_the_menu(resident):
    start_payment(resident)
    editor = login_verified(Client(), staff(EDITORS))
    clerk = login_verified(Client(), staff(CLERKS))
    admin = login_verified(Client(), staff(ADMINISTRATORS))
    assert editor.get(reverse("payments_admin:index")).status_code in (302, 403)
    assert clerk.get(reverse("payments_admin:index")).status_code == 200
    assert clerk.get(reverse("payments_report")).status_code == 200
    assert clerk.get(reverse("payments_gateways")).status_code == 200
    assert clerk.get(reverse("fee_bands:add")).status_code in (302, 403)
    assert admin.get(reverse("fee_bands:add")).status_code == 200
    response = admin.post(
        reverse("fee_bands:add"),
        {
            "gateway": "payu",
            "amount_from": "0.00",
            "amount_to": "",
            "percent": "1.20",
            "fixed": "0.00",
            "minimum": "0.50",
        },
    )
    assert response.status_code == 302
    assert FeeBand.objects.filter(gateway="payu", percent=Decimal("1.20")).exists()


def test_payments_filter_and_csv_export(resident, clerk):
    done = start_payment(resident)
    post_notification(demo_body(done, "completed"))
    started = start_payment(resident)
    response = clerk.get(reverse("payments_admin:index"), {"status": "completed", "export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    references = [row[0] for row in rows[1:]]
    assert references == [done.reference] and started.reference not in references
    xlsx = clerk.get(reverse("payments_admin:index"), {"export": "xlsx"})
    assert xlsx.status_code == 200


def test_import_form_rejects_a_malformed_file_with_its_line(resident, clerk):
    gen = mt940_generator()
    data = gen.generate_statement([gen.CreditLine(amount=Decimal("3.00"), title="x")])
    broken = data.replace(b"C3,00N", b"CX,00N")
    response = clerk.post(
        reverse("payments_import"), {"file": SimpleUploadedFile("zly.sta", broken)}
    )
    assert response.status_code == 200
    assert "Nic nie zaimportowano" in response.content.decode()
    assert not BankStatement.objects.exists()
    response = clerk.post(reverse("payments_import"), {"file": SimpleUploadedFile("w.sta", data)})
    assert response.status_code == 302
    statement = BankStatement.objects.get()
    assert clerk.get(reverse("bank_statements:inspect", args=[statement.pk])).status_code == 200
    assert ModelLogEntry.objects.filter(action="payments.statement_imported").count() == 1


def test_clerk_assigns_an_unmatched_line_and_it_is_logged(resident, clerk):
    gen = mt940_generator()
    data = gen.generate_statement([gen.CreditLine(amount=Decimal("12.00"), title="nieznany")])
    clerk.post(reverse("payments_import"), {"file": SimpleUploadedFile("w.sta", data)})
    line = StatementLine.objects.get(status=StatementLine.Status.UNMATCHED)
    queue = clerk.get(reverse("statement_lines:index"), {"status": "unmatched"})
    assert "nieznany" in queue.content.decode()
    url = reverse("payments_assign", args=[line.pk])
    # The clerk finds the payer by name: no ids to type.
    page = clerk.get(url, {"q": resident.taxpayer.last_name}).content.decode()
    choice = f"{resident.taxpayer.pk}:{resident.ledger.pk}"
    assert f'value="{choice}"' in page and resident.ledger.number in page
    # Another taxpayer's ledger cannot be slipped in.
    other = f.ledger(f.taxpayer())
    refused = clerk.post(url, {"choice": f"{resident.taxpayer.pk}:{other.pk}"})
    assert refused.status_code == 200 and "does not belong" in refused.content.decode()
    assert clerk.post(url, {"choice": "999999:"}).status_code == 200
    response = clerk.post(url, {"choice": choice})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == StatementLine.Status.MATCHED and line.taxpayer == resident.taxpayer
    assert line.ledger == resident.ledger
    assert ModelLogEntry.objects.filter(action="payments.line_assigned").count() == 1
    # A second assignment is refused: the line is booked once.
    again = clerk.post(url, {"choice": f"{resident.taxpayer.pk}:"})
    assert again.status_code == 200
    assert ModelLogEntry.objects.filter(action="payments.line_assigned").count() == 1


def test_assign_page_suggests_the_owner_of_a_ledger_number_in_the_title(resident, clerk):
    gen = mt940_generator()
    title = f"rata {resident.ledger.number}x"  # mistyped: no automatic match
    data = gen.generate_statement(
        [
            gen.CreditLine(
                amount=Decimal("12.00"),
                title=title,
                counterparty_name="ZUPEŁNIE INNA OSOBA",
            )
        ]
    )
    reconciliation.import_statement(data)
    line = StatementLine.objects.get(status=StatementLine.Status.UNMATCHED)
    url = reverse("payments_assign", args=[line.pk])
    assert f'value="{resident.taxpayer.pk}:"' not in clerk.get(url).content.decode()
    line.title = f"rata {resident.ledger.number} i odsetki"
    line.save()
    page = clerk.get(url).content.decode()
    assert f'value="{resident.taxpayer.pk}:"' in page
    assert "numer kartoteki w tytule" in page


def test_payment_inspect_shows_the_history(resident, clerk):
    payment = start_payment(resident)
    post_notification(demo_body(payment, "completed"))
    post_notification(demo_body(payment, "failed"))
    html = clerk.get(reverse("payments_admin:inspect", args=[payment.pk])).content.decode()
    assert payment.reference in html
    assert Payment.objects.get().status == Payment.Status.COMPLETED


def test_administrator_refunds_a_demo_payment_once_and_clerks_cannot(resident):
    from eservices.models import OutboundEvent

    payment = start_payment(resident)
    post_notification(demo_body(payment, "completed"))
    payment.refresh_from_db()
    url = reverse("payments_refund", args=[payment.pk])
    clerk = login_verified(Client(), staff(CLERKS))
    assert clerk.get(url).status_code in (302, 403)
    assert clerk.post(url, {"reason": "x"}).status_code in (302, 403)
    assert not payment.events.filter(kind="refund").exists()
    admin = login_verified(Client(), staff(ADMINISTRATORS))
    inspect = admin.get(reverse("payments_admin:inspect", args=[payment.pk])).content.decode()
    assert url in inspect
    assert admin.post(url, {"reason": "  "}).status_code == 200  # a reason is required
    response = admin.post(url, {"reason": "Wpłata podwójna, wniosek z 20.11."})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED  # the demo operator refunds at once
    kinds = list(OutboundEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == ["payment.refund_requested", "payment.refunded"]
    assert ModelLogEntry.objects.filter(action="payments.refund_requested").count() == 1
    # Once only: the page says so and a second post changes nothing.
    again = admin.post(url, {"reason": "jeszcze raz"})
    assert again.status_code == 200
    assert OutboundEvent.objects.filter(kind="payment.refund_requested").count() == 1


def test_a_transfer_or_an_unfinished_payment_cannot_be_refunded(resident):
    admin = login_verified(Client(), staff(ADMINISTRATORS))
    started = start_payment(resident)
    response = admin.post(reverse("payments_refund", args=[started.pk]), {"reason": "x"})
    assert response.status_code == 200
    started.refresh_from_db()
    assert started.status == Payment.Status.STARTED
    assert not started.events.filter(kind="refund").exists()
