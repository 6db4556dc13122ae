"""Diacritics-insensitive site search: "podatek od srodkow" finds "podatek od środków".

Residents often type Polish without diacritics. PostgreSQL's ``unaccent`` does not exist on
SQLite, so the same trick serves both databases: pages that want it index a *folded* copy of
their text (``fold``: no diacritics, "ł" as "l"), and every query is run both as typed and
folded. Typed with diacritics, a query still matches the original text; typed without, it
matches the folded copy.
"""

from __future__ import annotations

import unicodedata

from django.db.models import QuerySet
from wagtail.search.query import PlainText

# Letters that Unicode does not decompose into a base letter and a combining mark.
_NO_DECOMPOSITION = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O"})


def fold(text: str) -> str:
    """``text`` without diacritics: "Zażółć gęślą jaźń" → "Zazolc gesla jazn"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_pages(pages: QuerySet, query_string: str):
    """Wagtail search over ``pages`` for the query as typed or folded (ranked by relevance)."""
    folded = fold(query_string)
    query = PlainText(query_string)
    if folded != query_string:
        query = query | PlainText(folded)
    return pages.search(query)
