"""Resident accounts in a real browser: register → activate → log in; forgotten password; a
counter-created account's forced password change. axe-core finds no WCAG 2.1 A/AA violation on
the registration, reset and account pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import Page, expect

from tests.e2e.conftest import django_sync, ui_text

pytestmark = pytest.mark.e2e

PESEL = "44051401359"
PASSWORD = "kwiat-lipa-rzeka-42"
NEW_PASSWORD = "nowe-haslo-sosna-77"
LINK = re.compile(r"https?://[^/\s]+(/\S+)")


def mailed_path(address: str) -> str:
    with django_sync():
        messages = [m for m in mail.outbox if address in m.to]
    assert messages, f"no e-mail to {address}"
    return LINK.search(messages[-1].body).group(1)


def password_log_in(page: Page, email: str, password: str) -> None:
    page.goto("/konto/logowanie/")
    page.get_by_label(ui_text("Email address")).fill(email)
    page.get_by_label(ui_text("Password"), exact=True).fill(password)
    page.locator("main").get_by_role("button", name=ui_text("Log in"), exact=True).click()


def test_register_activate_and_log_in(page: Page, axe, live_site):
    email = "nowa.mieszkanka@example.pl"
    page.goto("/konto/logowanie/")
    axe(page)
    page.get_by_role("link", name=ui_text("Create an account")).click()
    axe(page)
    page.get_by_role("link", name=ui_text("A natural person")).click()
    expect(page.locator("h1")).to_have_text(ui_text("Create an account for a natural person"))

    # A wrong PESEL gets a message on its field and the summary; nothing is created.
    page.get_by_label(ui_text("First name")).fill("Zofia")
    page.get_by_label(ui_text("Last name")).fill("Mazur")
    page.get_by_label(ui_text("PESEL")).fill("44051401358")
    page.get_by_label(ui_text("Email address")).fill(email)
    page.get_by_label(ui_text("Password"), exact=True).fill(PASSWORD)
    page.get_by_label(ui_text("Repeat the password")).fill(PASSWORD)
    page.get_by_label(
        ui_text("I have read the information on the processing of my personal data")
    ).check()
    page.get_by_role("button", name=ui_text("Create the account")).click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_label(ui_text("PESEL"))).to_have_attribute("aria-invalid", "true")
    axe(page)

    page.get_by_label(ui_text("PESEL")).fill(PESEL)
    page.get_by_label(ui_text("Password"), exact=True).fill(PASSWORD)
    page.get_by_label(ui_text("Repeat the password")).fill(PASSWORD)
    page.get_by_role("button", name=ui_text("Create the account")).click()
    expect(page.locator("h1")).to_have_text(ui_text("Check your email"))

    page.goto(mailed_path(email))
    page.get_by_role("button", name=ui_text("Activate the account")).click()
    expect(page.locator(".message").first).to_contain_text(
        ui_text("Your account is active. You can log in now.")
    )
    password_log_in(page, email, PASSWORD)
    page.goto("/konto/")
    expect(page.locator("#moje-dane-heading")).to_have_text(ui_text("My data"))
    expect(page.locator("#session-notice")).to_be_visible()
    axe(page)


def test_forgotten_password_sets_a_new_one(page: Page, axe, live_site):
    email = "reset@example.pl"
    with django_sync():
        user = get_user_model().objects.create_user(email, PASSWORD)
        user.pesel = PESEL
        user.save()
    page.goto("/konto/logowanie/")
    page.get_by_role("link", name=ui_text("Forgotten password?")).click()
    axe(page)
    page.get_by_label(ui_text("Email address")).fill(email)
    page.get_by_label(ui_text("PESEL, NIP or REGON")).fill(PESEL)
    page.get_by_role("button", name=ui_text("Send the link")).click()
    expect(page.locator("h1")).to_have_text(ui_text("Check your email"))

    page.goto(mailed_path(email))
    axe(page)
    page.get_by_label(ui_text("New password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(ui_text("Repeat the new password")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=ui_text("Save the new password")).click()
    expect(page).to_have_url(re.compile(r"/konto/logowanie/$"))
    password_log_in(page, email, NEW_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/konto/logowanie/"))


def test_counter_created_account_must_change_the_initial_password(page: Page, axe, live_site):
    email = "z.okienka@example.pl"
    initial = "abcde-fghjk-mnpqr"
    with django_sync():
        user = get_user_model().objects.create_user(email, initial, must_change_password=True)
    password_log_in(page, email, initial)
    expect(page).to_have_url(re.compile(r"/konto/haslo/zmiana/$"))
    page.goto("/moje-naleznosci/")
    expect(page).to_have_url(re.compile(r"/konto/haslo/zmiana/$"))
    axe(page)
    page.get_by_label(ui_text("Current password")).fill(initial)
    page.get_by_label(ui_text("New password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(ui_text("Repeat the new password")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=ui_text("Change the password")).click()
    expect(page).to_have_url(re.compile(r"/konto/$"))
    axe(page)
    with django_sync():
        user.refresh_from_db()
        assert not user.must_change_password
