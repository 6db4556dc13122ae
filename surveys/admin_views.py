"""Results in the admin ("Ankiety"): the list of surveys and one survey's analysis and export.

Permission is checked in ``dispatch`` (hiding the menu item is not enough): the results need
``surveys.view_survey_results`` (clerks and administrators, ``surveys/roles.py``). Exports of
raw answers are logged with Wagtail's audit log.
"""

from __future__ import annotations

from collections import OrderedDict

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.log_actions import log

from .audience import audience_size
from .forms import ResultsFilterForm
from .models import SurveyPage, SurveyResponse
from .results import export_columns, export_value, percent, summarise

RESULTS_PERMISSION = "surveys.view_survey_results"
EXPORT_ACTION = "surveys.export_answers"
# A spreadsheet treats a cell starting with these as a formula: residents' texts must not run.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def user_can_view_results(user) -> bool:
    return bool(user.is_active and user.has_perm(RESULTS_PERMISSION))


def neutralise_formula(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class ResultsPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not user_can_view_results(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SurveyListView(ResultsPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "surveys/admin/survey_list.html"
    page_title = _("Surveys")
    header_icon = "list-ul"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        surveys = SurveyPage.objects.annotate(response_count=Count("responses")).order_by(
            "-closes_at", "title"
        )
        now = timezone.now()
        context["surveys"] = [
            (
                survey,
                reverse("survey_results:results", args=(survey.pk,)),
                _("open") if survey.is_open(now) else _("closed") if survey.is_closed(now)
                else _("not open yet"),
            )
            for survey in surveys
        ]  # fmt: skip
        return context


class SurveyResultsView(
    ResultsPermissionMixin, SpreadsheetExportMixin, WagtailAdminTemplateMixin, TemplateView
):
    """Counts, percentages and charts per question, text answers, response rate, export."""

    template_name = "surveys/admin/survey_results.html"
    header_icon = "list-ul"

    def dispatch(self, request, *args, **kwargs):
        self.survey = get_object_or_404(SurveyPage, pk=kwargs["pk"])
        self.form = ResultsFilterForm(request.GET or None, page=self.survey)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Results: %(title)s") % {"title": self.survey.title}

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("survey_results:index"), "label": _("Surveys")},
            {"url": "", "label": self.survey.title},
        ]

    @cached_property
    def filters(self) -> dict:
        if self.form.is_bound and self.form.is_valid():
            return self.form.cleaned_data
        return {}

    def get_queryset(self):
        responses = self.survey.responses.order_by("submitted_on", "id")
        if group := self.filters.get("group"):
            responses = responses.filter(taxpayer_groups=group)
        if user_group := self.filters.get("user_group"):
            responses = responses.filter(user_groups=user_group)
        if date_from := self.filters.get("date_from"):
            responses = responses.filter(submitted_on__gte=date_from)
        if date_to := self.filters.get("date_to"):
            responses = responses.filter(submitted_on__lte=date_to)
        return responses.select_related("user").prefetch_related("taxpayer_groups")

    # --- Export ---------------------------------------------------------------------------------
    def get_filename(self):
        return f"ankieta-{self.survey.slug}-{timezone.localdate():%Y-%m-%d}"

    def _prepare_export(self, responses) -> None:
        self.answer_columns = export_columns(self.survey, responses)
        fixed = [("submitted_on", _("Submitted on")), ("groups", _("Taxpayer groups"))]
        if not self.survey.anonymous:
            fixed.insert(1, ("respondent", _("Respondent")))
        self.export_keys = [key for key, _label in fixed] + [
            f"answer:{key}" for key, _label in self.answer_columns
        ]
        self.list_export = self.export_keys
        self.export_headings = dict(fixed) | {
            f"answer:{key}": label for key, label in self.answer_columns
        }

    def to_row_dict(self, item: SurveyResponse):
        row = OrderedDict()
        row["submitted_on"] = item.submitted_on
        if not self.survey.anonymous:
            row["respondent"] = item.user.email if item.user else ""
        row["groups"] = "; ".join(sorted(g.name for g in item.taxpayer_groups.all()))
        for key, _label in self.answer_columns:
            row[f"answer:{key}"] = neutralise_formula(export_value(item.answers.get(key)))
        return row

    def get(self, request, *args, **kwargs):
        if self.is_export:
            responses = list(self.get_queryset())
            self._prepare_export(responses)
            log(
                instance=self.survey,
                action=EXPORT_ACTION,
                user=request.user,
                data={"format": request.GET["export"], "responses": len(responses)},
            )
            return self.as_spreadsheet(responses, request.GET["export"])
        return super().get(request, *args, **kwargs)

    # --- Page -----------------------------------------------------------------------------------
    @cached_property
    def show_export_buttons(self):
        return True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        responses = list(self.get_queryset())
        # The response rate of one group: its respondents against its accounts.
        total = self.survey.responses.count()
        size, counted_for_rate = audience_size(self.survey), total
        if group := self.filters.get("group"):
            chosen = self.survey.taxpayer_groups.filter(pk=group.pk)
            size = audience_size(self.survey, groups=chosen)
            counted_for_rate = self.survey.responses.filter(taxpayer_groups=group).count()
        elif user_group := self.filters.get("user_group"):
            chosen = self.survey.user_groups.filter(pk=user_group.pk)
            size = audience_size(self.survey, groups=chosen)
            counted_for_rate = self.survey.responses.filter(user_groups=user_group).count()
        context.update(
            survey=self.survey,
            form=self.form,
            results=summarise(self.survey, responses, search=self.filters.get("q") or ""),
            shown=len(responses),
            total=total,
            audience_size=size,
            response_rate=percent(counted_for_rate, size) if size else None,
            rate_responses=counted_for_rate,
            is_open=self.survey.is_open(),
            csv_url=self.csv_export_url,
            xlsx_url=self.xlsx_export_url,
        )
        return context
