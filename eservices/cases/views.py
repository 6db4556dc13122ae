"""Resident pages: the online form of a matter and "Moje sprawy" (cases, attachments, receipts).

A case, its attachments and its receipt exist only for the resident who filed it: for anyone
else every URL answers 404 (`cases_for`), so identifiers cannot be probed.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from eservices.pdf import pdf_response
from home.models import MunicipalitySettings

from .filing import answers_from_form, file_case
from .forms import application_form_class
from .models import Case, CaseAttachment, CasePage
from .receipt import render_receipt


def cases_for(user) -> QuerySet:
    """The cases ``user`` may see: their own."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(user=user)


def get_case(user, pk: int) -> Case:
    return get_object_or_404(cases_for(user).select_related("department", "page"), pk=pk)


@never_cache
def apply(request: HttpRequest, page: CasePage) -> HttpResponse:
    """The online form of ``page`` (served at ``<matter>/wniosek/``)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form_class = application_form_class(page)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                case = file_case(
                    page=page,
                    user=request.user,
                    answers=answers_from_form(page, form.cleaned_data),
                    files=form.cleaned_data.get("attachments") or [],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect(f"{case.get_absolute_url()}?zlozono=1")
    else:
        form = form_class()
    return render(
        request,
        "cases/apply.html",
        {"page": page, "form": form},
        status=400 if form.is_bound else 200,
    )


@never_cache
@login_required
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    cases = cases_for(request.user).select_related("department")
    return render(request, "cases/my_cases.html", {"cases": cases})


@never_cache
@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case(request.user, pk)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "history": case.history.all(),
            "attachments": case.attachments.all(),
            "just_filed": request.GET.get("zlozono") == "1",
        },
    )


@never_cache
@login_required
@require_GET
def attachment(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    case = get_case(request.user, pk)
    item = get_object_or_404(CaseAttachment, case=case, pk=attachment_pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case(request.user, pk)
    pdf = render_receipt(case, municipality=MunicipalitySettings.for_request(request))
    filename = "upo-" + case.registry_number.replace(".", "-") + ".pdf"
    return pdf_response(pdf, filename, attachment=True)
