"""Staff second factor, lock-outs and security headers (issue 3, "Staff"; PRACTICES.md §7-§9)."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from eservices.roles import ADMINISTRATORS, CLERKS, EDITORS
from eservices.staff_security import lockout
from eservices.staff_security.devices import new_backup_codes

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login/"


def staff(role: str = ADMINISTRATORS, email: str | None = None) -> User:
    user = User.objects.create_user(email or f"{role.lower()}@gmina.example", PASSWORD)
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


def with_totp(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def code(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


def admin_login(client: Client, user, token: str = "", **extra):
    data = {"username": user.email, "password": PASSWORD, "otp_token": token, "next": "/admin/"}
    return client.post(LOGIN, data, **extra)


def is_verified(client: Client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


# --- The admin login ---------------------------------------------------------------------------


def test_login_without_a_token_is_refused(client: Client):
    user = staff()
    with_totp(user)
    response = admin_login(client, user)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "kod z aplikacji" in response.content.decode()
    assert 'autocomplete="one-time-code"' in response.content.decode()


def test_login_with_a_wrong_token_is_refused(client: Client):
    user = staff()
    device = with_totp(user)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    response = admin_login(client, user, wrong)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_with_a_valid_totp_is_verified(client: Client):
    user = staff()
    device = with_totp(user)
    response = admin_login(client, user, code(device))
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/admin/").status_code == 200


def test_a_used_totp_cannot_be_used_again(client: Client):
    user = staff()
    device = with_totp(user)
    token = code(device)
    assert admin_login(client, user, token).status_code == 302
    device.refresh_from_db()
    assert device.last_t >= 0
    other = Client()
    response = admin_login(other, user, token)
    assert response.status_code == 200
    assert "_auth_user_id" not in other.session


def test_failures_throttle_the_device(client: Client):
    user = staff()
    device = with_totp(user)
    good = code(device)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    assert admin_login(client, user, wrong).status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Even the right code waits for the back-off (1 s, 2 s, 4 s ...).
    response = admin_login(client, user, good)
    assert response.status_code == 200
    assert "temporarily disabled" in response.content.decode() or "tymczasowo" in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_a_backup_code_works_once(client: Client):
    user = staff()
    with_totp(user)
    backup = new_backup_codes(user, count=3)[0]
    response = admin_login(client, user, backup)
    assert response.status_code == 302
    assert is_verified(client)
    assert not StaticToken.objects.filter(token=backup).exists()
    other = Client()
    assert admin_login(other, user, backup).status_code == 200
    assert "_auth_user_id" not in other.session


def test_staff_without_a_device_logs_in_with_password_and_must_enrol(client: Client):
    user = staff()
    response = admin_login(client, user)
    assert response.status_code == 302
    assert not is_verified(client)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/2fa/wlacz/")


# --- Enforcement on every admin path -----------------------------------------------------------

ADMIN_URLS = [
    "/admin/",
    "/admin/pages/",
    "/admin/users/",
    "/admin/groups/",
    "/admin/images/",
    "/admin/receivables/taxpayers/",
    "/admin/2fa/kody-zapasowe/",
    "/admin/account/",
]


@pytest.mark.parametrize("has_device", [False, True])
def test_force_login_is_sent_to_the_second_factor_on_every_admin_url(client: Client, has_device):
    user = User.objects.create_superuser("root@gmina.example", PASSWORD)
    if has_device:
        with_totp(user)
    client.force_login(user)
    target = "/admin/2fa/weryfikacja/" if has_device else "/admin/2fa/wlacz/"
    for url in ADMIN_URLS:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(target + "?next="), url
    # POSTs are stopped too.
    assert client.post("/admin/users/add/", {}).status_code == 302
    # The enrolment (or verification) page itself opens, and so do logout and static files.
    assert client.get(target, follow=True).status_code == 200
    assert client.get("/admin/jsi18n/").status_code == 200


def test_a_staff_login_through_the_resident_login_does_not_open_the_admin(client: Client):
    user = staff(CLERKS, "urzednik@gmina.example")
    with_totp(user)
    response = client.post(
        "/konto/logowanie/", {"username": user.email, "password": PASSWORD}, follow=False
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/2fa/weryfikacja/")


def test_residents_are_left_to_wagtail(client: Client):
    resident = User.objects.create_user("jan@example.pl", PASSWORD)
    client.force_login(resident)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_verified_session_reaches_the_admin(client: Client, verified_login):
    verified_login(client, staff(EDITORS))
    assert client.get("/admin/pages/").status_code == 200


# --- Enrolment and verification ----------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_secret_and_confirms_the_device(client: Client):
    user = staff()
    client.force_login(user)
    response = client.get("/admin/2fa/wlacz/?next=/admin/pages/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "<path" in body
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', body).group(1)
    from base64 import b32decode

    raw = secret.replace(" ", "")
    assert b32decode(raw + "=" * (-len(raw) % 8)) == device.bin_key
    # A reload shows the same device, not a new secret.
    client.get("/admin/2fa/wlacz/")
    assert TOTPDevice.objects.filter(user=user).count() == 1

    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/admin/2fa/wlacz/", {"otp_token": wrong, "next": "/admin/pages/"})
    assert response.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed

    device.throttling_failure_timestamp = None
    device.throttling_failure_count = 0
    device.save()
    response = client.post("/admin/2fa/wlacz/", {"otp_token": code(device), "next": "/admin/"})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert is_verified(client)
    codes = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert len(codes) == 10
    assert all(c in response.content.decode() for c in codes)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/2fa/kody-zapasowe/").status_code == 200


def test_enrolment_cannot_replace_a_device_the_session_has_not_shown(client: Client):
    user = staff()
    with_totp(user)
    client.force_login(user)
    response = client.get("/admin/2fa/wlacz/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/2fa/weryfikacja/")
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_verification_page_verifies_the_session(client: Client):
    user = staff()
    device = with_totp(user)
    client.force_login(user)
    key_before = client.session.session_key
    assert client.get("/admin/2fa/weryfikacja/?next=/admin/users/").status_code == 200
    response = client.post(
        "/admin/2fa/weryfikacja/", {"otp_token": code(device), "next": "/admin/users/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/users/"
    assert is_verified(client)
    assert client.session.session_key != key_before
    assert client.get("/admin/users/").status_code == 200


def test_verification_refuses_a_foreign_next(client: Client):
    user = staff()
    device = with_totp(user)
    client.force_login(user)
    response = client.post(
        "/admin/2fa/weryfikacja/", {"otp_token": code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/"


# --- django-axes -------------------------------------------------------------------------------


def test_three_failures_lock_the_username_and_ip_pair_only(client: Client):
    user = staff()
    device = with_totp(user)
    for _ in range(3):
        response = client.post(LOGIN, {"username": user.email, "password": "wrong-password"})
    assert response.status_code == 429
    # Locked even with the right password and code.
    assert admin_login(client, user, code(device)).status_code == 429
    # The same user from another address is not locked out.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert admin_login(other, user, code(device)).status_code == 302
    # Nor is another user from the locked address.
    colleague = staff(EDITORS)
    colleague_device = with_totp(colleague)
    assert admin_login(Client(), colleague, code(colleague_device)).status_code == 302


def test_the_resident_login_is_locked_out_too(client: Client):
    user = User.objects.create_user("jan@example.pl", PASSWORD)
    for _ in range(3):
        response = client.post(
            "/konto/logowanie/", {"username": user.email, "password": "wrong-password"}
        )
    assert response.status_code == 429


def test_the_lock_ends_after_the_cool_off(client: Client):
    user = staff()
    device = with_totp(user)
    for _ in range(3):
        client.post(LOGIN, {"username": user.email, "password": "wrong-password"})
    assert admin_login(client, user, code(device)).status_code == 429
    # 15 minutes later (first tier) ...
    past = timezone.now() - timedelta(minutes=16)
    AccessAttempt.objects.update(attempt_time=past)
    AccessAttemptExpiration.objects.update(expires_at=past + timedelta(minutes=15))
    assert admin_login(client, user, code(device)).status_code == 302


def test_a_successful_login_resets_the_failures(client: Client):
    user = staff()
    device = with_totp(user)
    for _ in range(2):
        client.post(LOGIN, {"username": user.email, "password": "wrong-password"})
    assert AccessAttempt.objects.get().failures_since_start == 2
    assert admin_login(client, user, code(device)).status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    for _ in range(2):
        assert client.post(LOGIN, {"username": user.email, "password": "x"}).status_code == 200


@pytest.mark.parametrize(
    ("earlier_failures", "cool_off"),
    [
        (0, timedelta(minutes=15)),
        (4, timedelta(minutes=15)),
        (5, timedelta(hours=2)),
        (9, timedelta(hours=24)),
    ],
)
def test_cool_off_tiers(earlier_failures, cool_off):
    request = RequestFactory().post(LOGIN, {"username": "a@gmina.example"})
    request.axes_ip_address = "127.0.0.1"
    for _ in range(earlier_failures):
        AccessFailureLog.objects.create(
            username="a@gmina.example", ip_address="127.0.0.1", attempt_time=timezone.now()
        )
    # Another address's failures do not count.
    AccessFailureLog.objects.create(
        username="a@gmina.example", ip_address="10.0.0.1", attempt_time=timezone.now()
    )
    assert lockout.cool_off(request) == cool_off


def test_client_ip_behind_the_proxy(settings):
    factory = RequestFactory()
    request = factory.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.2")
    settings.TRUSTED_PROXY_COUNT = 0
    assert lockout.client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert lockout.client_ip(request) == "203.0.113.7"  # the forged 6.6.6.6 is ignored
    assert lockout.client_ip(factory.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


# --- Headers -----------------------------------------------------------------------------------


def test_public_pages_get_a_strict_csp_and_account_pages_no_store(client: Client):
    response = client.get("/konto/logowanie/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert "no-store" in response["Cache-Control"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "no-store" in client.get("/en/konto/logowanie/")["Cache-Control"]
    healthz = client.get("/healthz")
    assert "unsafe-inline" not in healthz["Content-Security-Policy"]


def test_admin_pages_get_the_admin_csp_and_no_store(client: Client, verified_login):
    for response in (client.get(LOGIN), verified_login(client, staff()).get("/admin/")):
        assert response.status_code == 200
        csp = response["Content-Security-Policy"]
        assert "style-src 'self' 'unsafe-inline'" in csp
        assert "object-src 'none'" in csp
        assert "no-store" in response["Cache-Control"]
        assert "Permissions-Policy" in response


# --- create_admin ------------------------------------------------------------------------------


def test_create_admin_bootstraps_an_administrator(client: Client):
    out = StringIO()
    call_command("create_admin", "Szef@Gmina.example", stdout=out)
    text = out.getvalue()
    password = re.search(r"Password:\s+(\S+)", text).group(1)
    backup = re.search(r"Backup code:\s+(\S+)", text).group(1)
    user = User.objects.get(email__iexact="szef@gmina.example")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.groups.filter(name=ADMINISTRATORS).exists()
    assert user.check_password(password)
    response = client.post(
        LOGIN, {"username": user.email, "password": password, "otp_token": backup}
    )
    assert response.status_code == 302
    assert is_verified(client)
    # First thing: enrol an app (the verified session may).
    assert client.get("/admin/2fa/wlacz/").status_code == 200

    with pytest.raises(CommandError):
        call_command("create_admin", "szef@gmina.example", stdout=StringIO())
    assert User.objects.filter(email__iexact="szef@gmina.example").count() == 1
