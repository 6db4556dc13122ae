"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and misbehaves on demand.

    with FakeSmtpServer() as smtp, override_settings(**smtp.django_settings()):
        ...send...
    smtp.messages[0].data        # the raw bytes as received (CRLF, dot-stuffing undone)
    smtp.messages[0].mail_from   # envelope sender;  .rcpt_tos: envelope recipients
    smtp.connections             # how many SMTP sessions were opened

Misbehaviour, each for the next matching command(s) only:

    smtp.reply_next("RCPT", "550 5.1.1 No such user")      # or MAIL / DATA; count=n
    smtp.reply_next("DATA", "451 4.3.0 Try again later")
    smtp.drop_next("MAIL")                                 # close the connection instead

``FakeSmtpServer(credentials=("user", "password"))`` requires AUTH PLAIN.

``smtp_server`` is the same as a pytest fixture (import it into a test module or conftest),
with the Django email settings already pointing at it.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    connection: int  # the number of the SMTP session that carried it (1, 2, …)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, server: FakeSmtpServer) -> None:
        self.server = server

    async def handle_MAIL(self, protocol, session, envelope, address, mail_options):
        action = self.server._take("MAIL")
        if action is not None:
            return self._act(action, protocol)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, protocol, session, envelope, address, rcpt_options):
        action = self.server._take("RCPT")
        if action is not None:
            return self._act(action, protocol)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, protocol, session, envelope):
        action = self.server._take("DATA")
        if action is not None:
            return self._act(action, protocol)
        number = self.server._session_number(session)
        with self.server._lock:
            self.server.messages.append(
                ReceivedMessage(
                    envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content), number
                )
            )
        return "250 Message accepted for delivery"

    @staticmethod
    def _act(action: str, protocol) -> str:
        if action == "drop":
            protocol.transport.close()  # the client reads EOF: "connection unexpectedly closed"
            return "421 closing"  # never reaches the client
        return action


class FakeSmtpServer:
    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        """With ``credentials``, clients must log in (AUTH PLAIN/LOGIN, no TLS on loopback)."""
        self.credentials = credentials
        self.messages: list[ReceivedMessage] = []
        self._lock = threading.Lock()
        self._actions: dict[str, deque[str]] = {"MAIL": deque(), "RCPT": deque(), "DATA": deque()}
        self._session_count = 0
        self.port = free_port()
        self.host = "127.0.0.1"
        auth = {}
        if credentials:
            auth = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
                # smtplib falls back to LOGIN after a refused PLAIN, and aiosmtpd 1.4 then
                # waits for a line smtplib never sends: offer PLAIN only.
                "auth_exclude_mechanism": ["LOGIN"],
            }
        self._controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, server_hostname="fake-smtp", **auth
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        expected = tuple(value.encode() for value in self.credentials)
        given = (getattr(auth_data, "login", None), getattr(auth_data, "password", None))
        return AuthResult(success=given == expected, handled=False)

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeSmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> FakeSmtpServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def django_settings(self, timeout: float = 5) -> dict:
        """For ``override_settings``: Django's SMTP backend pointed at this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": self.credentials[0] if self.credentials else "",
            "EMAIL_HOST_PASSWORD": self.credentials[1] if self.credentials else "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": timeout,
        }

    # --- misbehaviour -----------------------------------------------------------------------

    def reply_next(self, command: str, reply: str, count: int = 1) -> None:
        """Answer the next ``count`` MAIL/RCPT/DATA commands with ``reply`` (e.g. "550 …")."""
        with self._lock:
            self._actions[command.upper()].extend([reply] * count)

    def drop_next(self, command: str = "MAIL", count: int = 1) -> None:
        """Close the connection on the next ``count`` such commands, as an idle timeout would."""
        with self._lock:
            self._actions[command.upper()].extend(["drop"] * count)

    def _take(self, command: str) -> str | None:
        with self._lock:
            queue = self._actions[command]
            return queue.popleft() if queue else None

    # --- sessions ---------------------------------------------------------------------------

    def _session_number(self, session) -> int:
        with self._lock:
            if not hasattr(session, "fake_number"):
                self._session_count += 1
                session.fake_number = self._session_count
            return session.fake_number

    @property
    def connections(self) -> int:
        """SMTP sessions that carried at least one message."""
        return len({message.connection for message in self.messages})


@pytest.fixture
def smtp_server(settings):
    """A running `FakeSmtpServer` with Django's email settings pointing at it."""
    with FakeSmtpServer() as server:
        for name, value in server.django_settings().items():
            setattr(settings, name, value)
        yield server
