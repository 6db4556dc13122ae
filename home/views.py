"""Plain views of the site chrome: health check, search, error pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from wagtail.contrib.search_promotions.models import Query
from wagtail.models import Locale, Page

from .search import search_pages


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and docker-compose: answers 200 only when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Site search over live public pages of the active language, diacritics optional.

    Editors' promoted results ("Recommended", wagtail.contrib.search_promotions) come first.
    """
    query_string = request.GET.get("q", "").strip()[:200]
    results_page = None
    promoted = []
    if query_string:
        pages = Page.objects.live().public().filter(locale=Locale.get_active()).specific()
        results = search_pages(pages, query_string)
        query = Query.get(query_string)
        query.add_hit()
        promoted = [p.page.specific for p in query.editors_picks.select_related("page")]
        results_page = Paginator(results, 10).get_page(request.GET.get("strona"))
    return render(
        request,
        "home/search.html",
        {
            "search_query": query_string,
            "results": results_page,
            "promoted": promoted,
            "pagination_query": "&" + urlencode({"q": query_string}),
        },
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without context processors or database access: whatever broke may be the reason.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
