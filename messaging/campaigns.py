"""Campaigns: an audience (a defined query with parameters, or a taxpayer group), a template and
a time. Planning functions here; the sending is `messaging.sending`, run by `messaging.tasks`.

Recipients are the accounts linked to the audience's taxpayers (a verified account link): the
consent and the contact belong to the account. A dry run counts who would get the message and
who not (no account, no consent, no contact) and renders samples; starting materialises the
outbox — one `Delivery` per campaign, recipient and channel, inserted with
``ignore_conflicts`` so that starting twice or resuming adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eservices.models import AccountLink, Taxpayer
from eservices.queries import QueryParameters, get_query

from . import placeholders
from .consents import consenting_user_ids
from .models import Campaign, Channel, Consent, Delivery, MessageTemplate, MessagingSettings

SAMPLES = 5
INSERT_CHUNK = 2000


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str = ""
    sms_info: object | None = None


def render_template(template: MessageTemplate, values: dict, link: str = "") -> Rendered:
    """The template filled with one row's ``values`` (never through Django's template engine)."""
    values = {**values, "link": link or values.get("link", "")}
    source = template.source
    text = placeholders.render(template.text, source, values)
    if template.channel == Channel.SMS:
        from .sms_text import sms_info, transliterate

        if template.transliterate:
            text = transliterate(text)
        return Rendered(subject="", text=text, sms_info=sms_info(text))
    return Rendered(
        subject=placeholders.render(template.subject, source, values),
        text=text,
        html=placeholders.render(template.html, source, values, escape_values=True)
        if template.html
        else "",
    )


def _params(campaign: Campaign) -> QueryParameters:
    params = dict(campaign.query_params or {})
    for name in ("as_of", "due_from", "due_to"):
        if params.get(name):
            params[name] = date.fromisoformat(params[name])
    if params.get("min_amount") not in (None, ""):
        from decimal import Decimal

        params["min_amount"] = Decimal(str(params["min_amount"]))
    params.setdefault("as_of", timezone.localdate())
    return QueryParameters.of(params)


def audience(campaign: Campaign) -> Iterator[tuple[int, dict]]:
    """``(taxpayer_id, placeholder values)`` of every taxpayer the campaign is about."""
    if campaign.query_code:
        for row in get_query(campaign.query_code).run(_params(campaign)):
            yield row.taxpayer_id, placeholders.query_row_values(row)
    elif campaign.group_id:
        taxpayers = Taxpayer.objects.filter(groups=campaign.group_id).order_by("pk")
        for tp in taxpayers.iterator(chunk_size=INSERT_CHUNK):
            yield (
                tp.pk,
                placeholders.person_values(tp.first_name, tp.last_name, tp.organisation_name),
            )


def _taxpayer_ids_sql(campaign: Campaign):
    if campaign.query_code:
        return get_query(campaign.query_code).run(_params(campaign)).taxpayer_ids()
    return Taxpayer.objects.filter(groups=campaign.group_id).values("pk")


def _accounts_by_taxpayer(campaign: Campaign) -> dict[int, list[int]]:
    links = (
        AccountLink.objects.active()
        .filter(taxpayer_id__in=_taxpayer_ids_sql(campaign), user__is_active=True)
        .order_by("user_id")
        .values_list("taxpayer_id", "user_id")
    )
    accounts: dict[int, list[int]] = {}
    for taxpayer_id, user_id in links.iterator(chunk_size=INSERT_CHUNK):
        accounts.setdefault(taxpayer_id, []).append(user_id)
    return accounts


def _consenting(campaign: Campaign) -> set[int]:
    return set(consenting_user_ids(campaign.channel, campaign.category))


@dataclass
class DryRun:
    taxpayers: int = 0
    without_account: int = 0
    recipients: int = 0
    without_consent: int = 0
    without_contact: int = 0
    will_send: int = 0
    samples: list[tuple[str, Rendered]] = field(default_factory=list)


def _reachable(campaign: Campaign) -> set[int]:
    """Accounts that consent to the campaign's channel and category and have a contact for it
    now (what `consents.contact_for` finds: a login email, or a verified phone); one query."""
    granted = Consent.objects.filter(
        channel=campaign.channel, category=campaign.category, granted=True
    )
    if campaign.channel == Channel.EMAIL:
        granted = granted.exclude(user__email="").exclude(user__email__isnull=True)
    else:
        granted = granted.filter(user__verified_phone__isnull=False)
    return set(granted.values_list("user_id", flat=True))


def dry_run(campaign: Campaign) -> DryRun:
    """Who would get the campaign now, who not and why, and a few rendered messages.

    Set-based: the audience's accounts, the consents and the contacts are read in three
    queries, whatever the audience's size (a query per recipient took minutes at 100,000).
    """
    from django.contrib.auth import get_user_model

    result = DryRun()
    accounts = _accounts_by_taxpayer(campaign)
    consenting = _consenting(campaign)
    reachable = _reachable(campaign)
    seen: set[int] = set()
    samples: list[tuple[int, dict]] = []
    for taxpayer_id, values in audience(campaign):
        result.taxpayers += 1
        user_ids = accounts.get(taxpayer_id, [])
        if not user_ids:
            result.without_account += 1
        for user_id in user_ids:
            if user_id in seen:
                continue
            seen.add(user_id)
            result.recipients += 1
            if user_id not in consenting:
                result.without_consent += 1
            elif user_id not in reachable:
                result.without_contact += 1
            else:
                result.will_send += 1
                if len(samples) < SAMPLES:
                    samples.append((user_id, values))
    users = get_user_model().objects.in_bulk([user_id for user_id, _values in samples])
    result.samples = [
        (str(users[user_id]), render_template(campaign.template, values, campaign.link))
        for user_id, values in samples
    ]
    return result


def materialise(campaign: Campaign) -> int:
    """Insert the outbox rows of ``campaign`` (idempotent); how many rows it has now."""
    template = campaign.template
    accounts = _accounts_by_taxpayer(campaign)
    consenting = _consenting(campaign)
    channel, category = template.channel, template.category
    batch: list[Delivery] = []
    now = timezone.now()
    with transaction.atomic():
        for taxpayer_id, values in audience(campaign):
            for user_id in accounts.get(taxpayer_id, []):
                if user_id not in consenting:
                    continue  # checked again when sent; no row for those who never agreed
                rendered = render_template(template, values, campaign.link)
                batch.append(
                    Delivery(
                        key=f"c{campaign.pk}:u{user_id}:{channel}",
                        campaign=campaign,
                        user_id=user_id,
                        taxpayer_id=taxpayer_id,
                        channel=channel,
                        category=category,
                        template=template,
                        subject=rendered.subject[:255],
                        body=rendered.text,
                        html=rendered.html,
                        created_at=now,
                    )
                )
                if len(batch) >= INSERT_CHUNK:
                    Delivery.objects.bulk_create(batch, ignore_conflicts=True)
                    batch = []
        if batch:
            Delivery.objects.bulk_create(batch, ignore_conflicts=True)
        Campaign.objects.filter(pk=campaign.pk).update(materialised_at=now)
    return campaign.deliveries.count()


# --- The campaign's life --------------------------------------------------------------------

CampaignStatus = Campaign.Status


def validate_campaign(campaign: Campaign) -> None:
    template = campaign.template
    if bool(campaign.query_code) == bool(campaign.group_id):
        raise ValidationError(_("Choose either a defined query or a taxpayer group."))
    expected = campaign.query_code or placeholders.GROUP
    if template.source not in (expected, placeholders.NEWS):
        raise ValidationError(
            _("The template is written for another data source; choose a matching one.")
        )
    errors = placeholders.validate(template.source, template.subject, template.text, template.html)
    if errors:
        raise ValidationError(errors)


def submit(campaign: Campaign, user) -> str:
    """A clerk starts the campaign: to approval, to the schedule, or straight to sending."""
    validate_campaign(campaign)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.STOPPED):
            raise ValidationError(_("This campaign has already been started."))
        if (
            campaign.status == CampaignStatus.DRAFT
            and MessagingSettings.load().campaigns_require_approval
            and campaign.approved_at is None
        ):
            campaign.status = CampaignStatus.AWAITING_APPROVAL
            campaign.save(update_fields=["status"])
            return campaign.status
        return _release(campaign)


def approve(campaign: Campaign, user) -> str:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != CampaignStatus.AWAITING_APPROVAL:
            raise ValidationError(_("This campaign is not waiting for approval."))
        campaign.approved_by = user
        campaign.approved_at = timezone.now()
        campaign.save(update_fields=["approved_by", "approved_at"])
        return _release(campaign)


def _release(campaign: Campaign) -> str:
    """Scheduled for later, or sending now (the outbox is built and drained after commit)."""
    if campaign.scheduled_at and campaign.scheduled_at > timezone.now():
        campaign.status = CampaignStatus.SCHEDULED
        campaign.save(update_fields=["status"])
        return campaign.status
    return start_sending(campaign)


def start_sending(campaign: Campaign) -> str:
    from .tasks import enqueue_campaign

    if campaign.materialised_at is None:
        materialise(campaign)
    campaign.status = CampaignStatus.SENDING
    campaign.save(update_fields=["status"])
    transaction.on_commit(lambda: enqueue_campaign(campaign.pk))
    return campaign.status


def stop(campaign: Campaign) -> None:
    """Stop claiming rows (the rows being sent finish); starting it again resumes."""
    Campaign.objects.filter(
        pk=campaign.pk, status__in=[CampaignStatus.SENDING, CampaignStatus.SCHEDULED]
    ).update(status=CampaignStatus.STOPPED)


def release_scheduled(now=None) -> list[int]:
    """Start the scheduled campaigns whose time has come (run every minute by beat)."""
    started = []
    due = Campaign.objects.filter(
        status=CampaignStatus.SCHEDULED, scheduled_at__lte=now or timezone.now()
    ).values_list("pk", flat=True)
    for pk in due:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().get(pk=pk)
            if campaign.status == CampaignStatus.SCHEDULED:
                start_sending(campaign)
                started.append(pk)
    return started


def finish_if_done(campaign_id: int) -> bool:
    """Mark the campaign finished once nothing waits or is being sent."""
    busy = Delivery.objects.filter(
        campaign_id=campaign_id, status__in=[Delivery.Status.CREATED, Delivery.Status.SENDING]
    ).exists()
    if busy:
        return False
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).update(
            status=CampaignStatus.FINISHED, finished_at=timezone.now()
        )
    )


def progress(campaign: Campaign) -> dict[str, int]:
    """Rows per status, plus sent/failed/pending roll-ups for the admin."""
    from django.db.models import Count

    counts = dict(
        campaign.deliveries.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    S = Delivery.Status
    return {
        "total": sum(counts.values()),
        "pending": counts.get(S.CREATED, 0) + counts.get(S.SENDING, 0),
        "sent": counts.get(S.SENT, 0) + counts.get(S.DELIVERED, 0),
        "delivered": counts.get(S.DELIVERED, 0),
        "failed": counts.get(S.PERMANENT_FAILURE, 0)
        + counts.get(S.TEMPORARY_FAILURE, 0)
        + counts.get(S.TECHNICAL_FAILURE, 0),
        "skipped": counts.get(S.SKIPPED, 0),
        "by_status": counts,
    }
