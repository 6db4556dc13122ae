"""Site settings edited by administrators: validation of identifiers and the bank account."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from home.models import MunicipalitySettings

pytestmark = pytest.mark.django_db


def _settings(site, **overrides) -> MunicipalitySettings:
    settings = MunicipalitySettings.for_site(site)
    for name, value in overrides.items():
        setattr(settings, name, value)
    return settings


def test_valid_identifiers_and_account_pass_and_account_is_normalised(demo_site):
    settings = _settings(demo_site, bank_account="60 1020 1026 0000 1234 5678 9012")
    settings.full_clean()
    assert settings.bank_account == "60102010260000123456789012"
    assert settings.bank_account_display == "60 1020 1026 0000 1234 5678 9012"


@pytest.mark.parametrize(
    ("field", "value"),
    [("nip", "5251000018"), ("regon", "630400017")],
)
def test_bad_check_digit_is_rejected_with_a_field_message(demo_site, field, value):
    with pytest.raises(ValidationError) as excinfo:
        _settings(demo_site, **{field: value}).full_clean()
    assert field in excinfo.value.message_dict


@pytest.mark.parametrize(
    "account",
    [
        "61102010260000123456789012",  # wrong check digits
        "6010201026000012345678901",  # 25 digits
        "60102010260000123456789O12",  # letter O
    ],
)
def test_bad_bank_account_is_rejected(demo_site, account):
    with pytest.raises(ValidationError) as excinfo:
        _settings(demo_site, bank_account=account).full_clean()
    assert "bank_account" in excinfo.value.message_dict


def test_settings_render_in_the_footer(demo_site, client):
    body = client.get("/").content.decode()
    footer = body.split('class="site-footer"')[1]
    assert "Urząd Gminy Przykładowo" in footer
    assert "NIP: 5251000017" in footer
    assert 'href="tel:+48220000000"' in footer
