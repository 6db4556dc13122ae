"""Wagtail hooks of the surveys app: the "Ankiety" menu, results URLs, the account panel."""

from __future__ import annotations

from django.urls import include, path, reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from eservices.account_panels import ACCOUNT_PANEL_HOOK, AccountPanel

from . import admin_views
from .audience import open_surveys_for
from .models import SurveyPage, SurveyParticipation


@hooks.register("register_admin_urls")
def register_survey_results_urls():
    urls = [
        path("", admin_views.SurveyListView.as_view(), name="index"),
        path("<int:pk>/", admin_views.SurveyResultsView.as_view(), name="results"),
    ]
    return [path("surveys/", include((urls, "survey_results"), namespace="survey_results"))]


class SurveysMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.user_can_view_results(request.user)


@hooks.register("register_admin_menu_item")
def register_surveys_menu_item():
    return SurveysMenuItem(
        _("Surveys"),
        reverse_lazy("survey_results:index"),
        name="surveys",
        icon_name="list-ul",
        order=350,
    )


def _results_button(page, user, priority: int):
    if isinstance(page.specific_deferred, SurveyPage) and admin_views.user_can_view_results(user):
        yield Button(
            _("Survey results"),
            url=reverse("survey_results:results", args=(page.pk,)),
            icon_name="list-ul",
            priority=priority,
        )


@hooks.register("register_page_listing_more_buttons")
def survey_results_listing_button(page, user, next_url=None):
    yield from _results_button(page, user, priority=45)


@hooks.register("register_page_header_buttons")
def survey_results_header_button(page, user, view_name, next_url=None):
    yield from _results_button(page, user, priority=62)


@hooks.register("register_log_actions")
def register_survey_log_actions(actions):
    actions.register_action(
        admin_views.EXPORT_ACTION, _("Export survey answers"), _("Exported the survey answers")
    )


@hooks.register(ACCOUNT_PANEL_HOOK)
def surveys_account_panel(request):
    if not request.user.is_authenticated:
        return None
    surveys = list(open_surveys_for(request.user))
    answered = set(
        SurveyParticipation.objects.filter(user=request.user, page__in=surveys).values_list(
            "page_id", flat=True
        )
    )
    return AccountPanel(
        title=_("Surveys for you"),
        template="surveys/account_panel.html",
        context={"surveys": surveys, "answered": answered},
        order=60,
        anchor="ankiety",
    )
