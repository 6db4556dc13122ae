"""Resident pages of payments: checkout, the return page, payment history, the PDF confirmation
and the demo operator's page. Thin: access through `eservices.access` (foreign taxpayers and
payments are 404), figures from `eservices.dues`, business steps in `payments.checkout` and
`payments.transitions`.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from eservices import access
from eservices.dues import dues
from eservices.pdf import html_to_pdf, pdf_response
from eservices.staff_security.csp import public_policy_with_form_action
from eservices.views import acting_for
from home.models import MunicipalitySettings

from . import checkout
from .callback_views import notification as notification_view
from .gateways import UnknownGateway, enabled_codes, get_gateway
from .gateways import demo as demo_gateway
from .gateways.base import GatewayError
from .methods import method_name
from .models import Payment
from .transitions import apply_notification

PAY = access.Scope.PAY


def _absolute(path: str) -> str:
    # Addresses given to operators come from the configured base URL, never from Host.
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _review_digest(selection: checkout.Selection, method: str, amount) -> str:
    # Over what the choices resolve to, not the tokens: "arrears" and its ticked instalments
    # are the same payment.
    parts = sorted(
        f"{line.kind}:{line.ledger.pk}:{line.installment.pk if line.installment else ''}"
        for line in selection.lines
    )
    raw = "|".join([*parts, method, str(amount)]).encode()
    return hashlib.sha256(raw + settings.SECRET_KEY.encode()).hexdigest()[:32]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def checkout_view(request: HttpRequest, taxpayer_pk: int) -> HttpResponse:
    """Tick instalments, arrears or the whole balance; see the total and commission; pay."""
    taxpayer = access.get_taxpayer(request.user, taxpayer_pk, PAY)
    acting = acting_for(request, taxpayer.pk)
    today = timezone.localdate()
    result = dues(access.ledgers_for(request.user, taxpayer, PAY), today)
    methods = enabled_codes()
    data = request.POST if request.method == "POST" else request.GET
    if "pozycja" in data:
        choices = data.getlist("pozycja")
    else:
        # A first visit offers the arrears, or else the next instalment.
        choices = [f"arrears-{ld.ledger.pk}" for ld in result.ledgers if ld.overdue]
        if not choices and result.next_due:
            choices = [f"inst-{result.next_due.installment.pk}"]
    method = data.get("metoda") or (methods[0] if methods else "")
    errors: list[str] = []
    if method not in methods:
        errors.append(_("Choose a payment method."))
        method = methods[0] if methods else ""
    selection = checkout.select(result, choices)
    fee, total = checkout.quote(selection, method) if method else (0, selection.amount)
    digest = _review_digest(selection, method, total)

    if request.method == "POST" and data.get("akcja") == "zaplac" and not errors:
        key = checkout.read_token(data.get("klucz", ""), request.user.pk, taxpayer.pk)
        if key is None:
            errors.append(_("The form has expired. Check the amounts and pay again."))
        elif Payment.objects.filter(key=key).exists():
            # The second click of a double click: show the payment the first one started.
            payment = Payment.objects.get(key=key)
            if payment.taxpayer_id != taxpayer.pk:
                raise Http404
            return _continue(request, payment)
        elif selection.is_empty:
            errors.append(_("Choose at least one item to pay."))
        elif data.get("podsumowanie") != digest:
            errors.append(
                _("The amount changed with your choice. Check the new total below and pay again.")
            )
        else:
            try:
                payment, _created = checkout.create_payment(
                    key=key,
                    taxpayer=taxpayer,
                    user=request.user,
                    gateway=method,
                    selection=selection,
                )
                return _continue(request, payment)
            except checkout.CheckoutError as error:
                errors.append(str(error))

    offered = {token for token, _l, _i in checkout.choices_for(result)}
    selected_installments = {
        f"inst-{line.installment.pk}" for line in selection.lines if line.installment
    }
    response = render(
        request,
        "payments/checkout.html",
        {
            "acting": acting,
            "taxpayer": taxpayer,
            "dues": result,
            "today": today,
            "choices": checkout.choices_for(result),
            "arrears_options": [
                (f"arrears-{ld.ledger.pk}", ld) for ld in result.ledgers if ld.overdue
            ],
            "whole_balance": checkout.select(result, ["all"]).amount,
            "selected": set(selection.choices) | selected_installments,
            "offered": offered,
            "selection": selection,
            "methods": [
                (code, method_name(code), checkout.quote(selection, code)[0]) for code in methods
            ],
            "method": method,
            "fee": fee,
            "total": total,
            "digest": digest,
            "token": checkout.new_token(request.user.pk, taxpayer.pk),
            "errors": errors,
        },
        status=400 if errors else 200,
    )
    # "Zapłać" is answered with a redirect to the operator, and browsers hold that redirect
    # to the page's form-action: name the enabled operators' origins.
    operators = (getattr(get_gateway(code), "origin", "") for code in methods)
    response["Content-Security-Policy"] = public_policy_with_form_action(*operators)
    return response


def _continue(request: HttpRequest, payment: Payment) -> HttpResponse:
    """Send the payer to the operator (registering the order once), or to the return page."""
    detail = reverse(
        "payments:detail", kwargs={"taxpayer_pk": payment.taxpayer_id, "payment_pk": payment.pk}
    )
    if payment.is_finished:
        return redirect(detail)
    try:
        payment = checkout.register_order(
            payment,
            continue_url=_absolute(detail),
            notify_url=_absolute(reverse("payments_callbacks:notify", args=[payment.gateway])),
            customer_ip=request.META.get("REMOTE_ADDR", "127.0.0.1"),
            language=translation.get_language() or "pl",
        )
    except (checkout.CheckoutError, UnknownGateway) as error:
        messages.error(request, str(error))
        return redirect(detail)
    return redirect(payment.redirect_url or detail)


def _payment_for(request: HttpRequest, taxpayer_pk: int, payment_pk: int):
    acting = acting_for(request, taxpayer_pk)  # 404 for a foreign taxpayer
    payment = get_object_or_404(
        Payment.objects.select_related("taxpayer", "user"), pk=payment_pk, taxpayer=acting.taxpayer
    )
    return acting, payment


@never_cache
@login_required
@require_GET
def payment_detail(request: HttpRequest, taxpayer_pk: int, payment_pk: int) -> HttpResponse:
    """The return page: the truth about the payment, asking the operator if nothing came yet."""
    acting, payment = _payment_for(request, taxpayer_pk, payment_pk)
    if not payment.is_finished and payment.gateway_order_id and payment.gateway != "transfer":
        try:
            gateway = get_gateway(payment.gateway)
            apply_notification(
                gateway, gateway.fetch_status(payment.gateway_order_id), source="status query"
            )
            payment.refresh_from_db()
        except (GatewayError, UnknownGateway, NotImplementedError):
            pass
    items = list(payment.items.select_related("ledger__receivable_type", "installment"))
    transfer_forms = []
    if payment.gateway == "transfer":
        # P2's printable form per ledger, filled in with this payment's instalments.
        by_ledger: dict = {}
        for item in items:
            by_ledger.setdefault(item.ledger, []).append(item.installment_id)
        for ledger, installment_ids in by_ledger.items():
            query = urlencode(
                [("kartoteka", ledger.pk)] + [("rata", pk) for pk in installment_ids if pk]
            )
            url = reverse("payments:transfer_form", kwargs={"taxpayer_pk": payment.taxpayer_id})
            transfer_forms.append((ledger, f"{url}?{query}"))
    return render(
        request,
        "payments/detail.html",
        {
            "acting": acting,
            "taxpayer": acting.taxpayer,
            "payment": payment,
            "items": items,
            "transfer_forms": transfer_forms,
            "can_pay": access.can_act_for(request.user, acting.taxpayer, PAY),
        },
    )


@never_cache
@login_required
@require_GET
def history(request: HttpRequest, taxpayer_pk: int) -> HttpResponse:
    acting = acting_for(request, taxpayer_pk)
    payments = Payment.objects.filter(taxpayer=acting.taxpayer).select_related("user")
    return render(
        request,
        "payments/history.html",
        {
            "acting": acting,
            "taxpayer": acting.taxpayer,
            "payments": list(payments),
            "can_pay": access.can_act_for(request.user, acting.taxpayer, PAY),
        },
    )


@never_cache
@login_required
@require_GET
def confirmation(request: HttpRequest, taxpayer_pk: int, payment_pk: int) -> HttpResponse:
    """A PDF confirmation of a completed payment (not of one still in progress)."""
    acting, payment = _payment_for(request, taxpayer_pk, payment_pk)
    if payment.status not in (Payment.Status.COMPLETED, Payment.Status.REFUNDED):
        raise Http404("Only completed payments have a confirmation.")
    html = render_to_string(
        "payments/confirmation_pdf.html",
        {
            "payment": payment,
            "items": list(payment.items.select_related("ledger__receivable_type", "installment")),
            "taxpayer": acting.taxpayer,
            "municipality": MunicipalitySettings.for_request(request),
            "generated_at": timezone.localtime(),
            "LANGUAGE_CODE": translation.get_language(),
        },
        request=request,
    )
    return pdf_response(html_to_pdf(html), f"potwierdzenie-{payment.reference}.pdf")


# --- The demo operator -----------------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def demo_gateway_page(request: HttpRequest, token: str) -> HttpResponse:
    """The demo operator's page: succeed, fail or abandon. Exists only with "demo" enabled."""
    if "demo" not in enabled_codes():
        raise Http404
    try:
        order = demo_gateway.read_order(token)
    except GatewayError:
        raise Http404 from None
    if request.method == "POST":
        outcome = request.POST.get("wynik", "")
        if outcome in demo_gateway.OUTCOMES:
            _notify_self(order, outcome)
        elif outcome != "porzuc":
            return HttpResponseBadRequest()
        return redirect(order["continue"] or "/")
    return render(request, "payments/demo_gateway.html", {"order": order})


def _notify_self(order: dict, outcome: str) -> None:
    """Post the demo operator's signed notification through the real notification view."""
    body = demo_gateway.notification_body(order, outcome)
    notify = HttpRequest()
    notify.method = "POST"
    notify.META = {
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        demo_gateway.SIGNATURE_HEADER: demo_gateway.sign(body),
        "REMOTE_ADDR": "127.0.0.1",
    }
    notify._body = body
    notification_view(notify, code="demo")
