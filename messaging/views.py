"""Resident pages of messaging: the consents form and phone verification (sections of
"Moje konto"), the resident's own messages, and the one-click unsubscribe endpoint.

Everything acts on ``request.user`` only: no form carries a user id, and a message id that is
not the resident's answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from eservices.activity import client_ip

from . import phone
from .channels import get_sms_channel
from .consents import (
    CONSENT_NOTICE,
    CONSENT_TEXTS,
    Evidence,
    granted_pairs,
    set_consent,
    update_consents,
)
from .forms import CodeForm, PhoneForm
from .models import Category, Channel, ConsentEvent, Delivery, VerifiedPhone
from .sending import apply_delivery_reports, read_unsubscribe_token

ANCHOR = "powiadomienia"


def _account_url() -> str:
    return reverse("eservices:account") + f"#{ANCHOR}"


def evidence_from(request: HttpRequest, source: str = ConsentEvent.Source.PORTAL) -> Evidence:
    return Evidence(
        source=source,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def panel_context(request: HttpRequest) -> dict:
    user = request.user
    granted = granted_pairs(user)
    rows = [
        {
            "category": category,
            "label": label,
            "text": CONSENT_TEXTS[category],
            "channels": [
                {
                    "value": f"{channel}:{category}",
                    "label": channel_label,
                    "checked": (channel, category) in granted,
                    "id": f"consent-{channel}-{category}",
                }
                for channel, channel_label in Channel.choices
            ],
        }
        for category, label in Category.choices
    ]
    return {
        "consent_rows": rows,
        "notice": CONSENT_NOTICE,
        "verified_phone": VerifiedPhone.objects.filter(user=user).first(),
        "phone_form": PhoneForm(initial={"phone": user.phone}),
        "code_form": CodeForm(),
        "pending_code": user.phone_verifications.filter(verified_at=None).exists(),
        "recent": Delivery.objects.filter(user=user)
        .exclude(status=Delivery.Status.SKIPPED)
        .order_by("-created_at")[:10],
    }


@login_required
@require_POST
def save_consents(request: HttpRequest) -> HttpResponse:
    wanted = set()
    for value in request.POST.getlist("consent"):
        channel, _sep, category = value.partition(":")
        if channel in Channel.values and category in Category.values:
            wanted.add((channel, category))
    changes = update_consents(request.user, wanted, evidence_from(request))
    if changes:
        messages.success(request, _("Your choices have been saved."))
    else:
        messages.info(request, _("Nothing has changed."))
    return redirect(_account_url())


@login_required
@require_POST
def phone_start(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST)
    if form.is_valid():
        try:
            phone.start(request.user, form.cleaned_data["phone"])
        except phone.VerificationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("We have sent a code to this number."))
    else:
        messages.error(request, _("Enter your phone number."))
    return redirect(_account_url())


@login_required
@require_POST
def phone_confirm(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            phone.confirm(request.user, form.cleaned_data["code"])
        except phone.VerificationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your phone number has been verified."))
    else:
        messages.error(request, _("Enter the 6-digit code."))
    return redirect(_account_url())


@login_required
@never_cache
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=pk, user=request.user)
    return render(request, "messaging/message_detail.html", {"delivery": delivery})


# --- Outside the language prefix (callback_urls) --------------------------------------------


@csrf_exempt  # RFC 8058: mail providers POST without a session; the signed token is the proof
@require_http_methods(["GET", "POST"])
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a confirmation page (scanners follow links). POST: withdraw that one consent."""
    try:
        user_id, channel, category = read_unsubscribe_token(token)
    except signing.BadSignature:
        raise Http404("Invalid or expired link.") from None
    if channel not in Channel.values or category not in Category.values:
        raise Http404("Invalid link.")
    user = get_object_or_404(get_user_model(), pk=user_id)
    context = {
        "category_label": Category(category).label,
        "channel_label": Channel(channel).label,
        "done": False,
    }
    if request.method == "POST":
        set_consent(
            user, channel, category, False, evidence_from(request, ConsentEvent.Source.UNSUBSCRIBE)
        )
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(_("Unsubscribed."), content_type="text/plain; charset=utf-8")
        context["done"] = True
    return render(request, "messaging/unsubscribe.html", context)


@csrf_exempt  # operators call it; the channel checks what it can (parse_delivery_reports)
@require_http_methods(["GET", "POST"])
def delivery_reports(request: HttpRequest) -> HttpResponse:
    channel = get_sms_channel()
    try:
        reports = channel.parse_delivery_reports(request)
    except (ValueError, PermissionError):
        return HttpResponseBadRequest("bad report")
    apply_delivery_reports(reports)
    return channel.delivery_report_response()
