"""Every resident URL that names an object answers 404 to a resident it does not belong to.

The walker lists the portal's URL patterns itself: a new resident URL with an object in its
path fails this test until it is added to ``OWNED`` (with how to find one of Jan Kowalski's
objects for it) or to ``NOT_OBJECTS`` (with the reason it names no object).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

JAN = "jan.kowalski@przykladowo.example"
PASSWORD = "Obcy-Mieszkaniec-2026"

# Paths that take a value which is not one of a resident's objects.
NOT_OBJECTS = {
    "eservices:activate": "a signed single-use token (tests/eservices/test_registration.py)",
    "eservices:email_change_confirm": "a signed token bound to its user (test_account_data.py)",
    "eservices:password_reset_confirm": "a signed single-use token (test_password_reset.py)",
    "eservices:register_form": "the kind of account: person or company",
    "payments:demo_gateway": "a signed order token of the demo gateway (test_checkout.py)",
    "payments_callbacks:notify": "an operator's code; notifications are signed",
    "messaging_callbacks:unsubscribe": "a signed token per user and category (test_consents.py)",
    "wagtailcore_authenticate_with_password": "Wagtail's own page-password form",
}


def resident_url_patterns() -> dict[str, list[str]]:
    """``{"namespace:name": [path kwargs]}`` of every portal URL with converters in its path."""
    found: dict[str, list[str]] = {}

    def walk(patterns, namespace: str, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if str(entry.pattern).startswith(("admin/", "api/", "documents/")):
                    continue
                inner = entry.namespace or namespace
                walk(entry.url_patterns, inner, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.pattern.converters:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found[name] = sorted(entry.pattern.converters)

    walk(get_resolver().url_patterns, "", "")
    return found


def jans_objects() -> dict[str, dict]:
    """kwargs naming one of Jan Kowalski's objects, per URL name ("?": a query string)."""
    from eservices import access
    from eservices.cases.models import Case, CaseAttachment
    from eservices.models import LinkRequest
    from messaging.models import Delivery
    from payments.models import Payment

    jan = get_user_model().objects.get(email=JAN)
    taxpayer = access.taxpayers_for(jan).get(last_name="Kowalski")
    ledger = access.ledgers_for(jan, taxpayer).first()
    payment = Payment.objects.filter(taxpayer=taxpayer, status="completed").first()
    case = Case.objects.filter(user=jan).first()
    attachment = case.attachments.first() or CaseAttachment.objects.create(
        case=case,
        file=ContentFile(b"%PDF-1.4 zalacznik", name="zalacznik.pdf"),
        name="zalacznik.pdf",
        content_type="application/pdf",
        size=18,
        sha256="0" * 64,
    )
    delivery = Delivery.objects.filter(user=jan).first()
    link_request = LinkRequest.objects.create(user=jan, kind="person", name="Jan Kowalski")
    tp = {"taxpayer_pk": taxpayer.pk}
    return {
        "eservices:taxpayer_dues": tp,
        "eservices:ledger": {**tp, "ledger_pk": ledger.pk},
        "eservices:statement": tp,
        "eservices:link_request": {"code": link_request.code},
        "eservices:link_request_pdf": {"code": link_request.code},
        "payments:checkout": tp,
        "payments:history": tp,
        "payments:transfer_form": {**tp, "?": f"kartoteka={ledger.pk}"},
        "payments:detail": {**tp, "payment_pk": payment.pk},
        "payments:confirmation": {**tp, "payment_pk": payment.pk},
        "cases:detail": {"pk": case.pk},
        "cases:receipt": {"pk": case.pk},
        "cases:attachment": {"pk": case.pk, "attachment_pk": attachment.pk},
        "messaging:message": {"pk": delivery.pk},
    }


def test_every_resident_object_url_is_covered_here(demo_site):
    covered = set(jans_objects()) | set(NOT_OBJECTS)
    assert set(resident_url_patterns()) <= covered, "add the new URL to OWNED or NOT_OBJECTS"


def test_another_resident_gets_404_for_every_object_of_jan(demo_site):
    urls = {}
    for name, kwargs in jans_objects().items():
        query = kwargs.pop("?", "")
        urls[name] = reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")

    jan = Client()
    jan.force_login(get_user_model().objects.get(email=JAN))
    for name, url in urls.items():
        # The owner gets the page, so the stranger's 404 below is about ownership.
        assert jan.get(url).status_code == 200, name

    stranger = Client()
    stranger.force_login(get_user_model().objects.create_user("obcy@example.pl", PASSWORD))
    answers = {name: stranger.get(url).status_code for name, url in urls.items()}
    assert answers == dict.fromkeys(urls, 404)
