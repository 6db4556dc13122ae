"""messaging.sms_text: the PROTOCOLS.md §10 and §13 (T19-T23) vectors, and invariants checked
against the gsm0338 codec and the independent smsutil splitter."""

from __future__ import annotations

import math
import unicodedata

import pytest
import smsutil
from hypothesis import given
from hypothesis import strategies as st

from messaging.sms_text import MAX_PARTS, sms_info, transliterate

POLISH = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"


def test_t19_one_polish_letter_makes_the_whole_message_ucs2():
    info = sms_info("Zaległość 123,45 zł")
    assert (info.encoding, info.parts, info.per_part) == ("UCS-2", 1, 70)
    assert info.length == 19


@pytest.mark.parametrize(
    ("text", "encoding", "parts", "per_part"),
    [
        ("a" * 160, "GSM-7", 1, 160),
        ("a" * 161, "GSM-7", 2, 153),
        ("a" * 306, "GSM-7", 2, 153),
        ("a" * 307, "GSM-7", 3, 153),
        ("ą" * 70, "UCS-2", 1, 70),
        ("ą" * 71, "UCS-2", 2, 67),
        ("ą" * 134, "UCS-2", 2, 67),
        ("ą" * 135, "UCS-2", 3, 67),
    ],
)
def test_t20_part_boundaries(text, encoding, parts, per_part):
    info = sms_info(text)
    assert (info.encoding, info.parts, info.per_part, info.length) == (
        encoding,
        parts,
        per_part,
        len(text),
    )


def test_t21_extension_characters_count_two_septets():
    euros = sms_info("€" * 80)
    assert (euros.encoding, euros.length, euros.parts) == ("GSM-7", 160, 1)
    assert sms_info("abc€").length == 5
    assert len("abc€".encode("gsm03.38")) == 5
    assert sms_info("€" * 81).parts == 2
    for char in GSM_EXTENSION:
        assert sms_info(char).length == 2, repr(char)


def test_t22_our_map_keeps_l_where_nfkd_drops_it():
    nfkd = unicodedata.normalize("NFKD", "zł").encode("ascii", "ignore").decode()
    assert nfkd == "z"  # why the map is explicit
    assert transliterate("zł") == "zl"
    assert transliterate(POLISH) == "acelnoszzACELNOSZZ"
    assert transliterate("Zaległość 123,45 zł") == "Zaleglosc 123,45 zl"


@pytest.mark.parametrize("parts", range(1, MAX_PARTS + 1))
def test_t23_most_characters_for_each_part_count(parts):
    plain = [160, 306, 459, 612, 765, 918][parts - 1]
    polish = [70, 134, 201, 268, 335, 402][parts - 1]
    assert sms_info("a" * plain).parts == parts
    assert sms_info("a" * (plain + 1)).parts == parts + 1
    assert sms_info("ż" * polish).parts == parts
    assert sms_info("ż" * (polish + 1)).parts == parts + 1
    assert sms_info("a" * (plain + 1)).too_long is (parts == MAX_PARTS)


def test_an_escape_sequence_never_straddles_two_parts():
    # 152 plain septets then "€" (2 septets): 154 > 153, so "€" opens the second part.
    text = "a" * 152 + "€" + "a" * 10
    assert sms_info(text).length == 164
    assert math.ceil(164 / 153) == 2
    assert sms_info("a" * 152 + "€" * 77).parts == 3  # 306 septets, but the split costs a part


def test_surrogate_pairs_count_two_ucs2_units():
    assert sms_info("😀").length == 2
    assert sms_info("😀" * 35).parts == 1
    assert sms_info("😀" * 36).parts == 2


def test_transliteration_cleans_typography_and_keeps_what_has_no_equivalent():
    text = "„Termin” – 15\u00a0marca\u2026 opłata\u200b"
    cleaned = transliterate(text)
    assert cleaned == '"Termin" - 15 marca... oplata'
    assert sms_info(cleaned).encoding == "GSM-7"
    assert transliterate("Dzień dobry 😀") == "Dzien dobry 😀"  # UCS-2 rather than "?"
    assert sms_info(transliterate("Dzień dobry 😀")).encoding == "UCS-2"


# --- invariants -----------------------------------------------------------------------------

gsm_text = st.text(alphabet=GSM_BASIC + GSM_EXTENSION, max_size=1000)
any_text = st.text(alphabet=GSM_BASIC + GSM_EXTENSION + POLISH + "„”–…\u00a0żółw", max_size=600)


@given(gsm_text)
def test_gsm_length_is_the_codec_length_and_parts_match_smsutil(text):
    info = sms_info(text)
    assert info.encoding == "GSM-7"
    assert info.length == len(text.encode("gsm03.38"))
    if text:
        assert info.parts == len(smsutil.split(text).parts)
    if info.length <= 160:
        assert info.parts == 1
    else:
        assert info.parts >= math.ceil(info.length / 153)


@given(any_text)
def test_ucs2_parts_match_smsutil_and_the_formula_bounds(text):
    info = sms_info(text)
    if info.encoding == "UCS-2" and text:
        assert info.length == len(text.encode("utf-16-le")) // 2
        assert info.parts == len(smsutil.split(text).parts)
        if info.length <= 70:
            assert info.parts == 1
        else:
            assert info.parts == math.ceil(info.length / 67)  # no surrogates in this alphabet


@given(any_text)
def test_transliterated_text_is_gsm7_never_longer_in_parts_and_stable(text):
    cleaned = transliterate(text)
    assert sms_info(cleaned).encoding == "GSM-7"
    assert transliterate(cleaned) == cleaned
    assert not set(POLISH) & set(cleaned)
    if "…" not in text:  # the only replacement that is longer than what it replaces
        assert sms_info(cleaned).parts <= sms_info(text).parts
