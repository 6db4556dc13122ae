"""Fixtures of the cases tests: a small catalogue with one online matter, private storage."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.storage import storages
from wagtail.models import Page, Site

from eservices.cases.models import (
    CaseAttachment,
    CaseCatalogPage,
    CaseFormField,
    CasePage,
    Category,
    Department,
)
from tests.eservices import factories as f
from tests.eservices.conftest import login_verified


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path, monkeypatch):
    """Attachments go to a temporary private directory, far from MEDIA_ROOT."""
    root = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "cases_private": {
            "BACKEND": "eservices.cases.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    # The field resolved its storage when the model was defined; point it at the new one.
    monkeypatch.setattr(
        CaseAttachment._meta.get_field("file"), "storage", storages["cases_private"]
    )
    return root


def matter(parent: Page, slug: str, **fields) -> CasePage:
    values = {
        "title": "Zaświadczenie o niezaleganiu w podatkach",
        "slug": slug,
        "form_code": "ZN-1",
        "category": Category.TAXES,
        "summary": "Zaświadczenie o braku zaległości podatkowych.",
        "description": "<p>Podatek od środków transportowych i od nieruchomości.</p>",
        "who_may_file": "<p>Podatnik.</p>",
        "required_documents": "<p>Wniosek.</p>",
        "fees": "<p>21 zł</p>",
        "deadline": "7 dni",
        "legal_basis": "<p>Ordynacja podatkowa.</p>",
        "jrwa_class": "3120",
        **fields,
    }
    page = CasePage(**values)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture(autouse=True)
def _fresh_site_root_paths():
    """Wagtail caches the sites' root paths; with Redis the cache outlives rolled-back tests."""
    Site.clear_site_root_paths_cache()
    yield
    Site.clear_site_root_paths_cache()


@pytest.fixture
def department(db) -> Department:
    return Department.objects.create(
        name="Referat Finansowy", symbol="FN", room="6", phone="+48 61 000 00 16",
        opening_hours="pon. 8–16\nwt.–pt. 7:30–15:30",
    )  # fmt: skip


@pytest.fixture
def catalogue(db) -> CaseCatalogPage:
    home = Site.objects.get(is_default_site=True).root_page
    page = CaseCatalogPage(title="Katalog spraw", slug="katalog-spraw")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def online_matter(catalogue, department) -> CasePage:
    page = matter(catalogue, "zaswiadczenie", department=department, online_form=True)
    CaseFormField.objects.create(
        page=page, sort_order=0, label="Cel wydania", field_type="singleline", required=True
    )
    CaseFormField.objects.create(
        page=page, sort_order=1, label="Sposób odbioru", field_type="radio", required=True,
        choices="Osobiście\nPocztą",
    )  # fmt: skip
    return page


@pytest.fixture
def resident(db):
    return f.user("jan@example.pl", first_name="Jan", last_name="Kowalski")


@pytest.fixture
def other_resident(db):
    return f.user("ewa@example.pl", first_name="Ewa", last_name="Obca")


@pytest.fixture
def clerk(db):
    user = f.user("urzednik@gmina.example", is_staff=True, first_name="Urszula")
    user.groups.add(Group.objects.get(name="Urzędnicy"))
    return user


@pytest.fixture
def editor(db):
    user = f.user("redaktor@gmina.example", is_staff=True)
    user.groups.add(Group.objects.get(name="Redaktorzy"))
    return user


@pytest.fixture
def staff_login():
    return login_verified


PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
