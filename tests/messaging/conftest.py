"""Fixtures of the messaging tests: residents with dues, staff sessions, the SMTP fake."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.utils import timezone

from eservices.roles import ADMINISTRATORS, CLERKS, grant_permissions
from messaging.consents import Evidence, set_consent
from messaging.models import MessageTemplate, VerifiedPhone
from messaging.roles import GRANTS
from tests.eservices import factories as f
from tests.eservices.conftest import login_verified
from tests.fakes.smtp import smtp_server  # noqa: F401 - fixture

PORTAL = Evidence()


@pytest.fixture(autouse=True)
def _email_settings(settings):
    settings.PORTAL_BASE_URL = "https://e-uslugi.gmina.example"
    settings.MESSAGING_SMS_PROVIDER = "console"


@pytest.fixture(autouse=True)
def _fresh_claim_positions(monkeypatch):
    """Where this process's claims stopped is kept per campaign id, and SQLite gives a rolled
    back test's ids to the next test's rows: each test starts from a clean slate."""
    from messaging import sending

    monkeypatch.setattr(sending, "_claimed_up_to", {})


@pytest.fixture
def roles(db):
    """Role groups with messaging's grants and admin access.

    Granted here because a transactional test (the race and real-worker tests) truncates what
    the migrations inserted, for the tests that run after it on a reused database.
    """
    grant_permissions(apps, GRANTS)
    grant_permissions(apps, dict.fromkeys(GRANTS, ("wagtailadmin.access_admin",)))


def make_staff(role: str, email: str | None = None):
    user = f.user(email or f"{role.lower()}-{f.next_id('s')}@gmina.example", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def clerk(roles):
    return make_staff(CLERKS)


@pytest.fixture
def administrator(roles):
    return make_staff(ADMINISTRATORS)


@pytest.fixture
def clerk_client(client, clerk):
    return login_verified(client, clerk)


def resident_with_arrears(
    email: str | None = None, amount: str = "120.00", overdue_days: int = 40, **consent
):
    """A resident account linked to a taxpayer owing ``amount`` overdue; consents as given."""
    user = f.user(email, first_name="Anna", last_name="Nowak")
    tp = f.taxpayer(first_name="Anna", last_name=f.next_id("Nowak"), email=user.email)
    f.link(user, tp)
    due = timezone.localdate() - timedelta(days=overdue_days)
    f.installment(f.ledger(tp), amount, due)
    for channel, category in consent.get("grants", []):
        set_consent(user, channel, category, True, PORTAL)
    return user, tp


def verify_phone(user, phone: str = "+48600100200"):
    return VerifiedPhone.objects.update_or_create(user=user, defaults={"phone": phone})[0]


@pytest.fixture
def arrears_email_template(db):
    return MessageTemplate.objects.create(
        name="Zaległość",
        channel="email",
        category="overdue",
        source="total_arrears",
        subject="Zaległość ((imie))",
        text="Dzień dobry ((imie)), zaległość: ((kwota_zaleglosci)).((link?? Ankieta: ))((link))",
    )


@pytest.fixture
def today() -> date:
    return timezone.localdate()
