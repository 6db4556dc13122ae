"""Checkout: totals with interest to today and the fee table, access (404 for foreign
taxpayers and payments, proxies need the pay right), double click, the demo gateway."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from eservices import access
from eservices.dues import dues
from payments import checkout, fees
from payments.models import FeeBand, Payment, PaymentEvent
from tests.eservices import factories as f


def _dues(resident):
    return dues(access.ledgers_for(resident.user, resident.taxpayer), timezone.localdate())


def _form(response) -> dict:
    html = response.content.decode()
    return {
        "klucz": re.search(r'name="klucz" value="([^"]+)"', html).group(1),
        "podsumowanie": re.search(r'name="podsumowanie" value="([^"]+)"', html).group(1),
    }


def test_fee_bands_give_the_commission_to_the_grosz(db):
    FeeBand.objects.create(
        gateway="payu",
        amount_from=Decimal("0"),
        amount_to=Decimal("100"),
        percent=Decimal("1.5"),
        fixed=Decimal("0"),
        minimum=Decimal("1.00"),
    )
    FeeBand.objects.create(
        gateway="payu",
        amount_from=Decimal("100.01"),
        percent=Decimal("1.25"),
        fixed=Decimal("0.30"),
    )
    assert fees.commission("payu", Decimal("10.00")) == Decimal("1.00")  # minimum
    assert fees.commission("payu", Decimal("100.00")) == Decimal("1.50")
    assert fees.commission("payu", Decimal("100.01")) == Decimal("1.55")  # 1.250125 + 0.30
    assert fees.commission("przelewy24", Decimal("100.00")) == Decimal("0.00")  # no band


def test_selection_totals_match_the_dues_pages(resident):
    result = _dues(resident)
    overdue = result.ledgers[0].overdue[0]
    assert overdue.interest > 0
    arrears = checkout.select(result, [f"arrears-{resident.ledger.pk}"])
    assert arrears.amount == result.to_pay_today  # principal + interest + reminder costs
    assert arrears.scope == Payment.Scope.ARREARS
    one = checkout.select(result, [f"inst-{resident.upcoming.pk}"])
    # Any instalment of a ledger carries its reminder costs (they are settled first).
    assert one.amount == Decimal("193.00") + Decimal("16.00")
    whole = checkout.select(result, ["all", "inst-999999", "nonsense"])
    assert whole.amount == result.outstanding + result.interest + result.reminder_costs
    assert whole.scope == Payment.Scope.BALANCE


def test_checkout_page_shows_total_interest_and_commission(resident):
    response = resident.client.get(reverse("payments:checkout", args=[resident.taxpayer.pk]))
    assert response.status_code == 200
    result = _dues(resident)
    expected_fee = fees.commission("demo", result.to_pay_today)
    assert expected_fee > 0
    assert response.context["selection"].amount == result.to_pay_today
    assert response.context["fee"] == expected_fee
    assert response.context["total"] == result.to_pay_today + expected_fee
    html = response.content.decode()
    assert "Zapłać" in html and "Prowizja operatora" in html


def test_pay_creates_one_payment_and_a_double_click_reuses_it(resident):
    url = reverse("payments:checkout", args=[resident.taxpayer.pk])
    form = _form(resident.client.get(url))
    data = {
        **form,
        "pozycja": [f"arrears-{resident.ledger.pk}"],
        "metoda": "demo",
        "akcja": "zaplac",
    }
    first = resident.client.post(url, data)
    second = resident.client.post(url, data)
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert first["Location"].startswith("/platnosci/demo/")
    assert payment.amount == _dues(resident).to_pay_today
    assert payment.commission == fees.commission("demo", payment.amount)
    assert payment.gateway_order_id.startswith("DEMO-")
    assert payment.items.count() == 2  # the instalment and the reminder costs
    assert payment.events.filter(kind=PaymentEvent.Kind.CREATED).count() == 1


def test_paying_a_changed_selection_asks_to_check_the_new_total(resident):
    url = reverse("payments:checkout", args=[resident.taxpayer.pk])
    form = _form(resident.client.get(url))  # the summary was for the arrears only
    response = resident.client.post(
        url, {**form, "pozycja": ["all"], "metoda": "demo", "akcja": "zaplac"}
    )
    assert response.status_code == 400
    assert Payment.objects.count() == 0
    assert "Sprawdź nową kwotę" in response.content.decode()


def test_forged_or_foreign_token_creates_nothing(resident):
    url = reverse("payments:checkout", args=[resident.taxpayer.pk])
    form = _form(resident.client.get(url))
    response = resident.client.post(
        url,
        {
            **form,
            "klucz": form["klucz"] + "x",
            "metoda": "demo",
            "pozycja": [f"arrears-{resident.ledger.pk}"],
            "akcja": "zaplac",
        },
    )
    assert response.status_code == 400
    assert Payment.objects.count() == 0


def test_foreign_taxpayer_and_foreign_payment_are_404(resident):
    stranger_tp = f.taxpayer(last_name="Obcy")
    assert (
        resident.client.get(reverse("payments:checkout", args=[stranger_tp.pk])).status_code == 404
    )
    assert (
        resident.client.get(reverse("payments:history", args=[stranger_tp.pk])).status_code == 404
    )
    other = Payment.objects.create(taxpayer=stranger_tp, gateway="demo", amount=Decimal("5.00"))
    for name in ("payments:detail", "payments:confirmation"):
        url = reverse(name, args=[resident.taxpayer.pk, other.pk])
        assert resident.client.get(url).status_code == 404
        url = reverse(name, args=[stranger_tp.pk, other.pk])
        assert resident.client.get(url).status_code == 404


def test_proxy_without_the_pay_right_cannot_pay_but_sees_history(resident):
    proxy = f.user("proxy@example.pl")
    f.mandate(proxy, resident.taxpayer, can_view=True, can_pay=False)
    client = Client()
    client.force_login(proxy)
    assert client.get(reverse("payments:checkout", args=[resident.taxpayer.pk])).status_code == 404
    assert client.get(reverse("payments:history", args=[resident.taxpayer.pk])).status_code == 200
    payer = f.user("payer@example.pl")
    f.mandate(payer, resident.taxpayer, can_view=True, can_pay=True)
    client.force_login(payer)
    assert client.get(reverse("payments:checkout", args=[resident.taxpayer.pk])).status_code == 200


def test_anonymous_is_sent_to_log_in(resident):
    response = Client().get(reverse("payments:checkout", args=[resident.taxpayer.pk]))
    assert response.status_code == 302 and "logowanie" in response["Location"]


def _start(resident) -> Payment:
    url = reverse("payments:checkout", args=[resident.taxpayer.pk])
    form = _form(resident.client.get(url))
    response = resident.client.post(
        url,
        {**form, "pozycja": [f"arrears-{resident.ledger.pk}"], "metoda": "demo", "akcja": "zaplac"},
    )
    return Payment.objects.get(), response["Location"]


def test_demo_gateway_success_notifies_and_the_return_page_tells_the_truth(resident):
    payment, demo_url = _start(resident)
    detail = reverse("payments:detail", args=[resident.taxpayer.pk, payment.pk])
    page = resident.client.get(detail)
    assert "Płatność jest w trakcie" in page.content.decode()
    assert (
        resident.client.get(
            reverse("payments:confirmation", args=[resident.taxpayer.pk, payment.pk])
        ).status_code
        == 404
    )
    assert resident.client.get(demo_url).status_code == 200
    back = resident.client.post(demo_url, {"wynik": "success"})
    assert back["Location"] == detail
    payment.refresh_from_db()
    assert payment.status == Payment.Status.COMPLETED and payment.booked_at is None
    html = resident.client.get(detail).content.decode()
    assert "Płatność została zrealizowana" in html and "oczekuje na zaksięgowanie" in html
    pdf = resident.client.get(
        reverse("payments:confirmation", args=[resident.taxpayer.pk, payment.pk])
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    history = resident.client.get(reverse("payments:history", args=[resident.taxpayer.pk]))
    assert payment.reference in history.content.decode()


def test_demo_gateway_abandon_leaves_the_payment_started(resident):
    payment, demo_url = _start(resident)
    resident.client.post(demo_url, {"wynik": "porzuc"})
    payment.refresh_from_db()
    assert payment.status == Payment.Status.STARTED
    history = resident.client.get(reverse("payments:history", args=[resident.taxpayer.pk]))
    assert "Rozpoczęta" in history.content.decode()


def test_demo_gateway_failure_and_a_tampered_demo_link(resident):
    payment, demo_url = _start(resident)
    assert resident.client.get(demo_url[:-3] + "xx/").status_code == 404
    resident.client.post(demo_url, {"wynik": "failure"})
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED


def test_transfer_method_waits_for_the_statement(resident):
    url = reverse("payments:checkout", args=[resident.taxpayer.pk])
    form = _form(resident.client.get(url + "?metoda=transfer"))
    response = resident.client.post(
        url,
        {
            **form,
            "pozycja": [f"arrears-{resident.ledger.pk}"],
            "metoda": "transfer",
            "akcja": "zaplac",
        },
    )
    payment = Payment.objects.get()
    assert payment.gateway == "transfer" and payment.commission == 0
    assert payment.status == Payment.Status.PENDING
    html = resident.client.get(response["Location"]).content.decode()
    assert payment.reference in html and "Oczekiwanie na przelew" in html
    form_link = re.search(r'href="(/platnosci/\d+/przelew/\?[^"]+)"', html).group(1)
    assert f"kartoteka={resident.ledger.pk}" in form_link
    assert f"rata={resident.overdue.pk}" in form_link


@pytest.mark.parametrize("language_prefix", ["/en"])
def test_english_checkout_page(resident, language_prefix):
    response = resident.client.get(f"{language_prefix}/platnosci/{resident.taxpayer.pk}/")
    assert response.status_code == 200
    assert "Operator's commission" in response.content.decode()
