"""Notify-style placeholders: validation against the data source, rendering, SMS warnings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from messaging import placeholders as p


def test_placeholders_are_checked_against_the_fields_the_query_provides():
    # total_arrears computes no interest and nothing "not yet due".
    errors = p.validate("total_arrears", "Zaległość ((kwota_zaleglosci)), odsetki ((odsetki))")
    assert len(errors) == 1
    assert "((odsetki))" in errors[0]
    assert "((kwota_zaleglosci))" in errors[0]  # the list of what is available
    assert p.validate("dues_and_arrears_with_interest", "((odsetki)) ((kwota_zaleglosci))") == []
    # nearest_dues leaves reminder costs out.
    assert p.validate("nearest_dues", "((koszty_upomnienia))")
    assert p.validate("nearest_dues", "((termin)) ((kwota)) ((imie))") == []


def test_names_match_ignoring_case_spaces_underscores_and_polish_letters():
    assert p.validate("total_arrears", "((Kwota zaległości)) ((IMIĘ)) ((kwota-zaleglosci))") == []
    text = p.render("((Kwota Zaległości))", "total_arrears", {"arrears": Decimal("1234.50")})
    assert text == "1 234,50 zł"


def test_template_code_and_unclosed_brackets_are_refused():
    assert any("Kod szablonów" in e for e in p.validate("none", "{{ user.password }}"))
    assert any("{%" in e for e in p.validate("none", "{% debug %}"))
    assert any("nie jest zamknięte" in e for e in p.validate("none", "Dzień dobry ((imie"))
    assert p.validate("no-such-source", "x") == ["Nieznane źródło danych."]


def test_template_code_is_never_interpreted_only_printed():
    out = p.render("{{ settings.SECRET_KEY }} ((imie))", "none", {"imie": "Jan"})
    assert out == "{{ settings.SECRET_KEY }} Jan"


def test_optional_blocks_show_only_when_the_field_has_a_value():
    text = "Zaległość ((kwota_zaleglosci))((koszty_upomnienia?? i koszty upomnienia))."
    with_costs = {"arrears": Decimal("10.00"), "reminder_costs": Decimal("16.60")}
    without = {"arrears": Decimal("10.00"), "reminder_costs": Decimal("0.00")}
    assert p.render(text, "total_arrears", with_costs) == "Zaległość 10,00 zł i koszty upomnienia."
    assert p.render(text, "total_arrears", without) == "Zaległość 10,00 zł."
    assert p.render(text, "total_arrears", {"arrears": Decimal("1"), "reminder_costs": None}) == (
        "Zaległość 1,00 zł."
    )


def test_dates_and_html_escaping():
    values = {"imie": "<b>Ala</b>", "nearest_due_date": date(2026, 3, 15)}
    assert p.render("((termin))", "nearest_dues", values) == "15.03.2026"
    html = p.render("<p>((imie))</p>", "nearest_dues", values, escape_values=True)
    assert html == "<p>&lt;b&gt;Ala&lt;/b&gt;</p>"


def test_reminder_and_payment_sources_have_their_own_fields():
    assert p.validate("reminder", "((termin)) ((kwota)) ((naleznosc)) ((rata))") == []
    assert p.validate("reminder", "((kwota_zaleglosci))")
    assert p.validate("payment_booked", "((kwota)) ((saldo)) ((data))") == []
    assert p.validate("none", "((link))") == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Zaległość ((kwota_zaleglosci))", "kwot"),
        ("Do zapłaty 120,00 zł", "kwot"),
        ("Zapłać na https://gmina.example/p", "link"),
        ("Ankieta: ((link))", "link"),
        ("Konto 61 1090 1014 0000 0712 1981 2874", "rachunku"),
    ],
)
def test_sms_warnings_for_amounts_links_and_account_numbers(text, reason):
    warnings = p.sms_warnings(text)
    assert any(reason in w for w in warnings), warnings


def test_a_plain_reminder_sms_has_no_warnings():
    assert p.sms_warnings("Gmina: termin raty ((rata)) mija ((termin)). Tel. 12 345 67 89") == []
