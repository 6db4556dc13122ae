"""Linking an account to the payer's records (seed 004): the request, its PDF, the clerk's decision.

The resident files a request and prints it (PDF with the reference code) to sign at the office;
a clerk who has verified the payer finds it by code and approves it with the taxpayer records
to link, or rejects it with a reason. Each step is one transaction, written to Wagtail's audit
log (staff) and to the resident's activity log.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from wagtail.log_actions import log

from eservices.pdf import html_to_pdf

from . import activity
from .models import AccountEvent, AccountLink, LinkRequest, Taxpayer

Kind = AccountEvent.Kind


class AlreadyDecided(Exception):
    """The request was decided by someone else in the meantime (or twice by a double click)."""


def file_request(request: HttpRequest, user, data: dict) -> LinkRequest:
    with transaction.atomic():
        link_request = LinkRequest(
            user=user,
            kind=data["kind"],
            name=data["name"],
            reference=data.get("reference", ""),
        )
        link_request.identifier = data["identifier"]
        link_request.save()
        activity.record(user, Kind.LINK_REQUESTED, request, detail=link_request.code)
    return link_request


def _lock_pending(link_request: LinkRequest) -> LinkRequest:
    locked = LinkRequest.objects.select_for_update().get(pk=link_request.pk)
    if locked.status != LinkRequest.Status.PENDING:
        raise AlreadyDecided(locked.get_status_display())
    return locked


def approve(
    request: HttpRequest | None, link_request: LinkRequest, taxpayers: Iterable[Taxpayer], clerk
) -> LinkRequest:
    """Link the account to ``taxpayers`` (at least one) and close the request."""
    taxpayers = list(taxpayers)
    if not taxpayers:
        raise ValueError("Approving needs at least one taxpayer.")
    with transaction.atomic():
        locked = _lock_pending(link_request)
        for taxpayer in taxpayers:
            exists = AccountLink.objects.active().filter(user=locked.user, taxpayer=taxpayer)
            if not exists.exists():
                link = AccountLink.objects.create(
                    user=locked.user,
                    taxpayer=taxpayer,
                    method=AccountLink.Method.COUNTER,
                    linked_by=clerk,
                )
                log(link, "wagtail.create", user=clerk, data={"request": locked.code})
        locked.taxpayers.add(*taxpayers)
        locked.status = LinkRequest.Status.APPROVED
        locked.decided_at = timezone.now()
        locked.decided_by = clerk
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        names = ", ".join(t.external_id for t in taxpayers)
        log(locked, "eservices.link_request.approve", user=clerk, data={"taxpayers": names})
        activity.record(locked.user, Kind.LINKED, request, detail=locked.code, actor=clerk)
    return locked


def reject(
    request: HttpRequest | None, link_request: LinkRequest, reason: str, clerk
) -> LinkRequest:
    if not reason.strip():
        raise ValueError("A rejection needs a reason.")
    with transaction.atomic():
        locked = _lock_pending(link_request)
        locked.status = LinkRequest.Status.REJECTED
        locked.rejection_reason = reason.strip()
        locked.decided_at = timezone.now()
        locked.decided_by = clerk
        locked.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
        log(locked, "eservices.link_request.reject", user=clerk, data={"reason": reason})
        activity.record(locked.user, Kind.LINK_REJECTED, request, detail=locked.code, actor=clerk)
    return locked


def unlink(request: HttpRequest | None, link: AccountLink, clerk) -> AccountLink:
    with transaction.atomic():
        locked = AccountLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            log(locked, "eservices.unlink", user=clerk)
            activity.record(
                locked.user, Kind.UNLINKED, request, detail=str(locked.taxpayer), actor=clerk
            )
    return locked


def request_pdf(link_request: LinkRequest, municipality) -> bytes:
    """The printable request (person or organisation variant) with its reference code."""
    html = render_to_string(
        "eservices/linking/request_pdf.html",
        {
            "link_request": link_request,
            "municipality": municipality,
            "generated_at": timezone.localtime(),
            "LANGUAGE_CODE": translation.get_language(),
        },
    )
    return html_to_pdf(html)
