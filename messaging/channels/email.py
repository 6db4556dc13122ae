"""Email over SMTP: one connection per batch, S/MIME-signed, optionally DKIM, RFC 8058 headers.

``with SmtpEmailChannel() as channel: channel.send(message)`` for every message of a batch.
The connection is Django's email backend (``EMAIL_BACKEND``, ``EMAIL_HOST`` …), opened at the
first send and kept for the whole batch; a connection the server dropped in between (idle
timeout) is opened again once and the message retried. The console and locmem backends of
development and tests work the same way.

Each message is built as bytes (PROTOCOLS.md §11 recipe): the content entity (text, optionally
an HTML alternative, quoted-printable so a 7-bit relay cannot break the signature) is signed as
``multipart/signed``; From, To, Subject, Date, Message-ID and the List-Unsubscribe headers go in
front of it, outside the signed part; DKIM signs the result last. The backend is handed an
object whose ``as_bytes()`` returns these bytes unchanged, so nothing re-folds the headers.

SMTP replies: 4xx, timeouts and refused connections → `TemporaryFailure`; a 5xx reply to the
recipient or to the message → `PermanentFailure` (one recipient per message, so the reply is
about this address); a refused login or envelope sender → `TemporaryFailure` (our
configuration, not the recipient: the address must not be suppressed for it).
"""

from __future__ import annotations

import binascii
import contextlib
import email.policy
import logging
import re
import secrets
import smtplib
import socket
from email.header import Header
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, localtime, make_msgid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection

from .base import OutgoingEmail, PermanentFailure, SendResult, TechnicalFailure, TemporaryFailure
from .signing import DkimSigner, SmimeSigner, dkim_signer, smime_signer

logger = logging.getLogger(__name__)

SMTP = email.policy.SMTP  # CRLF line ends, RFC 2047 for non-ASCII headers
# Headers the channel writes itself; `OutgoingEmail.headers` may not replace them.
_OWN_HEADERS = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "mime-version",
    "dkim-signature",
    "return-path",
    "auto-submitted",
}
_REFERENCE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext


class SignedEmail(EmailMessage):
    """A Django message whose bytes are already final (signed); backends send them as they are.

    ``subject``, ``body`` and ``to`` are filled in too, so `django.core.mail.outbox` (locmem)
    shows what was sent; ``raw`` holds the bytes.
    """

    def __init__(self, raw: bytes, *, subject: str, body: str, envelope_from: str, to: str):
        super().__init__(subject=subject, body=body, from_email=envelope_from, to=[to])
        self.raw = raw

    def message(self, **kwargs) -> _RawMessage:
        return _RawMessage(self.raw)


