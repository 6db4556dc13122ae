"""How long an SMS is and how many parts it costs; Polish letters transliterated to stay in GSM-7.

PROTOCOLS.md §10 (3GPP TS 23.038): a text that fits the GSM 03.38 default alphabet is sent in
GSM-7, 160 septets in one SMS or 153 per part of a concatenated one, the extension characters
(``^ { } \\ [ ~ ] |``, ``€``, form feed) taking two septets each (escape + character). Any other
character, and so any Polish letter, switches the whole message to UCS-2: 70 UTF-16 code units
in one SMS, 67 per part. A part never ends in the middle of an escape sequence or of a
surrogate pair, which is why a message can need one part more than ⌈length / per part⌉.

The GSM alphabet comes from the ``gsm0338`` codec rather than a table of our own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

GSM7 = "GSM-7"
UCS2 = "UCS-2"
GSM7_SINGLE, GSM7_PER_PART = 160, 153
UCS2_SINGLE, UCS2_PER_PART = 70, 67
# Notify caps a message at 918 characters (6 parts of 153); operators charge every part.
MAX_PARTS = 6

# Explicit, because NFKD + ASCII drops "ł" (it has no decomposition): PROTOCOLS.md §10, T22.
POLISH_TO_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
# Typographic characters that have a plain GSM-7 equivalent (Notify's SanitiseSMS does the same).
_LOOKALIKES = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „ (Polish opening quote)
        "\u201f": '"',
        "\u00ab": '"',  # «
        "\u00bb": '"',  # »
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2012": "-",
        "\u2212": "-",  # minus sign
        "\u2010": "-",
        "\u2011": "-",
        "\u2026": "...",  # ellipsis
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space (thousands separator in Polish amounts)
        "\u2007": " ",
        "\u2009": " ",
        "\t": " ",
        "\u200b": None,  # zero-width space
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)


@dataclass(frozen=True)
class SmsInfo:
    encoding: Literal["GSM-7", "UCS-2"]
    length: int  # septets (GSM-7, escapes counted) or UTF-16 code units (UCS-2)
    parts: int
    per_part: int  # what one part holds at this length: 160/153 or 70/67

    @property
    def too_long(self) -> bool:
        return self.parts > MAX_PARTS


@functools.lru_cache(maxsize=1024)
def _septets(char: str) -> int:
    """Septets of one character in GSM 03.38 (2 for the extension table), 0 if not in it.

    Cached: the codec costs microseconds a character, and every SMS is measured when sent.
    """
    try:
        return len(char.encode("gsm03.38"))
    except UnicodeEncodeError:
        return 0


def _gsm_units(text: str) -> list[int] | None:
    """Septets per character, or None when a character is not in the GSM 03.38 alphabet."""
    units = [_septets(char) for char in text]
    return None if 0 in units else units


def _parts(units: list[int], single: int, per_part: int) -> int:
    total = sum(units)
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in units:  # greedy, never splitting a character's units across parts
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def sms_info(text: str) -> SmsInfo:
    """Encoding, length and number of parts of ``text`` as an operator would send it."""
    units = _gsm_units(text)
    if units is not None:
        encoding, single, per_part = GSM7, GSM7_SINGLE, GSM7_PER_PART
    else:
        units = [len(char.encode("utf-16-le")) // 2 for char in text]
        encoding, single, per_part = UCS2, UCS2_SINGLE, UCS2_PER_PART
    parts = _parts(units, single, per_part)
    return SmsInfo(
        encoding=encoding,
        length=sum(units),
        parts=parts,
        per_part=single if parts <= 1 else per_part,
    )


def transliterate(text: str) -> str:
    """Polish letters to ASCII and typographic look-alikes to plain ones, so ``text`` stays GSM-7.

    Characters with no GSM-7 equivalent (emoji, other scripts) are kept: the message then
    falls back to UCS-2 instead of losing them to "?" (notifications-api PR #4937).
    """
    return text.translate(POLISH_TO_ASCII).translate(_LOOKALIKES)


def gsm7_compatible(text: str) -> bool:
    return _gsm_units(text) is not None
