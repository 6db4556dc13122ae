"""SmtpEmailChannel through a real SMTP server on loopback (tests/fakes/smtp.py): the bytes that
arrive, one connection per batch, failures mapped to the interface's exceptions, and signatures
checked the way receivers check them (openssl smime -verify, dkimpy)."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import shutil
import socket
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from messaging.channels import get_email_channel
from messaging.channels.base import (
    OutgoingEmail,
    PermanentFailure,
    TechnicalFailure,
    TemporaryFailure,
)
from messaging.channels.email import SmtpEmailChannel
from messaging.channels.signing import DkimSigner
from tests.fakes.smime import dkim_verify, make_signer, make_test_pki, openssl_verify
from tests.fakes.smtp import FakeSmtpServer, free_port

FROM = "e-uslugi@przykladowo.example"
UNSUBSCRIBE = "https://e-uslugi.przykladowo.example/callbacks/messaging/u/abc.def-123/"
TEXT = (
    "Dzień dobry Panie Janie,\n\n"
    "przypominamy o zaległości 123,45 zł w podatku od nieruchomości (termin: 15 marca).\n"
    "Wiersz zaczynający się kropką:\n.\n" + "Długi wiersz bez spacji: " + "ż" * 120 + "\n"
)
HTML = "<p>Dzień dobry Panie Janie,</p><p>zaległość <strong>123,45 zł</strong>.</p>"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_test_pki(tmp_path_factory.mktemp("pki"), FROM)


@pytest.fixture
def smtp(settings):
    with FakeSmtpServer() as server:
        for name, value in server.django_settings().items():
            setattr(settings, name, value)
        yield server


@pytest.fixture
def signed(settings, pki):
    """S/MIME from a PEM text and a file path (both forms are accepted), DKIM on."""
    settings.MESSAGING_EMAIL_FROM = f"Urząd Gminy Przykładowo <{FROM}>"
    settings.MESSAGING_SMIME_CERTIFICATE = pki.signer_cert_pem
    settings.MESSAGING_SMIME_KEY = str(pki.signer_key_path)
    settings.MESSAGING_DKIM_DOMAIN = pki.dkim_domain
    settings.MESSAGING_DKIM_SELECTOR = pki.dkim_selector
    settings.MESSAGING_DKIM_KEY = pki.dkim_key_pem
    return settings


def outgoing(n: int = 1, **overrides) -> OutgoingEmail:
    fields = {
        "to": f"jan.kowalski{n}@example.org",
        "subject": "Przypomnienie o terminie płatności",
        "text": TEXT,
        "html": HTML,
        "unsubscribe_url": UNSUBSCRIBE,
        "reference": str(n),
    }
    fields.update(overrides)
    return OutgoingEmail(**fields)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def content_of(part) -> str:
    return part.get_content().replace("\r\n", "\n")  # the wire form is CRLF


# --- what arrives -----------------------------------------------------------------------------


def test_a_signed_message_arrives_and_openssl_verifies_it(smtp, signed, pki):
    with get_email_channel() as channel:
        result = channel.send(outgoing(42))
    assert result.provider_id == "<gmina.42@przykladowo.example>"

    [received] = smtp.messages
    assert received.rcpt_tos == ("jan.kowalski42@example.org",)
    assert received.mail_from == FROM
    raw = received.data
    assert max(raw) < 128, "7-bit clean, so no relay re-encodes the signed part"
    assert b"\n" not in raw.replace(b"\r\n", b"")

    message = parse(raw)
    assert message["From"].addresses[0].display_name == "Urząd Gminy Przykładowo"
    assert message["To"] == "jan.kowalski42@example.org"
    assert message["Subject"] == "Przypomnienie o terminie płatności"
    assert message["Message-ID"] == "<gmina.42@przykladowo.example>"
    assert message["Date"]
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/signed"
    assert message.get_param("protocol") == "application/x-pkcs7-signature"
    assert message.get_param("micalg") == "sha-256"

    content, signature = message.get_payload()
    assert signature.get_content_type() == "application/x-pkcs7-signature"
    assert signature.get_filename() == "smime.p7s"
    # The message headers stay outside the signed entity; the entity is text + HTML.
    assert content["Subject"] is None and content["List-Unsubscribe"] is None
    assert content.get_content_type() == "multipart/alternative"
    plain, html = content.get_payload()
    assert content_of(plain) == TEXT
    assert content_of(html) == HTML
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"

    verified, output = openssl_verify(raw, pki.ca_path)
    assert verified, output
    assert dkim_verify(raw, pki)
    assert dkim_verify(raw, pki)


def test_t24_an_altered_amount_breaks_the_signature(smtp, signed, pki):
    with SmtpEmailChannel() as channel:
        channel.send(outgoing(7))
    raw = smtp.messages[0].data
    assert b"123,45" in raw  # quoted-printable keeps it readable
    tampered = raw.replace(b"123,45", b"999,99", 1)
    verified, output = openssl_verify(tampered, pki.ca_path)
    assert not verified
    assert "digest failure" in output
    assert not dkim_verify(tampered, pki)


def test_t25_dkim_covers_both_unsubscribe_headers_and_verifies_after_smime(smtp, signed, pki):
    with SmtpEmailChannel() as channel:
        channel.send(outgoing(8))
    raw = smtp.messages[0].data
    assert raw.startswith(b"DKIM-Signature:")
    signature = parse(raw)["DKIM-Signature"]
    tags = dict(
        part.strip().split("=", 1) for part in re.sub(r"\s+", "", str(signature)).split(";") if part
    )
    signed_headers = tags["h"].lower().split(":")
    assert {"from", "subject", "list-unsubscribe", "list-unsubscribe-post"} <= set(signed_headers)
    assert tags["d"] == pki.dkim_domain and tags["s"] == pki.dkim_selector
    assert tags["c"] == "relaxed/relaxed"
    assert dkim_verify(raw, pki)
    assert openssl_verify(raw, pki.ca_path)[0]
    # A changed List-Unsubscribe-Post header is caught by DKIM (S/MIME does not cover it).
    forged = raw.replace(b"List-Unsubscribe=One-Click", b"List-Unsubscribe=Two-Click")
    assert not dkim_verify(forged, pki)


def dkim_only(pki) -> DkimSigner:
    return DkimSigner(pki.dkim_domain, pki.dkim_selector, pki.dkim_key_pem.encode())


def test_dkim_relaxed_canonicalisation_survives_what_relays_change(pki):
    """Relaxed/relaxed (RFC 6376 §3.4.2, §3.4.4): refolded headers, changed whitespace runs,
    trailing whitespace and blank lines at the end do not break the signature; content does."""
    message = (
        b"From: Urzad <e-uslugi@przykladowo.example>\r\n"
        b"To:   jan@example.org \r\n"
        b"Subject: Zaleg\t  losc\r\n wiersz dalej\r\n"
        b"X-Not-Signed: 1\r\n"
        b"List-Unsubscribe: <https://e-uslugi.example/u/abc/>\r\n"
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        b"\r\n"
        b"Dzien dobry,  \r\n\tkwota:  123,45\r\n\r\n\r\n"
    )
    raw = dkim_only(pki).sign(message)
    assert dkim_verify(raw, pki)
    relayed = (
        raw.replace(b"To:   jan@example.org \r\n", b"To: jan@example.org\r\n")
        .replace(b"Subject: Zaleg\t  losc\r\n wiersz", b"Subject: Zaleg losc wiersz")
        .replace(b"List-Unsubscribe: <", b"List-Unsubscribe:\r\n\t<")
        .replace(b"X-Not-Signed: 1", b"X-Not-Signed: 2")
        .replace(b"dobry,  \r\n", b"dobry,\r\n")
        .replace(b"kwota:  123", b"kwota:\t123")
    ) + b"\r\n\r\n"
    assert dkim_verify(relayed, pki)
    assert not dkim_verify(raw.replace(b"123,45", b"123,46"), pki)
    assert not dkim_verify(raw.replace(b"jan@example.org", b"ewa@example.org"), pki)
    assert not dkim_verify(raw.replace(b"kwota:  123", b"kwota:123"), pki)  # a space removed


def test_dkim_signs_the_bottom_instance_of_a_repeated_header_and_an_empty_body(pki):
    message = b"From: a@przykladowo.example\r\nSubject: first\r\nSubject: second\r\n\r\n"
    raw = dkim_only(pki).sign(message)
    assert dkim_verify(raw, pki)
    assert not dkim_verify(raw.replace(b"second", b"secund"), pki)
    assert dkim_verify(raw + b"\r\n\r\n", pki)  # blank lines at the end are not content


def test_dkim_needs_an_rsa_key_of_at_least_1024_bits(pki):
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ImproperlyConfigured, match="must be an RSA key"):
        DkimSigner(pki.dkim_domain, pki.dkim_selector, ec_pem)
    # cryptography will not generate a 512-bit key; openssl still does.
    short_pem = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [shutil.which("openssl") or "/usr/bin/openssl", "genrsa", "512"],
        capture_output=True,
        check=True,
    ).stdout
    with pytest.raises(ImproperlyConfigured, match="shorter than 1024"):
        DkimSigner(pki.dkim_domain, pki.dkim_selector, short_pem)
    with pytest.raises(ImproperlyConfigured, match="unreadable"):
        DkimSigner(pki.dkim_domain, pki.dkim_selector, b"-----BEGIN PRIVATE KEY-----\nxx")


awkward_bytes = st.lists(
    st.sampled_from([b"a", b"Z", b"0", b" ", b"\t", b"  ", b"\r\n", b"\r\n ", b":", b"=", b";"]),
    max_size=60,
).map(b"".join)


@hypothesis_settings(max_examples=40, deadline=None)
@given(subject=awkward_bytes, body=awkward_bytes)
def test_dkim_signatures_of_any_whitespace_verify_with_dkimpy(pki, subject, body):
    """Our canonicalisation against dkimpy's independent one, on headers and bodies made of
    whitespace runs, folds and blank lines (``pki`` is module-scoped, so not recreated)."""
    subject = subject.replace(b"\r\n", b"\r\n ")  # a header line may only continue folded
    message = b"From: a@przykladowo.example\r\nSubject: x" + subject + b"\r\n\r\n" + body
    if not body.endswith(b"\r\n"):
        message += b"\r\n"  # dkimpy leaves WSP before an added final CRLF (RFC: removed)
    assert dkim_verify(dkim_only(pki).sign(message), pki)


def test_without_html_or_unsubscribe_the_entity_is_plain_text(smtp, signed, pki):
    with SmtpEmailChannel() as channel:
        channel.send(outgoing(9, html="", unsubscribe_url=""))
    message = parse(smtp.messages[0].data)
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    content, _signature = message.get_payload()
    assert content.get_content_type() == "text/plain"
    assert content_of(content) == TEXT
    assert openssl_verify(smtp.messages[0].data, pki.ca_path)[0]


def test_unsigned_by_default_and_the_locmem_outbox_shows_the_message(settings):
    # The embedded default: no certificate, no DKIM; the test runner's locmem backend.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESSAGING_SMIME_CERTIFICATE = settings.MESSAGING_SMIME_KEY = ""
    settings.MESSAGING_DKIM_DOMAIN = settings.MESSAGING_DKIM_SELECTOR = ""
    settings.MESSAGING_DKIM_KEY = ""
    mail.outbox = []
    with get_email_channel() as channel:
        channel.send(outgoing(3))
    [sent] = mail.outbox
    assert sent.to == ["jan.kowalski3@example.org"]
    assert sent.subject == "Przypomnienie o terminie płatności"
    assert sent.body == TEXT
    message = parse(sent.raw)
    assert message.get_content_type() == "multipart/alternative"
    assert message["MIME-Version"] == "1.0"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["DKIM-Signature"] is None


def test_the_envelope_sender_can_carry_the_reference_for_bounces(smtp, signed):
    signed.MESSAGING_EMAIL_RETURN_PATH = "bounces+{reference}@przykladowo.example"
    with SmtpEmailChannel() as channel:
        channel.send(outgoing(77))
    assert smtp.messages[0].mail_from == "bounces+77@przykladowo.example"
    assert parse(smtp.messages[0].data)["From"].addresses[0].addr_spec == FROM


# --- one connection per batch -----------------------------------------------------------------


def test_one_connection_serves_the_whole_batch(smtp, signed):
    with SmtpEmailChannel() as channel:
        ids = [channel.send(outgoing(n)).provider_id for n in range(1, 21)]
    assert len(smtp.messages) == 20
    assert smtp.connections == 1
    assert len(set(ids)) == 20
    assert [m.rcpt_tos[0] for m in smtp.messages] == [
        f"jan.kowalski{n}@example.org" for n in range(1, 21)
    ]


def test_a_dropped_connection_is_reopened_once_and_the_message_still_sent(smtp, signed):
    with SmtpEmailChannel() as channel:
        channel.send(outgoing(1))
        smtp.drop_next("MAIL")  # e.g. the server's idle timeout between two messages
        channel.send(outgoing(2))
        channel.send(outgoing(3))
    assert [m.rcpt_tos[0] for m in smtp.messages] == [
        "jan.kowalski1@example.org",
        "jan.kowalski2@example.org",
        "jan.kowalski3@example.org",
    ]
    assert smtp.connections == 2


def test_a_connection_dropped_again_after_reconnecting_is_a_temporary_failure(smtp, signed):
    with SmtpEmailChannel() as channel:
        smtp.drop_next("MAIL", count=2)
        with pytest.raises(TemporaryFailure, match="lost twice"):
            channel.send(outgoing(1))
        channel.send(outgoing(2))  # the next message opens a fresh connection
    assert [m.rcpt_tos[0] for m in smtp.messages] == ["jan.kowalski2@example.org"]


# --- SMTP replies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "reply", "exception"),
    [
        ("RCPT", "550 5.1.1 No such user here", PermanentFailure),
        ("RCPT", "450 4.2.1 Mailbox busy", TemporaryFailure),
        ("DATA", "554 5.7.1 Message rejected", PermanentFailure),
        ("DATA", "451 4.3.0 Local error, try again", TemporaryFailure),
        ("MAIL", "452 4.3.1 Insufficient system storage", TemporaryFailure),
        ("MAIL", "553 5.7.1 Sender address rejected", TemporaryFailure),  # ours, not theirs
        ("DATA", "421 4.3.2 Shutting down", TemporaryFailure),
    ],
)
def test_smtp_replies_map_to_temporary_or_permanent_failure(
    smtp, signed, command, reply, exception
):
    with SmtpEmailChannel() as channel:
        smtp.reply_next(command, reply)
        with pytest.raises(exception) as raised:
            channel.send(outgoing(1))
        assert reply.split()[0] in str(raised.value)
        assert not (exception is TemporaryFailure and isinstance(raised.value, PermanentFailure))
        channel.send(outgoing(2))  # the batch goes on
    assert [m.rcpt_tos[0] for m in smtp.messages] == ["jan.kowalski2@example.org"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only
def test_smtp_login_is_used_and_a_refused_login_is_a_temporary_failure(settings, signed):
    with FakeSmtpServer(credentials=("gmina", "haslo-smtp")) as server:
        for name, value in server.django_settings().items():
            setattr(settings, name, value)
        with SmtpEmailChannel() as channel:
            channel.send(outgoing(1))
        assert len(server.messages) == 1
        settings.EMAIL_HOST_PASSWORD = "wrong"
        with SmtpEmailChannel() as channel, pytest.raises(TemporaryFailure, match="login refused"):
            channel.send(outgoing(2))
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        with SmtpEmailChannel() as channel, pytest.raises(TemporaryFailure, match="530"):
            channel.send(outgoing(3))  # the server requires a login we did not give
        assert len(server.messages) == 1


def test_a_refused_connection_is_a_temporary_failure(settings, signed):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    with SmtpEmailChannel() as channel, pytest.raises(TemporaryFailure, match="unavailable"):
        channel.send(outgoing(1))


def test_a_server_that_never_answers_is_a_temporary_failure(settings, signed):
    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        settings.EMAIL_TIMEOUT = 0.3
        with SmtpEmailChannel() as channel, pytest.raises(TemporaryFailure):
            channel.send(outgoing(1))


# --- what the channel refuses to write ----------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "exception"),
    [
        ({"headers": {"X-Campaign": "1\r\nBcc: someone@example.org"}}, TechnicalFailure),
        ({"headers": {"Content-Type": "text/html"}}, TechnicalFailure),
        ({"headers": {"Subject": "other"}}, TechnicalFailure),
        ({"reference": "1>\r\nBcc: x@example.org"}, TechnicalFailure),
        ({"unsubscribe_url": "https://x.example/u/>, <mailto:evil@example.org"}, TechnicalFailure),
        ({"to": "a@example.org, b@example.org"}, PermanentFailure),
        ({"to": "no-address"}, PermanentFailure),
    ],
)
def test_header_injection_and_bad_addresses_are_refused_before_sending(
    smtp, signed, overrides, exception
):
    with SmtpEmailChannel() as channel, pytest.raises(exception):
        channel.send(outgoing(1, **overrides))
    assert smtp.messages == []


def test_control_characters_in_the_subject_become_spaces(smtp, signed):
    with SmtpEmailChannel() as channel:
        channel.send(outgoing(1, subject="Termin\x0cpłatności\u2028mija\x00dziś"))
    assert parse(smtp.messages[0].data)["Subject"] == "Termin płatności mija dziś"


def test_extra_headers_go_outside_the_signed_part(smtp, signed, pki):
    with SmtpEmailChannel() as channel:
        channel.send(outgoing(5, headers={"X-Gmina-Campaign": "wiosna-2026"}))
    raw = smtp.messages[0].data
    assert parse(raw)["X-Gmina-Campaign"] == "wiosna-2026"
    assert openssl_verify(raw, pki.ca_path)[0]


# --- configuration ----------------------------------------------------------------------------


def test_a_key_that_is_not_the_certificates_is_refused(signed, pki):
    other_key, _ = make_signer(pki.ca_key, pki.ca_cert, FROM)
    from tests.fakes.smime import _pem_key

    signed.MESSAGING_SMIME_KEY = _pem_key(other_key)
    with pytest.raises(ImproperlyConfigured, match="does not belong"):
        SmtpEmailChannel()


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("MESSAGING_SMIME_KEY",), "needs both"),
        (("MESSAGING_DKIM_SELECTOR",), "DKIM needs"),
    ],
)
def test_half_configured_signing_is_refused(signed, names, message):
    for name in names:
        setattr(signed, name, "")
    with pytest.raises(ImproperlyConfigured, match=message):
        SmtpEmailChannel()


def test_an_unreadable_certificate_path_says_which_setting(signed):
    signed.MESSAGING_SMIME_CERTIFICATE = "/nonexistent/cert.pem"
    with pytest.raises(ImproperlyConfigured, match="MESSAGING_SMIME_CERTIFICATE"):
        SmtpEmailChannel()


def test_a_certificate_for_another_address_is_logged(signed, pki, caplog):
    key, cert = make_signer(pki.ca_key, pki.ca_cert, "someone-else@example.org", eku=False)
    from tests.fakes.smime import _pem_cert, _pem_key

    signed.MESSAGING_SMIME_CERTIFICATE = _pem_cert(cert)
    signed.MESSAGING_SMIME_KEY = _pem_key(key)
    with caplog.at_level(logging.WARNING, logger="messaging.channels.email"):
        SmtpEmailChannel()
    assert f"{FROM} is not an rfc822Name" in caplog.text


# --- robustness -------------------------------------------------------------------------------


def test_500_messages_through_one_connection_each_arrives_signed_once(smtp, signed, pki):
    signed.MESSAGING_DKIM_DOMAIN = ""  # S/MIME alone here; DKIM is covered above
    signed.MESSAGING_DKIM_SELECTOR = signed.MESSAGING_DKIM_KEY = ""
    with SmtpEmailChannel() as channel:
        for n in range(500):
            channel.send(outgoing(n, text=f"Wiadomość numer {n}.\n", html=""))
    assert len(smtp.messages) == 500
    assert smtp.connections == 1
    signer = pki.signer_cert.public_bytes(serialization.Encoding.DER)
    for n, received in enumerate(smtp.messages):
        message = parse(received.data)
        assert message["Message-ID"] == f"<gmina.{n}@przykladowo.example>"
        assert message.get_content_type() == "multipart/signed"
        content, signature = message.get_payload()  # exactly two parts: content, signature
        assert content_of(content) == f"Wiadomość numer {n}.\n"
        assert received.data.count(b"Content-Type: application/x-pkcs7-signature") == 1
        [certificate] = pkcs7.load_der_pkcs7_certificates(signature.get_content())
        assert certificate.public_bytes(serialization.Encoding.DER) == signer
    # openssl verifies every tenth message (one process each, so not all 500).
    for n in range(0, 500, 10):
        verified, output = openssl_verify(smtp.messages[n].data, pki.ca_path)
        assert verified, (n, output)


# --- any text survives signing and transport ---------------------------------------------------

awkward_text = st.lists(
    st.sampled_from([*"abcżółćęśąźńŁ .,-=\t\r\n€😀", "From ", ".\n", " \n", "=\n", "\r\n"]),
    max_size=300,
).map("".join)


@hypothesis_settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=awkward_text,
    subject=st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=120
    ),
)
def test_any_text_and_subject_arrive_intact_and_verified(smtp, signed, pki, text, subject):
    before = len(smtp.messages)
    with SmtpEmailChannel() as channel:
        channel.send(outgoing(1, text=text, subject=subject, html=""))
    raw = smtp.messages[before].data
    message = parse(raw)
    assert str(message["Subject"] or "").strip() == subject.strip()
    content, _signature = message.get_payload()
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert content_of(content) == expected
    verified, output = openssl_verify(raw, pki.ca_path)
    assert verified, output
    assert dkim_verify(raw, pki)
