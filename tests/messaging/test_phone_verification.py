"""Phone verification: a code sent through the SMS channel, expiry, attempt and resend limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import phone
from messaging.models import PhoneVerification, VerifiedPhone
from tests.eservices import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(monkeypatch):
    """The code the next start() draws (the channel itself is the real console channel)."""
    monkeypatch.setattr(phone.secrets, "randbelow", lambda n: 123456)
    return "123456"


def test_a_number_is_verified_with_the_code_sent_to_it(code, capsys):
    user = f.user()
    phone.start(user, "600 100 200")
    assert "123456" in capsys.readouterr().out  # the console channel printed the SMS
    verified = phone.confirm(user, " 123 456 ")
    assert verified.phone == "+48600100200"
    assert VerifiedPhone.objects.get(user=user).phone == "+48600100200"
    # The code is stored hashed, never as typed.
    assert "123456" not in PhoneVerification.objects.get(user=user).code_hash


@pytest.mark.parametrize("raw", ["12345", "+49 151 1234 5678", "22 123 45 67", "abc"])
def test_only_polish_mobile_numbers(raw):
    with pytest.raises(phone.VerificationError):
        phone.start(f.user(), raw)


def test_wrong_codes_count_and_lock_after_the_limit(code):
    user = f.user()
    phone.start(user, "600100200")
    for left in range(phone.MAX_ATTEMPTS - 1, 0, -1):
        with pytest.raises(phone.VerificationError, match=f"Pozostało prób: {left}"):
            phone.confirm(user, "000000")
    with pytest.raises(phone.VerificationError, match="Zbyt wiele"):
        phone.confirm(user, "000000")
    # Even the right code is refused now: a new one must be asked for.
    with pytest.raises(phone.VerificationError, match="Zbyt wiele"):
        phone.confirm(user, code)
    assert not VerifiedPhone.objects.filter(user=user).exists()
    assert PhoneVerification.objects.get(user=user).attempts == phone.MAX_ATTEMPTS


def test_an_expired_code_is_refused(code):
    user = f.user()
    phone.start(user, "600100200")
    PhoneVerification.objects.filter(user=user).update(expires_at=timezone.now())
    with pytest.raises(phone.VerificationError, match="wygasł"):
        phone.confirm(user, code)


def test_resend_waits_a_minute_and_stops_after_the_limit(code):
    user = f.user()
    phone.start(user, "600100200")
    with pytest.raises(phone.VerificationError, match="Odczekaj"):
        phone.start(user, "600100200")
    for _ in range(phone.MAX_SENDS - 1):
        PhoneVerification.objects.filter(user=user).update(
            last_sent_at=timezone.now() - timedelta(minutes=2)
        )
        phone.start(user, "600100200")
    PhoneVerification.objects.filter(user=user).update(
        last_sent_at=timezone.now() - timedelta(minutes=2)
    )
    with pytest.raises(phone.VerificationError, match="zbyt wiele razy"):
        phone.start(user, "600100200")
    assert PhoneVerification.objects.get(user=user).sends == phone.MAX_SENDS


def test_daily_cap_on_codes_per_account(code):
    user = f.user()
    for i in range(phone.DAILY_CODES):
        phone.start(user, f"60010020{i}")
    with pytest.raises(phone.VerificationError, match="Zbyt wiele kodów dzisiaj"):
        phone.start(user, "600100209")


def test_a_code_verifies_only_its_own_account(code):
    owner, other = f.user(), f.user()
    phone.start(owner, "600100200")
    with pytest.raises(phone.VerificationError, match="Najpierw poproś o kod"):
        phone.confirm(other, code)


def test_the_account_page_forms_verify_the_number(client, code):
    from django.urls import reverse

    user = f.user()
    client.force_login(user)
    response = client.post(reverse("messaging:phone_start"), {"phone": "+48 600 100 200"})
    assert response.status_code == 302
    page = client.get(reverse("eservices:account")).content.decode()
    assert 'name="code"' in page  # the code form appears once a code was sent
    client.post(reverse("messaging:phone_confirm"), {"code": "000000"})
    assert not VerifiedPhone.objects.filter(user=user).exists()
    client.post(reverse("messaging:phone_confirm"), {"code": code})
    assert VerifiedPhone.objects.get(user=user).phone == "+48600100200"
    assert "+48600100200" in client.get(reverse("eservices:account")).content.decode()


def test_demo_data_loads_twice(db):
    from django.core.management import call_command

    from messaging.models import Campaign, ConsentEvent

    for _ in range(2):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Campaign.objects.filter(status="finished").count() == 1
    jan_events = ConsentEvent.objects.filter(user__email="jan.kowalski@przykladowo.example")
    assert jan_events.count() == 5
