"""The ZBP payment QR: the published test vectors, the text rules, and a real decoder."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from payments import qr

ZBP_ACCOUNT = "92124012340001567890123456"


def decode_png(data: bytes) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


def test_t12_institution_fixed_amount():
    assert (
        qr.payload(
            nip="1234567890",
            account=ZBP_ACCOUNT,
            amount=Decimal("12.00"),
            name="Odbiorca 1",
            title="FV 1234/34/2012",
        )
        == "1234567890|PL|92124012340001567890123456|001200|Odbiorca 1|FV 1234/34/2012|||"
    )


def test_t13_open_amount_is_six_zeros():
    for amount in (None, Decimal("0.00")):
        assert (
            qr.payload(
                nip="1234567890",
                account=ZBP_ACCOUNT,
                amount=amount,
                name="Odbiorca 1",
                title="FV 1234/34/2012",
            )
            == "1234567890|PL|92124012340001567890123456|000000|Odbiorca 1|FV 1234/34/2012|||"
        )


def test_t14_person_has_no_nip():
    assert (
        qr.payload(
            account=ZBP_ACCOUNT,
            amount=Decimal("12.00"),
            name="Odbiorca 1",
            title="Przelew ekspress",
        )
        == "|PL|92124012340001567890123456|001200|Odbiorca 1|Przelew ekspress|||"
    )


def test_t15_library_example_with_reserves_and_polish_letters():
    assert (
        qr.payload(
            nip="5214349636",
            account="4249000050026313017364142",
            amount=Decimal("123.45"),
            name="Testowy odbiorca",
            title="Tytuł płatności",
            reserve1="11223344",
            reserve2="990066",
        )
        == "5214349636|PL|4249000050026313017364142|012345|Testowy odbiorca|Tytuł płatności"
        "|11223344|990066|"
    )


def test_t16_symbol_is_version_4_ecc_l():
    code = qr.make("1234567890|PL|92124012340001567890123456|001200|Odbiorca 1|FV 1234/34/2012|||")
    assert (code.version, code.error, code.is_micro) == (4, "L", False)


def test_account_and_nip_are_compacted():
    data = qr.payload(
        nip="PL 123-456-78-90",
        account="PL92 1240 1234 0001 5678 9012 3456",
        amount=Decimal("1.00"),
        name="A",
        title="B",
    )
    assert data.startswith("1234567890|PL|92124012340001567890123456|000100|")


def test_the_standard_caps_the_amount():
    assert qr.amount_field(Decimal("9999.99")) == "999999"
    with pytest.raises(qr.AmountTooLarge):
        qr.amount_field(Decimal("10000.00"))
    with pytest.raises(ValueError):
        qr.amount_field(Decimal("-1.00"))
    with pytest.raises(ValueError):
        qr.amount_field(Decimal("1.005"))  # money never loses grosze silently
    with pytest.raises(TypeError):
        qr.amount_field(1.5)


@pytest.mark.parametrize("bad", [{"nip": "12345"}, {"account": "1234X"}, {"account": "1" * 27}])
def test_malformed_identifiers_are_refused(bad):
    fields = {"account": ZBP_ACCOUNT, "amount": Decimal("1.00"), "name": "A", "title": "B"}
    with pytest.raises(ValueError):
        qr.payload(**{**fields, **bad})


def test_text_rules_strip_transliterate_and_truncate():
    assert qr.clean_text("Gmina | Przykładowo", 20) == "Gmina Przykładowo"
    assert qr.clean_text("Zoë–Müller „Ala”", 32) == "Zoe-Muller Ala"
    assert qr.clean_text("Urząd Gminy Przykładowo – podatki", 20) == "Urząd Gminy Przykład"
    assert qr.clean_text("a   b\tc\n", 20) == "a b c"
    assert qr.clean_text("ŻÓŁĆ gęślą jaźń 100%", 32) == "ŻÓŁĆ gęślą jaźń 100"
    assert qr.clean_text("12345678901234567890 x", 20) == "12345678901234567890"
    # Cut, then trailing space dropped: never a field ending in a space.
    assert qr.clean_text("abcdefghijklmnopqrs tu", 20) == "abcdefghijklmnopqrs"


@given(
    name=st.text(max_size=60),
    title=st.text(max_size=80),
    grosze=st.integers(min_value=0, max_value=999_999),
)
def test_any_input_gives_nine_fields_within_the_limits(name, title, grosze):
    data = qr.payload(
        nip="5251000017", account=ZBP_ACCOUNT, amount=Decimal(grosze) / 100, name=name, title=title
    )
    fields = data.split("|")
    assert len(fields) == 9
    limits = (10, 2, 26, 6, 20, 32, 20, 12, 24)
    assert all(len(x) <= m for x, m in zip(fields, limits, strict=True))
    assert fields[3] == f"{grosze:06d}"
    assert len(data) <= 160


@pytest.mark.parametrize(
    "data",
    [
        "1234567890|PL|92124012340001567890123456|001200|Odbiorca 1|FV 1234/34/2012|||",
        "5214349636|PL|4249000050026313017364142|012345|Testowy odbiorca|Tytuł płatności"
        "|11223344|990066|",
        qr.payload(
            nip="5251000017",
            account="60102010260000123456789012",
            amount=Decimal("9999.99"),
            name="Gmina Przykładowo-Źródła",
            title="PN/0001 raty 1/2026 2/2026 3/2026 4/2026",
        ),
    ],
)
def test_a_decoder_reads_back_the_exact_string(data):
    assert decode_png(qr.png(data)) == [data]


def test_svg_has_an_accessible_name():
    svg = qr.svg("|PL|92124012340001567890123456|001200|A|B|||", title="Kod QR do przelewu")
    assert svg.startswith("<svg") and "<title>Kod QR do przelewu</title>" in svg
