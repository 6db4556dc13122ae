"""The e-service shortcuts on the home page.

Each shortcut names the URL of the app that provides it. An app that is not installed (or a
deployment that switched it off) simply has no card, so the home page never links to a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Shortcut:
    url_name: str
    title: str | Promise
    description: str | Promise


SHORTCUTS = [
    Shortcut(
        "eservices:dues",
        _("My dues"),
        _("See your taxes and fees, installments, arrears and interest."),
    ),
    Shortcut(
        "payments:pay",
        _("Pay"),
        _("Pay online or print a filled-in transfer form with a QR code."),
    ),
    Shortcut(
        "eservices:case_catalogue",
        _("Catalogue of matters"),
        _("How to handle a matter at the office: forms, fees, deadlines."),
    ),
]


@dataclass(frozen=True)
class ResolvedShortcut:
    title: str | Promise
    description: str | Promise
    url: str


def available_shortcuts() -> list[ResolvedShortcut]:
    resolved = []
    for shortcut in SHORTCUTS:
        try:
            url = reverse(shortcut.url_name)
        except NoReverseMatch:
            continue
        resolved.append(ResolvedShortcut(shortcut.title, shortcut.description, url))
    return resolved
