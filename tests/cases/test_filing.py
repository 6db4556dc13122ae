"""Filing a case: registry numbers, attachments (limits, signatures, private storage), receipt."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from pypdf import PdfReader

from eservices.cases.filing import content_digest, file_case, next_registry_number
from eservices.cases.models import Case, CaseAttachment, RegistrySequence, Status
from eservices.cases.receipt import render_receipt
from home.models import MunicipalitySettings

from .conftest import PDF_BYTES, PNG_BYTES

ANSWERS = [
    {"label": "Cel wydania", "value": "kredyt"},
    {"label": "Sposób odbioru", "value": "Pocztą"},
]


def pdf(name="skan.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.mark.django_db
def test_registry_numbers_follow_the_pattern_and_restart_each_year():
    assert next_registry_number("FN", "3120", 2026) == "FN.3120.1.2026"
    assert next_registry_number("FN", "3120", 2026) == "FN.3120.2.2026"
    assert next_registry_number("GK", "6233", 2026) == "GK.6233.1.2026"
    assert next_registry_number("FN", "3120", 2027) == "FN.3120.1.2027"
    with override_settings(CASES_REGISTRY_NUMBER_PATTERN="{year}/{symbol}-{jrwa}/{number:04d}"):
        assert next_registry_number("FN", "3120", 2026) == "2026/FN-3120/0003"


@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_never_share_a_number():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL row locks")
    numbers, errors = [], []
    barrier = threading.Barrier(8)

    def take() -> None:
        try:
            barrier.wait()
            numbers.append(next_registry_number("FN", "3120", 2030))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(numbers) == sorted(f"FN.3120.{n}.2030" for n in range(1, 9))
    assert RegistrySequence.objects.get(symbol="FN", year=2030).last_number == 8


@pytest.mark.django_db
def test_filing_creates_the_case_its_attachments_and_the_first_status(
    online_matter, resident, private_storage, settings
):
    case = file_case(page=online_matter, user=resident, answers=ANSWERS, files=[pdf()])
    assert case.registry_number.startswith("FN.3120.") and case.status == Status.RECEIVED
    assert [h.status for h in case.history.all()] == [Status.RECEIVED]
    attachment = case.attachments.get()
    stored = Path(attachment.file.path)
    # Private: under the private root, nowhere under MEDIA_ROOT, no public URL, random name.
    assert stored.is_relative_to(private_storage)
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert "skan" not in stored.name and stored.read_bytes() == PDF_BYTES
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert case.content_sha256 == content_digest(
        registry_number=case.registry_number,
        title=case.title,
        submitted_at=case.submitted_at,
        answers=ANSWERS,
        attachments=[attachment],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (SimpleUploadedFile("wirus.exe", b"MZ\x90\x00"), "przyjmujemy tylko pliki typu"),
        (SimpleUploadedFile("udaje.pdf", b"MZ\x90\x00 not a pdf"), "nie jest plikiem PDF"),
        (SimpleUploadedFile("zdjecie.png", PDF_BYTES), "nie jest plikiem PNG"),
        (SimpleUploadedFile("pusty.pdf", b""), "plik jest pusty"),
        (SimpleUploadedFile("duzy.pdf", PDF_BYTES + b"0" * 2048), "plik jest większy niż"),
    ],
)
def test_bad_attachments_are_refused_by_name_and_nothing_is_kept(
    online_matter, resident, private_storage, settings, upload, reason
):
    settings.CASES_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        file_case(page=online_matter, user=resident, answers=ANSWERS, files=[pdf(), upload])
    assert any(upload.name in m and reason in m for m in error.value.messages), error.value
    assert not Case.objects.exists() and not RegistrySequence.objects.exists()
    assert not private_storage.exists() or not any(private_storage.rglob("*.*"))


@pytest.mark.django_db
def test_too_many_attachments_are_refused(online_matter, resident, settings):
    settings.CASES_ATTACHMENT_MAX_FILES = 2
    files = [pdf(f"{n}.pdf") for n in range(3)]
    with pytest.raises(ValidationError, match="najwyżej 2"):
        file_case(page=online_matter, user=resident, answers=ANSWERS, files=files)


@pytest.mark.django_db
def test_a_failure_after_files_were_stored_removes_them(
    online_matter, resident, private_storage, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(CaseAttachment, "save", broken)
    with pytest.raises(RuntimeError):
        file_case(page=online_matter, user=resident, answers=ANSWERS, files=[pdf()])
    assert not Case.objects.exists()
    assert not any(p.is_file() for p in private_storage.rglob("*"))


@pytest.mark.django_db
def test_matters_without_an_online_form_cannot_be_filed(online_matter, resident):
    online_matter.online_form = False
    with pytest.raises(ValidationError):
        file_case(page=online_matter, user=resident, answers=ANSWERS)
    online_matter.online_form, online_matter.attachments_allowed = True, False
    with pytest.raises(ValidationError):
        file_case(page=online_matter, user=resident, answers=ANSWERS, files=[pdf()])


@pytest.mark.django_db
def test_receipt_pdf_says_what_was_filed_when_and_its_checksum(online_matter, resident):
    png = SimpleUploadedFile("mapa.png", PNG_BYTES)
    case = file_case(page=online_matter, user=resident, answers=ANSWERS, files=[png])
    pdf_bytes = render_receipt(case, municipality=MunicipalitySettings(name="Gmina Testowo"))
    reader = PdfReader(io.BytesIO(pdf_bytes))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Potwierdzenie złożenia" in flat
    assert case.registry_number in flat
    assert "Zaświadczenie o niezaleganiu w podatkach" in flat
    assert "kredyt" in flat and "Pocztą" in flat and "mapa.png" in flat
    # The checksum may be broken across lines in the layout.
    assert case.content_sha256 in text.replace("\n", "").replace(" ", "")
    assert hashlib.sha256(PNG_BYTES).hexdigest() in text.replace("\n", "").replace(" ", "")
    assert "Gmina Testowo" in flat
