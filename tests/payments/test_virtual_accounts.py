"""Virtual accounts: layout, check digits (schwifty), the reverse lookup and its query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from schwifty import IBAN

from home.models import MunicipalitySettings
from payments.virtual_accounts import (
    VirtualAccountUnavailable,
    compact_nrb,
    format_nrb,
    is_valid_nrb,
    payment_account,
    resolve_virtual_account,
    resolve_virtual_accounts,
    virtual_account,
)
from tests.eservices import factories as f

pytestmark = pytest.mark.django_db

MAIN = "60102010260000123456789012"  # sort code 10201026 (PKO BP)


@pytest.fixture
def municipality(db):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    settings = MunicipalitySettings.for_site(site)
    settings.bank_account = MAIN
    settings.save()
    return settings


@pytest.mark.parametrize(
    ("account_code", "expected"),
    [  # PROTOCOLS.md T7, from schwifty's own tests
        ("0000123400005678", "PL66114010100000123400005678"),
        ("12340000", "PL04114010100000000012340000"),
        ("1234", "PL89114010100000000000001234"),
    ],
)
def test_schwifty_generates_the_published_numbers(account_code, expected):
    assert IBAN.generate("PL", "11401010", account_code).compact == expected


def test_t11_layout_sort_code_prefix_payer(municipality):
    """T11: 10204027 + 12345678 + 00004711 → PL22…, BIC BPKOPLPWXXX."""
    rtype = f.receivable_type(
        "odpady", bank_account="85102040270000000000000001", virtual_account_prefix="12345678"
    )
    tp = f.taxpayer(pk=4711)
    nrb = virtual_account(tp, rtype)
    assert nrb == "22 1020 4027 1234 5678 0000 4711"
    assert IBAN("PL" + compact_nrb(nrb)).bic == "BPKOPLPWXXX"
    assert is_valid_nrb(nrb)


def test_sort_code_of_the_main_account_when_the_type_has_none(municipality):
    rtype = f.receivable_type("pn-osoby", virtual_account_prefix="00000007")
    tp = f.taxpayer()
    nrb = compact_nrb(virtual_account(tp, rtype))
    assert len(nrb) == 26 and nrb.isdigit()
    assert nrb[2:10] == MAIN[2:10]
    assert nrb[10:18] == "00000007"
    assert int(nrb[18:]) == tp.pk
    IBAN("PL" + nrb, validate_bban=True)  # raises on bad check digits or sort code


def test_each_taxpayer_and_type_gets_its_own_account(municipality):
    tax = f.receivable_type("pn-osoby", virtual_account_prefix="00000001")
    waste = f.receivable_type("odpady", virtual_account_prefix="00000002")
    a, b = f.taxpayer(), f.taxpayer()
    numbers = {virtual_account(tp, t) for tp in (a, b) for t in (tax, waste)}
    assert len(numbers) == 4


def test_a_shorter_prefix_leaves_more_digits_to_the_payer(municipality):
    rtype = f.receivable_type("psy", virtual_account_prefix="42")
    tp = f.taxpayer()
    nrb = compact_nrb(virtual_account(tp, rtype))
    assert nrb[10:12] == "42" and int(nrb[12:]) == tp.pk
    assert resolve_virtual_account(nrb) == (tp, rtype)


def test_no_prefix_no_virtual_account_and_payment_falls_back(municipality):
    rtype = f.receivable_type("pn-osoby")
    waste = f.receivable_type("odpady", bank_account="11102010260000190200000001")
    tp = f.taxpayer()
    with pytest.raises(VirtualAccountUnavailable):
        virtual_account(tp, rtype)
    assert payment_account(tp, rtype) == format_nrb(MAIN)
    assert payment_account(tp, waste) == "11 1020 1026 0000 1902 0000 0001"


def test_no_account_configured_at_all(db):
    rtype = f.receivable_type("pn-osoby", virtual_account_prefix="00000001")
    with pytest.raises(VirtualAccountUnavailable):
        virtual_account(f.taxpayer(), rtype)
    assert payment_account(f.taxpayer(), rtype) == ""


def test_non_digit_prefix_is_refused(municipality):
    rtype = f.receivable_type("pn-osoby", virtual_account_prefix="AB12")
    with pytest.raises(VirtualAccountUnavailable):
        virtual_account(f.taxpayer(), rtype)


def test_round_trip_in_any_written_form(municipality):
    rtype = f.receivable_type("pn-osoby", virtual_account_prefix="00000001")
    tp = f.taxpayer()
    nrb = virtual_account(tp, rtype)
    for written in (nrb, compact_nrb(nrb), "PL" + compact_nrb(nrb), "PL " + nrb):
        assert resolve_virtual_account(written) == (tp, rtype)


def test_reverse_lookup_rejects_what_is_not_ours(municipality):
    rtype = f.receivable_type("pn-osoby", virtual_account_prefix="00000001")
    tp = f.taxpayer()
    nrb = compact_nrb(virtual_account(tp, rtype))
    wrong_check = f"{(int(nrb[:2]) + 1) % 100:02d}{nrb[2:]}"
    other_bank = compact_nrb(str(IBAN.generate("PL", "10901014", nrb[10:])))
    unknown_prefix = compact_nrb(str(IBAN.generate("PL", nrb[2:10], "99999999" + nrb[18:])))
    unknown_payer = compact_nrb(str(IBAN.generate("PL", nrb[2:10], "0000000199999999")))
    for number in (
        wrong_check,
        other_bank,
        unknown_prefix,
        unknown_payer,
        MAIN,
        "",
        "123",
        "x" * 26,
    ):
        assert resolve_virtual_account(number) is None


def test_ambiguous_prefixes_resolve_to_nothing(municipality):
    a = f.receivable_type("pn-osoby", virtual_account_prefix="0000")
    b = f.receivable_type("odpady", virtual_account_prefix="00000001")
    # "0000" + 000100000042 and "00000001" + 00000042 are the same 16 digits: never guess.
    nrb = virtual_account(f.taxpayer(pk=100000042), a)
    assert nrb == virtual_account(f.taxpayer(pk=42), b)
    assert resolve_virtual_account(nrb) is None


def test_bulk_lookup_is_two_queries_whatever_the_count(municipality):
    tax = f.receivable_type("pn-osoby", virtual_account_prefix="00000001")
    waste = f.receivable_type("odpady", virtual_account_prefix="00000002")
    payers = [f.taxpayer() for _ in range(12)]
    numbers = {virtual_account(tp, t, municipality): (tp, t) for tp in payers for t in (tax, waste)}
    with CaptureQueriesContext(connection) as queries:
        found = resolve_virtual_accounts([*list(numbers), "00" * 13], municipality)
    assert len(queries) == 2
    assert {format_nrb(k): v for k, v in found.items()} == numbers


def test_format_nrb_is_the_paper_form():
    assert format_nrb("PL61109010140000071219812874") == "61 1090 1014 0000 0712 1981 2874"
    assert is_valid_nrb("61 1090 1014 0000 0712 1981 2874")  # T8
    assert not is_valid_nrb("92124012340001567890123456")  # T10: sort code 12401234 fails
