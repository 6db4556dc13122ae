"""Helpers of the account tests: links from e-mails, time travel for signed links and sessions."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from unittest import mock

from django.core import mail

LINK = re.compile(r"http://testserver(/\S+)")

PERSON_PESEL = "44051401359"
OTHER_PESEL = "02070803628"
NIP = "5261040828"
REGON = "012100784"
PASSWORD = "kwiat-lipa-rzeka-42"


def link_in(message) -> str:
    """The path of the (only) portal link in an e-mail."""
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def last_mail_to(address: str):
    sent = [m for m in mail.outbox if address in m.to]
    assert sent, f"no mail to {address}: {[m.to for m in mail.outbox]}"
    return sent[-1]


@contextmanager
def travel(seconds: float):
    """Move the clock ``seconds`` ahead for signed links (django.core.signing) and sessions."""
    now = time.time() + seconds
    with (
        mock.patch("django.core.signing.time.time", return_value=now),
        mock.patch("eservices.sessions.time.time", return_value=now),
    ):
        yield