class _RawMessage:
    """Just enough of `email.message.Message` for Django's SMTP, console and locmem backends."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\r\n") -> bytes:
        return self.raw  # always CRLF: what SMTP carries and what was signed

    def as_string(self, unixfrom: bool = False, linesep: str = "\r\n") -> str:
        return self.raw.decode("ascii")

    def get_charset(self) -> None:
        return None


def _quoted_printable(text: str) -> bytes:
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True).replace(b"\n", b"\r\n")


def _text_part(text: str, subtype: str) -> bytes:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + _quoted_printable(text)


def _content_entity(text: str, html: str) -> bytes:
    """The entity that gets signed: text/plain, or multipart/alternative with the HTML too.

    Written directly rather than with `email`'s content manager (several times faster, and
    bulk sends build thousands). Quoted-printable keeps it 7-bit; "=_" never occurs in a
    quoted-printable body ("=" is "=3D"), so a boundary starting with it cannot collide.
    """
    if not html:
        return _text_part(text, "plain")
    boundary = "=_gmina_" + secrets.token_hex(12)
    return b"".join(
        [
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode(),
            f"--{boundary}\r\n".encode(),
            _text_part(text, "plain"),
            f"\r\n--{boundary}\r\n".encode(),
            _text_part(html, "html"),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip(">").lower()


class SmtpEmailChannel:
    def __init__(
        self,
        *,
        from_address: str | None = None,
        smime: SmimeSigner | bool | None = True,
        dkim: DkimSigner | bool | None = True,
    ) -> None:
        """Signers default to the configured ones (settings); pass None to leave one out."""
        self.from_address = from_address or settings.MESSAGING_EMAIL_FROM
        self.smime = smime_signer() if smime is True else smime
        self.dkim = dkim_signer() if dkim is True else dkim
        self.return_path = settings.MESSAGING_EMAIL_RETURN_PATH
        self._backend = None
        self._from_line = _from_line(self.from_address)
        if self.smime is not None:
            _warn_once(self.smime, _bare(self.from_address))

    # --- the batch's connection -------------------------------------------------------------

    def __enter__(self) -> SmtpEmailChannel:
        return self

    def __exit__(self, *exc_info) -> None:
        self._drop()

    def _open(self):
        if self._backend is None:
            self._backend = get_connection(fail_silently=False)
        # Opened here, not by send_messages(): a backend that opens a connection itself also
        # closes it after that one call, which would be a connection per message.
        if self._backend.open():
            sock = getattr(getattr(self._backend, "connection", None), "sock", None)
            if sock is not None:
                # Each SMTP command waits for its reply: without this, Nagle's algorithm and
                # delayed ACKs add tens of milliseconds to every message.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._backend

    def _drop(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            # An already broken connection has nobody to say goodbye to.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                backend.close()

    # --- sending ----------------------------------------------------------------------------

    def send(self, message: OutgoingEmail) -> SendResult:
        message_id = self.message_id(message.reference)
        raw = self.build(message, message_id)
        signed = SignedEmail(
            raw,
            subject=message.subject,
            body=message.text,
            envelope_from=self.envelope_from(message.reference),
            to=message.to,
        )
        for attempt in (1, 2):
            try:
                self._open().send_messages([signed])
                break
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                if attempt == 2:
                    raise TemporaryFailure(f"SMTP connection lost twice: {exc}") from exc
                logger.info("SMTP connection dropped; reconnecting once")
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()))
                raise self._failure(code, reply, "recipient refused") from exc
            except smtplib.SMTPSenderRefused as exc:
                # About our envelope sender (530 log in first, 553 not allowed to send as):
                # configuration, never the recipient's fault.
                raise TemporaryFailure(
                    f"SMTP refused our sender: {exc.smtp_code} {exc.smtp_error!r}"[:500]
                ) from exc
            except smtplib.SMTPAuthenticationError as exc:
                self._drop()
                raise TemporaryFailure(f"SMTP login refused: {exc.smtp_code}") from exc
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code == 421:  # the server is closing the connection
                    self._drop()
                raise self._failure(exc.smtp_code, exc.smtp_error, "message refused") from exc
            except (smtplib.SMTPException, OSError) as exc:  # timeouts, refused connections
                self._drop()
                raise TemporaryFailure(f"SMTP unavailable: {exc!r}") from exc
        return SendResult(provider_id=message_id)

    @staticmethod
    def _failure(code: int, reply: bytes | str, what: str) -> Exception:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        detail = f"SMTP {what}: {code} {text}"[:500]
        return PermanentFailure(detail) if 500 <= code < 600 else TemporaryFailure(detail)

    # --- building ---------------------------------------------------------------------------

    def message_id(self, reference: str) -> str:
        """From our reference, so a retried message keeps its Message-ID (receivers dedupe)."""
        domain = _domain(self.from_address)
        if not reference:
            return make_msgid(domain=domain)
        if not _REFERENCE.match(reference):
            raise TechnicalFailure(f"reference {reference!r} cannot be part of a Message-ID")
        return f"<gmina.{reference}@{domain}>"

    def envelope_from(self, reference: str) -> str:
        if self.return_path:
            return self.return_path.format(reference=reference or "none")
        return _bare(self.from_address)

    def build(self, message: OutgoingEmail, message_id: str | None = None) -> bytes:
        """The final bytes: headers, then the (signed) content, then DKIM in front."""
        entity = _content_entity(message.text, message.html)
        if self.smime is not None:
            body = self.smime.sign(entity)
        else:
            body = b"MIME-Version: 1.0\r\n" + entity
        raw = self._headers(message, message_id or self.message_id(message.reference)) + body
        if self.dkim is not None:
            raw = self.dkim.sign(raw)
        return raw

    def _headers(self, message: OutgoingEmail, message_id: str) -> bytes:
        # Written line by line: `email`'s header registry costs milliseconds per message, more
        # than signing. The From line is encoded once per channel by the policy.
        lines = [
            self._from_line,
            _header("To", _recipient(message.to)),
            _header("Subject", message.subject),
            _header("Date", format_datetime(localtime())),
            _header("Message-ID", message_id),
            b"Auto-Submitted: auto-generated\r\n",  # RFC 3834: no auto-replies, please
        ]
        for name, value in message.headers.items():
            if not _HEADER_NAME.match(name) or name.lower() in _OWN_HEADERS:
                raise TechnicalFailure(f"header {name!r} cannot be set by the caller")
            if name.lower().startswith("content-"):
                raise TechnicalFailure(f"header {name!r} belongs to the signed content")
            if "\r" in value or "\n" in value:
                raise TechnicalFailure(f"header {name!r} has a line break")
            lines.append(_header(name, value))
        if message.unsubscribe_url:
            lines.append(self._unsubscribe_headers(message.unsubscribe_url))
        return b"".join(lines)

    @staticmethod
    def _unsubscribe_headers(url: str) -> bytes:
        """RFC 8058 headers, written as they are: the policy would fold a long URL onto a line
        of its own, which some parsers read back with a leading space."""
        if not url.isascii() or any(c in url for c in "<> \r\n\t,"):
            raise TechnicalFailure(f"unsubscribe URL cannot go in a header: {url!r}")
        if len(url) > 900:
            raise TechnicalFailure("unsubscribe URL longer than a header line may be")
        return (
            f"List-Unsubscribe: <{url}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        ).encode("ascii")


_warned: set[tuple[int, str]] = set()


def _warn_once(signer: SmimeSigner, from_address: str) -> None:
    """Mail clients distrust a signature whose certificate does not name the From address."""
    key = (signer.certificate.serial_number, from_address)
    if key not in _warned:
        _warned.add(key)
        for problem in signer.problems(from_address):
            logger.warning("S/MIME certificate: %s", problem)


_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\\\"]+@[^\s@<>()\[\],;:\\\"]+$")


def _recipient(address: str) -> str:
    """One plain address (``user@host``, the host may be an IDN); PermanentFailure if not."""
    if not _ADDRESS.match(address):
        raise PermanentFailure(f"not a single email address: {address!r}")
    local, domain = address.rsplit("@", 1)
    if not local.isascii():
        raise PermanentFailure(f"address needs SMTPUTF8, which we do not use: {address!r}")
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as exc:
        raise PermanentFailure(f"invalid domain in {address!r}") from exc


# Control characters and line/paragraph separators: a header value cannot carry them safely
# (form feed, U+2028 … read as line breaks or dropped by some parsers), so they become spaces.
_UNSAFE_IN_HEADER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _header(name: str, value: str) -> bytes:
    value = _UNSAFE_IN_HEADER.sub(" ", value)
    if value.isascii() and len(name) + len(value) < 990:
        return f"{name}: {value}\r\n".encode("ascii")
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def _from_line(address: str) -> bytes:
    headers = MimeMessage(policy=SMTP)
    try:
        headers["From"] = address
    except (ValueError, IndexError) as exc:
        raise ImproperlyConfigured(f"MESSAGING_EMAIL_FROM is not an address: {address!r}") from exc
    return headers.as_bytes(policy=SMTP)[:-2]


def _bare(address: str) -> str:
    """``Name <user@host>`` → ``user@host``."""
    match = re.search(r"<([^<>]+)>\s*$", address)
    return (match.group(1) if match else address).strip()
