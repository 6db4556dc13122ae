"""Resident pages of a survey (served by ``SurveyPage`` routes): the form, thanks, summary."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control

from .audience import may_answer
from .enums import Audience
from .forms import answer_form_class, answers_from
from .models import SurveyPage
from .responses import AlreadyAnswered, SurveyNotOpen, has_answered, submit_response
from .results import summarise
from .throttle import browser_has_answered, mark_browser, take_ip_slot


def _check_audience(request: HttpRequest, page: SurveyPage) -> HttpResponse | None:
    """A login redirect for visitors, 404 for accounts outside the audience, else None."""
    # Editors preview a survey whatever its audience (the preview is never a live answer).
    if getattr(request, "is_preview", False) or may_answer(request.user, page):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("eservices:login"))
    raise Http404("No such survey.")


def _render(request, page, template: str, status: int = 200, **context) -> HttpResponse:
    response = TemplateResponse(
        request, template, {"page": page, "self": page, **context}, status=status
    )
    if page.audience == Audience.EVERYONE and not request.user.is_authenticated:
        patch_cache_control(response, private=True)
    else:
        add_never_cache_headers(response)
    return response


def _already_answered(request, page) -> bool:
    if request.user.is_authenticated:
        return has_answered(request.user, page)
    return browser_has_answered(request, page)


def survey_form(request: HttpRequest, page: SurveyPage) -> HttpResponse:
    if (refusal := _check_audience(request, page)) is not None:
        return refusal
    if not page.is_open():
        return _render(request, page, "surveys/survey_closed.html")
    if _already_answered(request, page):
        return _render(request, page, "surveys/survey_answered.html")
    form_class = answer_form_class(page)
    if request.method == "POST":
        form = form_class(request.POST, page=page, user=request.user)
        if form.is_valid():
            if not request.user.is_authenticated and not take_ip_slot(request, page):
                return _render(request, page, "surveys/survey_throttled.html", status=429)
            try:
                submit_response(page, request.user, answers_from(form, page))
            except AlreadyAnswered:
                return _render(request, page, "surveys/survey_answered.html")
            except SurveyNotOpen:
                return _render(request, page, "surveys/survey_closed.html")
            response = redirect(page.get_url(request) + page.reverse_subpage("thank_you"))
            if not request.user.is_authenticated:
                mark_browser(response, page)
            return response
    else:
        form = form_class(page=page, user=request.user)
    return _render(request, page, "surveys/survey_page.html", form=form)


def thank_you(request: HttpRequest, page: SurveyPage) -> HttpResponse:
    if (refusal := _check_audience(request, page)) is not None:
        return refusal
    return _render(request, page, "surveys/survey_thank_you.html")


def public_summary(request: HttpRequest, page: SurveyPage) -> HttpResponse:
    """Aggregates only (no text answers), only after closing, only to the survey's audience."""
    if not page.summary_visible():
        raise Http404("No published summary.")
    if (refusal := _check_audience(request, page)) is not None:
        return refusal
    results = summarise(page, page.responses.all())
    return _render(request, page, "surveys/survey_summary.html", results=results)
