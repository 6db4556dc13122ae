"""Resident side of linking requests: file one, see it, print it. Only the owner sees a request
(anyone else's code answers 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from eservices.pdf import pdf_response
from home.models import MunicipalitySettings

from . import linking
from .forms import LinkRequestForm
from .models import LinkRequest


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    initial = {
        "kind": request.user.kind,
        "name": request.user.display_name if "@" not in request.user.display_name else "",
    }
    form = LinkRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        link_request = linking.file_request(request, request.user, form.cleaned_data)
        return redirect("eservices:link_request", code=link_request.code)
    return render(
        request,
        "eservices/linking/new.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _own(request: HttpRequest, code: str) -> LinkRequest:
    return get_object_or_404(LinkRequest, user=request.user, code=code)


@never_cache
@login_required
@require_GET
def request_detail(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "eservices/linking/detail.html", {"link_request": _own(request, code)})


@never_cache
@login_required
@require_GET
def request_pdf(request: HttpRequest, code: str) -> HttpResponse:
    link_request = _own(request, code)
    pdf = linking.request_pdf(link_request, MunicipalitySettings.for_request(request))
    return pdf_response(pdf, f"wniosek-{link_request.code}.pdf")
