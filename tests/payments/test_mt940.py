"""MT940 from Polish banks: subfield styles, encodings, line ends, and malformed files rejected
with the line and the reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.mt940_generate import CreditLine, generate_statement
from payments import mt940 as mt940_module
from payments.mt940 import StatementError, parse_details, parse_statement

OWN = "60102010260000123456789012"  # the municipality's account, sort code 10201026
VIRTUAL = "75102010260000000100004711"  # same bank: prefix 00000001, payer 4711
PAYER = "19114020040000350230599137"
TITLE_CHARS = "ABCDEFGHIJKLMNOPRSTUWYZ abcdefghijklmnoprstuwyz0123456789/.,-()ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"


def nrb(sort_code: str, account: str) -> str:
    bban = sort_code + account
    return f"{98 - int(bban + '252100') % 97:02d}{bban}"


@pytest.fixture(autouse=True)
def english():
    # Reasons are asserted in English here; test_the_message_is_translated checks Polish.
    with translation.override("en"):
        yield


def test_helper_builds_the_expected_numbers():
    assert nrb("10201026", "0000000100004711") == VIRTUAL
    assert nrb("11402004", "0000350230599137") == PAYER


PKO = f"""\
:20:MT940
:25:/PL{OWN}
:28C:00012
:60F:C260115PLN1000,00
:61:2601150115C150,50NTRFNONREF//PB0000012345
{VIRTUAL}
:86:051~00COCGPRZELEW~20PODATEK OD NIERUCHOMOŚCI RAT~21A 1/2026~27JAN KOWAL
SKI~28UL. RYNEK 1~3011402004~310000350230599137
:61:2601160116D50,00NTRFNONREF//PB0000012346
:86:Opłata za prowadzenie rachunku
:61:2601160116C20,00NTRFREF123
:86:051~00PRZELEW~20WPŁATA~32ŻANETA ŹRÓDŁO~38PL{PAYER}
:62F:C260116PLN1120,50
-
"""


def test_a_pko_style_statement():
    statement = parse_statement(PKO.replace("\n", "\r\n").encode("cp1250"))
    assert statement.account == OWN
    assert statement.number == "00012"
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("1000.00"),
        Decimal("1120.50"),
    )
    first, fee, third = statement.lines
    assert first.line_no == 1 and fee.line_no == 2 and third.line_no == 3
    assert first.amount == Decimal("150.50") and fee.amount == Decimal("-50.00")
    assert first.booked_on == first.value_date == date(2026, 1, 15)
    assert type(first.booked_on) is date
    assert first.currency == "PLN"
    assert first.bank_reference == "PB0000012345"
    # A title wrapped inside a word by the bank is glued back; the name lines keep a space.
    assert first.title == "PODATEK OD NIERUCHOMOŚCI RATA 1/2026"
    assert first.counterparty_name == "JAN KOWALSKI UL. RYNEK 1"
    assert first.counterparty_account == PAYER  # PL + check digits + ~30 + ~31
    assert first.virtual_account == VIRTUAL
    assert fee.title == "Opłata za prowadzenie rachunku"
    assert fee.virtual_account == "" and fee.counterparty_account == ""
    assert third.bank_reference == "REF123"  # no // part: the customer reference
    assert third.counterparty_name == "ŻANETA ŹRÓDŁO"
    assert third.counterparty_account == PAYER


def test_t18_ing_subfields():
    details = parse_details(
        "076~00COCGPRZELEW ~20 FAKTURA 1/F/03 ~21 FAKTURA 2/F/03 ~23~24 ~25 "
        "~2919114020040000350230599137~3011402004 ~310000350230599137~32 KONTRAHENT SP. Z O.O. "
        "~33 ~34076 ~38 PL19114020040000350230599137 ~60OPŁATA ZA PRZELEW 5,00~61KURS 4,0567 "
        "~62 Ul. GRZYBOWSKA 12 ~6300-950 WARSZAWA"
    )
    assert details.title == "FAKTURA 1/F/03 FAKTURA 2/F/03"  # ~29 holds an account: not title
    assert details.counterparty_account == PAYER
    assert details.counterparty_name == "KONTRAHENT SP. Z O.O."


def test_t18_rebuilt_account_equals_38():
    with_38 = parse_details("076~20X~3011402004~310000350230599137~38PL" + PAYER)
    without = parse_details("076~20X~3011402004~310000350230599137")
    assert with_38.counterparty_account == without.counterparty_account == PAYER


@pytest.mark.parametrize("sep", ["~", "<", "+", "?"])
def test_every_separator_style(sep):
    details = parse_details(
        f"152{sep}00PRZELEW{sep}20OPŁATA ZA ODPADY{sep}21 2026{sep}32ANNA NOWAK{sep}38PL{PAYER}"
    )
    assert details.title == "OPŁATA ZA ODPADY 2026"
    assert details.counterparty_name == "ANNA NOWAK"
    assert details.counterparty_account == PAYER


def test_t17_mbank_collect():
    details = parse_details(
        "911 TRANSAKCJA COLLECT; ID IPH: XX000000000001; Z RACH.:\n"
        "56114010810000267002001001; OD: JAN NOWAK\nUL. NIJAKA 1 M 2 31-234 KRAKOW; "
        "TYT.: PRZELEW SRODKOW   ;\nTNR: 179171073864111.010001"
    )
    assert details.title == "PRZELEW SRODKOW"
    assert details.counterparty_account == "56114010810000267002001001"
    assert details.counterparty_name == "JAN NOWAK UL. NIJAKA 1 M 2 31-234 KRAKOW"


def test_free_text_details_are_the_title():
    assert parse_details("Zwrot nadpłaty\nza 2025").title == "Zwrot nadpłaty za 2025"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1250", "iso-8859-2", "cp852"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_encodings_and_line_ends(encoding, newline):
    statement = parse_statement(PKO.replace("\n", newline).encode(encoding))
    assert statement.lines[0].title == "PODATEK OD NIERUCHOMOŚCI RATA 1/2026"
    assert statement.lines[2].counterparty_name == "ŻANETA ŹRÓDŁO"


def test_windows_1250_that_happens_to_be_valid_utf8_is_read_as_windows_1250():
    # "ÓŁ" in Windows-1250 is D3 A3, which is also UTF-8 for the Cyrillic "ӣ".
    text = PKO.replace("ŻANETA ŹRÓDŁO", "ÓŁ")
    for word in ("NIERUCHOMOŚCI", "Opłata", "WPŁATA"):
        text = text.replace(word, "X")
    data = text.encode("cp1250")
    assert data.decode("utf-8")  # valid UTF-8 indeed
    assert parse_statement(data).lines[2].counterparty_name == "ÓŁ"
    assert parse_statement(text.encode("utf-8")).lines[2].counterparty_name == "ÓŁ"


def test_a_pinned_encoding_wins_and_a_wrong_one_is_an_error():
    data = PKO.encode("cp852")
    assert parse_statement(data, encoding="cp852").lines[2].counterparty_name == "ŻANETA ŹRÓDŁO"
    with pytest.raises(StatementError) as exc:
        parse_statement(PKO.encode("cp1250"), encoding="utf-8")
    assert exc.value.line_no == 1


def test_reversals_and_sums():
    text = PKO.replace(":61:2601160116D50,00", ":61:2601160116RC50,00")
    assert parse_statement(text.encode()).lines[1].amount == Decimal("-50.00")


def test_entry_date_across_the_new_year():
    text = PKO.replace(":61:2601150115C150,50", ":61:2601011231C150,50")
    line = parse_statement(text.encode()).lines[0]
    assert (line.value_date, line.booked_on) == (date(2026, 1, 1), date(2025, 12, 31))


def test_an_empty_statement_with_no_entries():
    data = f":20:X\n:25:/PL{OWN}\n:28C:1/1\n:60F:C260115PLN0,00\n:62F:C260115PLN0,00\n-\n"
    statement = parse_statement(data.encode())
    assert statement.lines == [] and statement.number == "1/1"


def _error(text: str) -> StatementError:
    with pytest.raises(StatementError) as exc:
        parse_statement(text.encode("utf-8"))
    return exc.value


def _line_of(text: str, start: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if line.startswith(start))


def test_balances_that_do_not_add_up():
    text = PKO.replace(":62F:C260116PLN1120,50", ":62F:C260116PLN1120,51")
    error = _error(text)
    assert error.line_no == _line_of(text, ":62F:")
    assert "1120.51" in error.reason and "1000.00" in error.reason and "120.50" in error.reason


@pytest.mark.parametrize(
    ("bad", "start"),
    [
        (":61:2601150115C150,5,0NTRFNONREF//PB0000012345", ":61:"),  # two commas
        (":61:2601150115C150,505NTRFNONREF//PB0000012345", ":61:"),  # three decimals
        (":61:2601150115X150,50NTRFNONREF//PB0000012345", ":61:"),  # no debit/credit mark
        (":61:2613150115C150,50NTRFNONREF//PB0000012345", ":61:"),  # month 13
        (":61:26011C150,50", ":61:"),  # cut short
    ],
)
def test_a_bad_entry_is_reported_on_its_line(bad, start):
    text = PKO.replace(":61:2601150115C150,50NTRFNONREF//PB0000012345", bad)
    error = _error(text)
    assert error.line_no == 5
    assert error.reason


def test_a_bad_balance_is_reported_on_its_line():
    text = PKO.replace(":60F:C260115PLN1000,00", ":60F:C260115PLN")
    assert _error(text).line_no == 4
    text = PKO.replace(":60F:C260115PLN1000,00", ":60F:C260115PLN10,0,0")
    assert _error(text).line_no == 4


@pytest.mark.parametrize("tag", [":20:", ":25:", ":28C:", ":60F:", ":62F:"])
def test_missing_tags(tag):
    text = "\n".join(line for line in PKO.split("\n") if not line.startswith(tag))
    error = _error(text)
    assert tag.strip(":") in error.reason
    # A missing closing balance is reported on the last line that has content.
    last = len(text.rstrip("\n").split("\n")) - 1
    assert error.line_no == (last if tag == ":62F:" else 1)


def test_entries_outside_the_balances_and_two_statements():
    early = PKO.replace(":28C:00012\n", ":28C:00012\n:61:2601150115C1,00NTRFNONREF\n", 1)
    error = _error(early)
    assert error.line_no == 4 and "before the opening balance" in error.reason
    text = PKO.replace(":86:Opłata", ":62F:C260116PLN1100,50\n:86:Opłata")
    assert "after the closing balance" in _error(text).reason
    two = PKO.replace("-\n", "") + PKO
    error = _error(two)
    assert error.line_no == len(PKO.replace("-\n", "").split("\n"))  # the second :20:
    assert "more than one statement" in error.reason


def test_currency_must_not_change():
    text = PKO.replace(":62F:C260116PLN", ":62F:C260116EUR")
    assert "EUR" in _error(text).reason


def test_empty_and_garbage_files():
    assert _error("").line_no == 1
    assert _error("\r\n-\r\n").line_no == 1
    error = _error("Dzień dobry,\nw załączeniu wyciąg.\n")
    assert error.line_no == 1 and ":20:" in error.reason


def test_the_message_is_translated():
    text = PKO.replace(":62F:C260116PLN1120,50", ":62F:C260116PLN1,00")
    with translation.override("pl"):
        error = _error(text)
    assert str(error).startswith(f"Wiersz {error.line_no}:")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=99_999_999),
            # Letters, digits and punctuation a title carries; a lone symbol such as "¤" is
            # where guessing between the Polish code pages can only be a guess.
            st.text(alphabet=TITLE_CHARS, max_size=150),
            st.text(alphabet="ABCĄĆĘŁŃÓŚŹŻ abc.-", max_size=27),
        ),
        max_size=20,
    ),
    st.integers(min_value=-(10**9), max_value=10**9),
)
def test_generated_statements_round_trip(entries, opening):
    lines = [
        CreditLine(
            amount=Decimal(grosze) / 100,
            title=title,
            counterparty_name=name,
            virtual_account=VIRTUAL if i % 2 else "",
            counterparty_account=PAYER,
            booked_on=date(2026, 3, 14),
        )
        for i, (grosze, title, name) in enumerate(entries)
    ]
    opening_amount = Decimal(opening) / 100
    statement = parse_statement(generate_statement(lines, account=OWN, opening=opening_amount))
    assert statement.opening_balance == opening_amount
    assert statement.closing_balance == opening_amount + sum(x.amount for x in lines)
    assert len(statement.lines) == len(lines)
    for sent, got in zip(lines, statement.lines, strict=False):
        assert got.amount == sent.amount
        assert got.title == " ".join(sent.title[:162].split())
        assert got.counterparty_name == " ".join(sent.counterparty_name.split())
        assert got.counterparty_account == PAYER
        assert got.virtual_account == sent.virtual_account


MBANK = """\
:20:ST170119CYC/1
:25:PL29114010810000267002001002
:28C:1
:60F:C170119PLN0,40
:61:1701190119CN0,01NTRFNONREF//MB170119012058
911-TRANSAKCJA IPH
:86:911 TRANSAKCJA COLLECT; ID IPH: XX000000000001; Z RACH.:
56114010810000267002001001; OD: JAN NOWAK
UL. NIJAKA 1 M 2 31-234 KRAKOW; TYT.: PRZELEW SRODKOW   ;
TNR: 179171073864111.010001
:62F:C170119PLN0,41
:64:C170119PLN0,41
"""


def test_a_whole_mbank_collect_statement():
    statement = parse_statement(MBANK.encode("ascii"))
    assert statement.account == "29114010810000267002001002"
    (line,) = statement.lines
    assert line.amount == Decimal("0.01") and line.bank_reference == "MB170119012058"
    assert line.title == "PRZELEW SRODKOW"
    assert line.counterparty_account == "56114010810000267002001001"
    assert line.counterparty_name == "JAN NOWAK UL. NIJAKA 1 M 2 31-234 KRAKOW"
    # Same bank, but a valid NRB of a payer is not a virtual account: it is the counterparty.
    assert line.virtual_account == ""


def test_german_question_mark_details_stay_ours():
    text = PKO.replace(
        ":86:Opłata za prowadzenie rachunku",
        ":86:166?00GUTSCHRIFT?20OPLATA?21 ZA ODPADY?32ANNA NOWAK?38PL" + PAYER,
    )
    fee = parse_statement(text.encode()).lines[1]
    assert fee.title == "OPLATA ZA ODPADY" and fee.counterparty_name == "ANNA NOWAK"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (f"/PL{OWN}", OWN),
        (f"PL{OWN}", OWN),
        (OWN, OWN),
        ("/PL60 1020 1026 0000 1234 5678 9012", OWN),
        ("DE89370400440532013000", "DE89370400440532013000"),
    ],
)
def test_account_identification_forms(written, expected):
    text = PKO.replace(f":25:/PL{OWN}", f":25:{written}")
    assert parse_statement(text.encode()).account == expected


def test_blank_lines_and_trailing_dash_do_not_move_line_numbers():
    text = PKO.replace(":28C:00012\n", ":28C:00012\n\n\n").replace(
        ":62F:C260116PLN1120,50", ":62F:C260116PLN1120,49"
    )
    assert _error(text).line_no == _line_of(text, ":62F:")


def test_a_virtual_account_elsewhere_in_the_line_is_found():
    text = PKO.replace(f"{VIRTUAL}\n", "").replace("~3011402004", f"~63{VIRTUAL}~3011402004")
    assert parse_statement(text.encode()).lines[0].virtual_account == VIRTUAL
    # A number with wrong check digits is never taken for one.
    broken = "00" + VIRTUAL[2:]
    text = PKO.replace(f"{VIRTUAL}\n", f"{broken}\n")
    assert parse_statement(text.encode()).lines[0].virtual_account == ""


# --- Reading a long statement in parts (forked processes) ------------------------------------
def _outcome(data: bytes, readers: int):
    try:
        return parse_statement(data, readers=readers)
    except StatementError as error:
        return (error.line_no, error.reason)


BROKEN = {
    "bad amount in the last entry": (":61:2601160116C20,00", ":61:2601160116C2x0,00"),
    "bad date in the last entry": (":61:2601160116C20,00", ":61:2601399116C20,00"),
    "closing balance off": (":62F:C260116PLN1120,50", ":62F:C260116PLN1,00"),
    "no closing balance": (":62F:C260116PLN1120,50\n", ""),
    "entry after the closing balance": (":86:Opłata", ":62F:C260116PLN1100,50\n:86:Opłata"),
}


@pytest.mark.parametrize("case", ["whole", *BROKEN])
@pytest.mark.parametrize("readers", [2, 3])
def test_read_in_parts_gives_what_reading_whole_gives(monkeypatch, case, readers):
    monkeypatch.setattr(mt940_module, "PARALLEL_FROM", 2)  # cut even three entries
    forked = []
    in_child = mt940_module._in_child
    monkeypatch.setattr(mt940_module, "_in_child", lambda *a: forked.append(a) or in_child(*a))
    text = PKO if case == "whole" else PKO.replace(*BROKEN[case])
    data = text.encode("cp1250")
    whole = _outcome(data, readers=1)
    assert not forked
    assert _outcome(data, readers=readers) == whole
    assert len(forked) == readers - 1  # really read in parts
    if case == "whole":
        assert len(whole.lines) == 3
    else:
        assert isinstance(whole, tuple)  # each broken variant is refused, on the same line


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=99_999_999),
            st.text(alphabet=TITLE_CHARS, max_size=80),
        ),
        min_size=2,
        max_size=30,
    ),
    st.integers(min_value=2, max_value=4),
)
def test_generated_statements_read_in_parts_as_whole(entries, readers):
    lines = [
        CreditLine(
            amount=Decimal(grosze) / 100,
            title=title,
            virtual_account=VIRTUAL if i % 3 else "",
            counterparty_account=PAYER,
            booked_on=date(2026, 3, 14),
        )
        for i, (grosze, title) in enumerate(entries)
    ]
    data = generate_statement(lines, account=OWN)
    previous, mt940_module.PARALLEL_FROM = mt940_module.PARALLEL_FROM, 2
    try:
        assert parse_statement(data, readers=readers) == parse_statement(data)
    finally:
        mt940_module.PARALLEL_FROM = previous


def test_reading_in_parts_leaves_the_database_connection_alone(db, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(mt940_module, "PARALLEL_FROM", 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert len(parse_statement(PKO.encode("cp1250"), readers=2).lines) == 3
    with connection.cursor() as cursor:  # the child left without closing it
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)


def test_a_part_whose_process_cannot_start_or_fails_is_read_here(monkeypatch):
    monkeypatch.setattr(mt940_module, "PARALLEL_FROM", 2)
    data = PKO.encode("cp1250")
    whole = parse_statement(data)

    def no_fork():
        raise OSError("Resource temporarily unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(mt940_module.os, "fork", no_fork)
        assert parse_statement(data, readers=3) == whole

    class Broken:  # the child cannot send its result back: it exits with an error
        @staticmethod
        def dump(*args):
            raise RuntimeError("cannot send")

    forked = []
    in_child = mt940_module._in_child
    monkeypatch.setattr(mt940_module, "_in_child", lambda *a: forked.append(a) or in_child(*a))
    monkeypatch.setattr(mt940_module, "marshal", Broken)
    assert parse_statement(data, readers=2) == whole
    assert len(forked) == 1
