"""The ZBP payment QR code ("Standard 2D", 2013-12-03) that Polish banking apps scan.

The payload is nine fields joined by exactly eight ``|`` (PROTOCOLS.md §5)::

    NIP(10) | PL(2) | account(26) | amount in grosze(6) | name(20) | title(32)
    | reserve 1(20) | reserve 2(12) | reserve 3(24)

e.g. ``1234567890|PL|92124012340001567890123456|001200|Odbiorca 1|FV 1234/34/2012|||``.

Text rules, applied to name, title and the reserves:

- allowed: ``A-Za-z0-9 ,./\\-@#&*_`` and the Polish letters; everything else is stripped
  (so a ``|`` can never split a field). Before stripping, other Latin letters lose their
  accents (``é`` → ``e``) and typographic dashes become ``-``, so a name such as
  "Zoë–Müller" keeps its letters;
- runs of spaces collapse to one, and the field is cut to its maximum length in characters
  (Polish letters count as one; the code is UTF-8).

The amount is whole grosze, zero-padded to 6 digits; ``000000`` lets the payer type it. The
2013 standard caps it at 9 999,99 zł. IonBazan's library widens the field above the cap, which
breaks the fixed layout banking apps parse; we deliberately refuse instead
(`AmountTooLarge`): the transfer form then prints no code and the payer types the details.

The symbol: ECC level L, byte mode UTF-8, never Micro QR, never a boosted ECC level.
"""

from __future__ import annotations

import io
import re
import unicodedata
from decimal import Decimal

import segno
from stdnum.pl import nip as stdnum_nip

from eservices.money import money

SEPARATOR = "|"
FIELD_COUNT = 9
MAX_AMOUNT = Decimal("9999.99")
NAME_MAX, TITLE_MAX = 20, 32
RESERVE_MAX = (20, 12, 24)

POLISH = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"
_NOT_ALLOWED = re.compile(rf"[^A-Za-z0-9 ,./\\\-@#&*_{POLISH}]")
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
_SPACES = re.compile(r"\s+")


class AmountTooLarge(ValueError):
    """Above 9 999,99 zł the standard's 6-digit amount field cannot carry the amount."""


def clean_text(value: str, max_length: int) -> str:
    """A free-text field as the standard allows it: filtered, spaces collapsed, cut to length."""
    value = _SPACES.sub(" ", (value or "").translate(_DASHES))
    kept = []
    for char in value:
        if char not in POLISH and not char.isascii():
            # Strip accents the standard does not allow, keeping the base letter (é → e).
            char = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        kept.append(char)
    value = _NOT_ALLOWED.sub("", "".join(kept))
    value = _SPACES.sub(" ", value).strip()
    return value[:max_length].rstrip()


def amount_field(amount: Decimal | None) -> str:
    """Grosze, zero-padded to 6; ``None`` or zero gives ``000000`` (the payer types it)."""
    if amount is None:
        return "000000"
    amount = money(amount)
    if amount < 0:
        raise ValueError("a payment amount cannot be negative")
    if amount > MAX_AMOUNT:
        raise AmountTooLarge(f"{amount} zł is above the standard's cap of {MAX_AMOUNT} zł")
    return f"{int(amount * 100):06d}"


def payload(
    *,
    account: str,
    amount: Decimal | None,
    name: str,
    title: str,
    nip: str = "",
    country: str = "PL",
    reserve1: str = "",
    reserve2: str = "",
    reserve3: str = "",
) -> str:
    """The exact string a banking app reads (PROTOCOLS.md §5, test vectors T12–T15).

    ``nip`` is the recipient's NIP for an institution (type 1), empty for a person (type 2).
    ``account`` is the NRB, with or without ``PL`` and spaces.
    """
    nip = stdnum_nip.compact(nip) if nip else ""
    if nip and not (len(nip) == 10 and nip.isdigit()):
        raise ValueError("the recipient's NIP has 10 digits")
    account = "".join((account or "").split()).upper().removeprefix("PL")
    if not account.isdigit() or len(account) > 26:
        raise ValueError("the account is an NRB of 26 digits")
    country = (country or "").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError("the country is a two-letter code")
    fields = [
        nip,
        country,
        account,
        amount_field(amount),
        clean_text(name, NAME_MAX),
        clean_text(title, TITLE_MAX),
        *(
            clean_text(value, limit)
            for value, limit in zip((reserve1, reserve2, reserve3), RESERVE_MAX, strict=True)
        ),
    ]
    return SEPARATOR.join(fields)


def make(data: str) -> segno.QRCode:
    """The symbol as §5 prescribes: ECC L, UTF-8, a full QR code (segno would pick Micro QR)."""
    return segno.make_qr(data, error="L", boost_error=False, encoding="utf-8")


def svg(data: str, *, title: str = "", scale: int = 4) -> str:
    """An inline ``<svg>`` for a web page; ``title`` becomes its accessible name."""
    out = io.BytesIO()
    make(data).save(
        out,
        kind="svg",
        scale=scale,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title or None,
        svgclass="payment-qr",
        lineclass=None,
    )
    return out.getvalue().decode()


def png(data: str, *, scale: int = 8) -> bytes:
    """PNG bytes (for the PDF: WeasyPrint embeds it losslessly)."""
    out = io.BytesIO()
    make(data).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def png_data_uri(data: str, *, scale: int = 8) -> str:
    return make(data).png_data_uri(scale=scale, border=4)
