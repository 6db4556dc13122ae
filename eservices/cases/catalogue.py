"""The catalogue's filter: a category and a text, from a plain GET form (works without JS)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from home.search import search_pages

from .models import Category


class CatalogueForm(forms.Form):
    q = forms.CharField(label=_("Search the catalogue"), required=False, max_length=200)
    kategoria = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
    )


class CatalogueFilter:
    """The matters of a catalogue that match the form, grouped by category for display."""

    def __init__(self, data, *, matters: QuerySet) -> None:
        self.form = CatalogueForm(data)
        self.form.is_valid()
        cleaned = getattr(self.form, "cleaned_data", {})
        self.query = (cleaned.get("q") or "").strip()
        self.category = cleaned.get("kategoria") or ""
        if self.category:
            matters = matters.filter(category=self.category)
        if self.query:
            self.results = list(search_pages(matters, self.query))
        else:
            self.results = list(matters)
        self.is_filtered = bool(self.query or self.category)

    def groups(self) -> list[tuple[str, list]]:
        """``[(category label, matters)]`` in the order of `Category`, empty ones left out."""
        by_category: dict[str, list] = {}
        for matter in self.results:
            by_category.setdefault(matter.category, []).append(matter)
        return [
            (label, by_category[value]) for value, label in Category.choices if value in by_category
        ]
