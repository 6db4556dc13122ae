"""Messaging in a real browser: a clerk writes an email template, previews it with a real row,
builds a campaign on a defined query, runs a dry run and sends it — the email arrives at the
loopback SMTP server; a resident withdraws a consent on the account page (one click, no
JavaScript needed) and the history records it; axe-core finds no WCAG 2.1 A/AA violation on
the account page's consents section or the unsubscribe page."""

from __future__ import annotations

import email
import re
from email import policy

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from eservices.queries import get_query
from eservices.templatetags.eservices_tags import format_money
from messaging.models import Campaign, ConsentEvent
from messaging.sending import unsubscribe_token
from tests.e2e.conftest import django_sync, ui_text
from tests.e2e.test_surveys_journeys import CLERK, JAN, resident_log_in, staff_log_in
from tests.fakes.smtp import smtp_server  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e

SUBJECT = "Zaległość wobec gminy – ((imie))"
TEXT = "Dzień dobry ((imie)), zaległość wynosi ((kwota_zaleglosci)). Termin: ((najstarszy_termin))."


def test_clerk_previews_a_template_and_sends_a_campaign_to_a_defined_query(
    page: Page,
    smtp_server,  # noqa: F811
):
    staff_log_in(page, *CLERK)

    # The template: typed, previewed with a real row before it is saved, then saved.
    page.goto("/admin/messaging/templates/new/")
    page.locator("#id_name").fill("Zaległość (e2e)")
    page.locator("#id_channel").select_option("email")
    page.locator("#id_category").select_option("overdue")
    page.locator("#id_source").select_option("total_arrears")
    page.locator("#id_subject").fill(SUBJECT)
    page.locator("#id_text").fill(TEXT)
    page.get_by_role("button", name=ui_text("Preview")).click()
    with django_sync():
        first = get_query("total_arrears").run({"as_of": timezone.localdate()})[0]
    preview = page.locator("[data-preview-text]")
    expected = f"zaległość wynosi {format_money(first.arrears, language='pl')}"
    expect(preview).to_contain_text(expected.replace("\u00a0", " "))
    expect(preview).to_contain_text(f"Dzień dobry {first.first_name or first.organisation_name}")
    expect(preview).not_to_contain_text("((")
    page.go_back()
    page.locator("#id_name").fill("Zaległość (e2e)")
    page.locator("#id_channel").select_option("email")
    page.locator("#id_category").select_option("overdue")
    page.locator("#id_source").select_option("total_arrears")
    page.locator("#id_subject").fill(SUBJECT)
    page.locator("#id_text").fill(TEXT)
    page.locator("form#w-editor-form footer button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/messaging/templates/$"))

    # The campaign: the arrears query as of today.
    page.goto("/admin/messaging/campaigns/new/")
    page.locator("#id_name").fill("Zaległości e2e")
    page.locator("#id_template").select_option(label="Zaległość (e2e)")
    page.locator("#id_query_code").select_option("total_arrears")
    page.locator("#id_q_as_of").fill(timezone.localdate().isoformat())
    page.locator("form#w-editor-form footer button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/admin/messaging/campaigns/$"))
    with django_sync():
        campaign = Campaign.objects.get(name="Zaległości e2e")
        assert campaign.query_params["as_of"] == timezone.localdate().isoformat()

    page.goto(f"/admin/messaging/campaigns/{campaign.pk}/status/")
    page.get_by_role("button", name=ui_text("Dry run")).click()
    expect(page.locator("[data-will-send]")).to_have_text("1")  # Jan consented to email reminders
    expect(page.locator("[data-sample]").first).to_contain_text("Dzień dobry Jan")
    assert smtp_server.messages == []  # a dry run sends nothing

    page.get_by_role("button", name=ui_text("Start the campaign")).click()
    expect(page.locator("[data-campaign-status]")).to_have_text(ui_text("Finished"))
    expect(page.locator("[data-sent]")).to_have_text("1")
    (received,) = smtp_server.messages
    assert list(received.rcpt_tos) == [JAN[0]]
    message = email.message_from_bytes(received.data, policy=policy.default)
    assert str(message["Subject"]) == "Zaległość wobec gminy – Jan"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_resident_withdraws_a_consent_on_the_account_page(page: Page, axe):
    resident_log_in(page, *JAN)
    page.goto("/konto/")
    section = page.locator("section#powiadomienia")
    expect(section.locator("h2")).to_have_text(ui_text("Notifications"))
    axe(page)

    box = section.locator("fieldset", has_text=ui_text("Overdue payments")).get_by_label(
        ui_text("Email")
    )
    expect(box).to_be_checked()
    box.uncheck()
    section.get_by_role("button", name=ui_text("Save my choices")).click()
    expect(page.locator(".messages")).to_contain_text(ui_text("Your choices have been saved."))
    expect(
        page.locator(
            "section#powiadomienia fieldset", has_text=ui_text("Overdue payments")
        ).get_by_label(ui_text("Email"))
    ).not_to_be_checked()
    axe(page)
    with django_sync():
        event = ConsentEvent.objects.filter(user__email=JAN[0]).first()
        assert (event.channel, event.category, event.action, event.source) == (
            "email",
            "overdue",
            "withdrawn",
            "portal",
        )

    # Giving it back is the same single click.
    page.locator(
        "section#powiadomienia fieldset", has_text=ui_text("Overdue payments")
    ).get_by_label(ui_text("Email")).check()
    page.locator("section#powiadomienia").get_by_role(
        "button", name=ui_text("Save my choices")
    ).click()
    expect(
        page.locator(
            "section#powiadomienia fieldset", has_text=ui_text("Overdue payments")
        ).get_by_label(ui_text("Email"))
    ).to_be_checked()


def test_unsubscribe_page_asks_before_withdrawing(page: Page, axe):
    with django_sync():
        from django.contrib.auth import get_user_model

        jan = get_user_model().objects.get(email=JAN[0])
        token = unsubscribe_token(jan.pk, "email", "news")
    page.goto(f"/powiadomienia/wypisz/{token}/")
    expect(page.locator("h1")).to_have_text(ui_text("Unsubscribe"))
    axe(page)
    page.get_by_role("button", name=ui_text("Yes, unsubscribe me")).click()
    expect(page.locator("[role=status]").last).to_contain_text("Nie będziesz już otrzymywać")
    with django_sync():
        assert ConsentEvent.objects.filter(user=jan, source="unsubscribe", category="news").exists()
