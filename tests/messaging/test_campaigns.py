"""Campaigns: dry run counts, outbox materialisation, consent at send time, approval, stop and
resume, and real emails to the loopback SMTP server."""

from __future__ import annotations

import email
from datetime import date
from email import policy

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from eservices.models import TaxpayerGroup
from messaging import campaigns, sending
from messaging.consents import Evidence, set_consent
from messaging.models import Campaign, Delivery, MessagingSettings
from tests.eservices import factories as f

from .conftest import resident_with_arrears, verify_phone

pytestmark = pytest.mark.django_db

OVERDUE_EMAIL = [("email", "overdue")]


def arrears_campaign(template, **fields) -> Campaign:
    fields.setdefault("query_params", {})
    return Campaign.objects.create(
        name="Zaległości", template=template, query_code="total_arrears", **fields
    )


def bodies(smtp) -> dict[str, str]:
    """Recipient → plain text of each received message."""
    out = {}
    for received in smtp.messages:
        message = email.message_from_bytes(received.data, policy=policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                out[received.rcpt_tos[0]] = part.get_content()
                break
    return out


def test_dry_run_counts_who_would_get_it_and_why_not(arrears_email_template):
    _consenting, _ = resident_with_arrears(grants=OVERDUE_EMAIL)
    resident_with_arrears()  # an account without the consent
    f.installment(f.ledger(f.taxpayer()), "50.00", date(2025, 1, 15))  # no account
    campaign = arrears_campaign(arrears_email_template, link="https://gmina.example/ankieta")

    run = campaigns.dry_run(campaign)

    assert (run.taxpayers, run.without_account) == (3, 1)
    assert (run.recipients, run.without_consent, run.without_contact, run.will_send) == (2, 1, 0, 1)
    ((recipient, sample),) = run.samples
    assert recipient == str(_consenting)
    assert sample.subject == "Zaległość Anna"
    assert "zaległość: 120,00 zł" in sample.text
    assert "Ankieta: https://gmina.example/ankieta" in sample.text


def test_sms_dry_run_counts_residents_without_a_verified_phone(db):
    from messaging.models import MessageTemplate

    template = MessageTemplate.objects.create(
        name="SMS",
        channel="sms",
        category="overdue",
        source="total_arrears",
        text="Gmina: masz zaległość. Tel. 12 345 67 89",
    )
    verified, _ = resident_with_arrears(grants=[("sms", "overdue")])
    verify_phone(verified)
    resident_with_arrears(grants=[("sms", "overdue")])
    run = campaigns.dry_run(arrears_campaign(template))
    assert (run.recipients, run.without_contact, run.will_send) == (2, 1, 1)
    assert run.samples[0][1].sms_info.parts == 1


def test_dry_run_reads_a_fixed_number_of_queries_whatever_the_audience(db):
    """Accounts, consents and contacts are read as sets, not per recipient."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from messaging.models import MessageTemplate

    template = MessageTemplate.objects.create(
        name="SMS", channel="sms", category="overdue", source="total_arrears", text="Gmina."
    )

    def queries_for_a_dry_run() -> tuple[int, int]:
        campaign = arrears_campaign(template)
        with CaptureQueriesContext(connection) as queries:
            run = campaigns.dry_run(campaign)
        return len(queries), run.will_send

    for n in range(2):
        verify_phone(resident_with_arrears(grants=[("sms", "overdue")])[0], f"+4850100000{n}")
    few = queries_for_a_dry_run()
    for n in range(5):
        verify_phone(resident_with_arrears(grants=[("sms", "overdue")])[0], f"+4850200000{n}")
        resident_with_arrears(grants=[("sms", "overdue")])  # no phone
    more = queries_for_a_dry_run()
    assert (few[1], more[1]) == (2, 7)
    assert more[0] == few[0]


def test_outbox_is_one_row_per_campaign_recipient_and_channel(arrears_email_template):
    resident_with_arrears(grants=OVERDUE_EMAIL)
    resident_with_arrears(grants=OVERDUE_EMAIL)
    resident_with_arrears()
    campaign = arrears_campaign(arrears_email_template)
    assert campaigns.materialise(campaign) == 2
    assert campaigns.materialise(campaign) == 2  # again: nothing added
    assert Delivery.objects.filter(campaign=campaign).count() == 2
    row = Delivery.objects.filter(campaign=campaign).first()
    assert row.status == "created" and row.key == f"c{campaign.pk}:u{row.user_id}:email"


def test_campaign_emails_reach_the_smtp_server_with_one_click_unsubscribe(
    arrears_email_template, smtp_server, clerk, django_capture_on_commit_callbacks
):
    first, _ = resident_with_arrears(grants=OVERDUE_EMAIL)
    second, _ = resident_with_arrears(amount="75.50", grants=OVERDUE_EMAIL)
    campaign = arrears_campaign(arrears_email_template)

    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.submit(campaign, clerk) == "sending"  # eager Celery drains it

    campaign.refresh_from_db()
    assert campaign.status == "finished"
    received = bodies(smtp_server)
    assert set(received) == {first.email, second.email}
    assert "120,00 zł" in received[first.email]
    assert "75,50 zł" in received[second.email]
    raw = smtp_server.messages[0].data.decode()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert "https://e-uslugi.gmina.example/powiadomienia/wypisz/" in raw
    assert smtp_server.connections == 1  # one SMTP session for the batch
    progress = campaigns.progress(campaign)
    assert (progress["sent"], progress["pending"], progress["failed"]) == (2, 0, 0)


def test_consent_is_checked_when_sending_not_only_when_planning(
    arrears_email_template, smtp_server
):
    stays, _ = resident_with_arrears(grants=OVERDUE_EMAIL)
    leaves, _ = resident_with_arrears(grants=OVERDUE_EMAIL)
    campaign = arrears_campaign(arrears_email_template)
    campaigns.materialise(campaign)
    # Withdrawn after the outbox was built, before the worker got to it.
    set_consent(leaves, "email", "overdue", False, Evidence())

    while sending.drain_batch(campaign.pk):
        pass

    assert set(bodies(smtp_server)) == {stays.email}
    skipped = Delivery.objects.get(campaign=campaign, user=leaves)
    assert skipped.status == "skipped" and "consent" in skipped.error


def test_a_permanent_failure_suppresses_the_address(arrears_email_template, smtp_server):
    resident, _ = resident_with_arrears(grants=[*OVERDUE_EMAIL, ("email", "news")])
    smtp_server.reply_next("RCPT", "550 5.1.1 No such user")
    campaign = arrears_campaign(arrears_email_template)
    campaigns.materialise(campaign)
    sending.drain_batch(campaign.pk)
    row = Delivery.objects.get(campaign=campaign)
    assert row.status == "permanent_failure"
    from messaging.consents import has_consent
    from messaging.models import Suppression

    assert Suppression.objects.filter(channel="email", address=resident.email).exists()
    assert not has_consent(resident.pk, "email", "news")  # withdrawn on the record


def test_a_temporary_failure_is_retried_then_given_up(arrears_email_template, smtp_server):
    resident_with_arrears(grants=OVERDUE_EMAIL)
    smtp_server.reply_next("DATA", "451 4.3.0 Try again later", count=sending.MAX_ATTEMPTS)
    campaign = arrears_campaign(arrears_email_template)
    campaigns.materialise(campaign)
    for _attempt in range(sending.MAX_ATTEMPTS):
        assert sending.drain_batch(campaign.pk) == 1
    assert sending.drain_batch(campaign.pk) == 0
    row = Delivery.objects.get(campaign=campaign)
    assert (row.status, row.attempts) == ("temporary_failure", sending.MAX_ATTEMPTS)
    assert smtp_server.messages == []


def test_stopped_campaign_resumes_where_it_stopped(
    arrears_email_template, smtp_server, clerk, django_capture_on_commit_callbacks
):
    residents = [resident_with_arrears(grants=OVERDUE_EMAIL)[0] for _ in range(5)]
    campaign = arrears_campaign(arrears_email_template)
    campaigns.materialise(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    assert sending.drain_batch(campaign.pk, limit=2) == 2
    campaigns.stop(campaign)
    campaign.refresh_from_db()
    assert campaign.status == "stopped"

    with django_capture_on_commit_callbacks(execute=True):
        campaigns.submit(campaign, clerk)  # "Resume sending"

    campaign.refresh_from_db()
    assert campaign.status == "finished"
    recipients = [m.rcpt_tos[0] for m in smtp_server.messages]
    assert sorted(recipients) == sorted(r.email for r in residents)  # each exactly once


def test_a_crash_mid_batch_never_sends_twice(arrears_email_template, smtp_server, monkeypatch):
    """The worker dies after sending 2 of 4 claimed rows; a new run sends only the rest."""
    residents = [resident_with_arrears(grants=OVERDUE_EMAIL)[0] for _ in range(6)]
    campaign = arrears_campaign(arrears_email_template)
    campaigns.materialise(campaign)
    real_send = sending.send_claimed
    calls = {"n": 0}

    def dying_send(delivery, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")
        return real_send(delivery, *args, **kwargs)

    monkeypatch.setattr(sending, "send_claimed", dying_send)
    with pytest.raises(SystemExit):
        sending.drain_batch(campaign.pk, limit=4)
    monkeypatch.setattr(sending, "send_claimed", real_send)

    # The restarted worker: the 2 unsent rows of the dead batch stay "sending" (the operator
    # may have taken them), the other 2 go out now.
    while sending.drain_batch(campaign.pk):
        pass
    received = [m.rcpt_tos[0] for m in smtp_server.messages]
    assert len(received) == len(set(received)) == 4
    statuses = sorted(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert statuses == ["sending", "sending", "sent", "sent", "sent", "sent"]
    assert {r.email for r in residents} - set(received) == set(
        Delivery.objects.filter(campaign=campaign, status="sending").values_list(
            "user__email", flat=True
        )
    )
    # An operator's review marks them instead of re-sending blindly.
    assert sending.release_stale(older_than=__import__("datetime").timedelta(0)) == 2


def test_approval_step_when_administrators_turn_it_on(
    arrears_email_template, smtp_server, clerk, administrator, django_capture_on_commit_callbacks
):
    settings_row = MessagingSettings.load()
    settings_row.campaigns_require_approval = True
    settings_row.save()
    resident_with_arrears(grants=OVERDUE_EMAIL)
    campaign = arrears_campaign(arrears_email_template)

    assert campaigns.submit(campaign, clerk) == "awaiting_approval"
    assert smtp_server.messages == [] and not campaign.deliveries.exists()
    with pytest.raises(ValidationError):
        campaigns.submit(campaign, clerk)  # a second click changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        campaigns.approve(campaign, administrator)
    campaign.refresh_from_db()
    assert campaign.approved_by == administrator
    assert campaign.status == "finished"
    assert len(smtp_server.messages) == 1


def test_scheduled_campaign_waits_for_its_time(
    arrears_email_template, smtp_server, clerk, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    resident_with_arrears(grants=OVERDUE_EMAIL)
    later = timezone.now() + timedelta(hours=2)
    campaign = arrears_campaign(arrears_email_template, scheduled_at=later)
    assert campaigns.submit(campaign, clerk) == "scheduled"
    assert campaigns.release_scheduled() == []
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.release_scheduled(now=later + timedelta(minutes=1)) == [campaign.pk]
    assert len(smtp_server.messages) == 1


def test_group_campaign_with_a_survey_link(smtp_server, clerk, django_capture_on_commit_callbacks):
    from messaging.models import MessageTemplate

    template = MessageTemplate.objects.create(
        name="Ankieta",
        channel="email",
        category="news",
        source="group",
        subject="Ankieta",
        text="((imie)), zapraszamy: ((link))",
    )
    user = f.user()
    set_consent(user, "email", "news", True, Evidence())
    tp = f.taxpayer(first_name="Ewa")
    f.link(user, tp)
    group = TaxpayerGroup.objects.create(name="Sołectwo Zalesie")
    group.members.add(tp)
    campaign = Campaign.objects.create(
        name="Ankieta", template=template, group=group, link="https://gmina.example/ankieta/1/"
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.submit(campaign, clerk)
    assert "Ewa, zapraszamy: https://gmina.example/ankieta/1/" in bodies(smtp_server)[user.email]


def test_template_for_another_source_is_refused(arrears_email_template, clerk):
    group = TaxpayerGroup.objects.create(name="G")
    campaign = Campaign.objects.create(name="x", template=arrears_email_template, group=group)
    with pytest.raises(ValidationError):
        campaigns.submit(campaign, clerk)


# --- Admin pages ------------------------------------------------------------------------------


def test_campaign_page_dry_run_and_start(
    clerk_client, arrears_email_template, smtp_server, django_capture_on_commit_callbacks
):
    resident_with_arrears(grants=OVERDUE_EMAIL)
    resident_with_arrears()
    campaign = arrears_campaign(arrears_email_template)
    url = reverse("messaging_campaign_detail", args=(campaign.pk,))
    page = clerk_client.post(url, {"action": "dry_run"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "data-will-send>1<" in html and "data-without-consent>1<" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(url, {"action": "submit"})
    assert response.status_code == 302
    page = clerk_client.get(url).content.decode()
    assert "data-sent>1<" in page
    from wagtail.models import ModelLogEntry

    assert ModelLogEntry.objects.filter(action="messaging.campaign_start").exists()


def test_clerks_cannot_approve(clerk_client, arrears_email_template):
    campaign = arrears_campaign(arrears_email_template, status="awaiting_approval")
    url = reverse("messaging_campaign_detail", args=(campaign.pk,))
    response = clerk_client.post(url, {"action": "approve"})
    # Wagtail answers a PermissionDenied in the admin with a redirect and an error message.
    assert response.status_code == 302 and response["Location"] == "/admin/"
    campaign.refresh_from_db()
    assert campaign.status == "awaiting_approval"
