"""Taxpayer identifiers: PESEL encrypted at rest and found by a blind index; NIP/REGON checked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from eservices import crypto
from eservices.models import Taxpayer

from . import factories as f

pytestmark = pytest.mark.django_db

PESEL = "44051401359"  # python-stdnum's documented valid example


def test_pesel_is_not_stored_in_clear_and_reads_back():
    tp = f.taxpayer(pesel=PESEL)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pesel_encrypted, pesel_index FROM eservices_taxpayer WHERE id = %s", [tp.pk]
        )
        stored, index = cursor.fetchone()
    assert PESEL not in stored and PESEL not in index
    assert Taxpayer.objects.get(pk=tp.pk).pesel == PESEL
    assert Taxpayer.objects.get(pk=tp.pk).masked_pesel == "*******1359"


def test_lookup_by_pesel_uses_the_blind_index():
    tp = f.taxpayer(pesel=PESEL)
    f.taxpayer(pesel="02070803628")
    assert list(Taxpayer.objects.with_pesel(PESEL)) == [tp]
    assert not Taxpayer.objects.with_pesel("02070803629").exists()


def test_old_key_still_decrypts_after_rotation(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["old-key"]
    crypto.reset_caches()
    token = crypto.encrypt(PESEL)
    settings.FIELD_ENCRYPTION_KEYS = ["new-key", "old-key"]
    crypto.reset_caches()
    try:
        assert crypto.decrypt(token) == PESEL
        settings.FIELD_ENCRYPTION_KEYS = ["unrelated-key"]
        crypto.reset_caches()
        with pytest.raises(ValueError):
            crypto.decrypt(token)
    finally:
        crypto.reset_caches()


def test_tampered_ciphertext_is_rejected():
    token = crypto.encrypt(PESEL)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(ValueError):
        crypto.decrypt(tampered)


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"kind": "organisation", "organisation_name": "X", "nip": "5251000018"}, "nip"),
        ({"kind": "organisation", "organisation_name": "X", "nip": ""}, "nip"),
        (
            {"kind": "organisation", "organisation_name": "", "nip": "5251000017"},
            "organisation_name",
        ),
        ({"regon": "630400017"}, "regon"),
        ({"last_name": ""}, "last_name"),
    ],
)
def test_invalid_identifiers_give_a_message_per_field(fields, bad_field):
    values = {"first_name": "Jan", "last_name": "Kowalski", "external_id": "T-1", **fields}
    with pytest.raises(ValidationError) as excinfo:
        Taxpayer(**values).full_clean()
    assert bad_field in excinfo.value.message_dict


def test_nip_with_prefix_and_dashes_is_normalised():
    tp = Taxpayer(
        kind="organisation", organisation_name="Firma", nip="PL 525-100-00-17", external_id="T-2"
    )
    tp.full_clean()
    assert tp.nip == "5251000017"


def test_database_refuses_a_taxpayer_without_a_name():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Taxpayer.objects.create(kind="organisation", organisation_name="", external_id="T-3")
