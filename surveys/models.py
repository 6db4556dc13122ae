"""Surveys (ankiety): a Wagtail page with form-builder questions, its audience and responses.

Answers and the "has answered" marker are kept apart on purpose:

* ``SurveyResponse`` holds the answers. In an anonymous survey it has no account, its primary
  key is a random UUID (an auto-increment id would put answers in the order people answered,
  next to the markers below) and its only time is the *day* it was submitted.
* ``SurveyParticipation`` is the marker "this account has answered this survey": unique per
  (survey, account), so the database refuses a second answer even under a race. It carries no
  time at all, so nothing joins a marker to the answers it belongs to.

A named (non-anonymous) survey also stores the account on the response, unique per survey.

What anonymity does not hide: the respondent's audience groups are kept with the answers (for
the group filter), so a group of one or two members identifies them; editors should not run an
anonymous survey for such a group. The database's physical row order and its write-ahead log
are outside what the portal controls (a database administrator could see insertion order).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
)
from wagtail.contrib.forms.forms import WagtailAdminFormPageForm
from wagtail.contrib.forms.models import AbstractFormField
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page

from eservices.models import TaxpayerGroup

from .enums import Audience, QuestionType

RICH_TEXT = ["bold", "italic", "link", "ol", "ul"]


class SurveyIndexPage(Page):
    """A section that lists the public surveys; surveys may also sit right under the home page."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["surveys.SurveyPage"]
    template = "surveys/survey_index_page.html"

    class Meta:
        verbose_name = _("survey index")

    def get_context(self, request, *args, **kwargs):
        from .audience import closed_summaries_for, open_surveys_for

        context = super().get_context(request, *args, **kwargs)
        context["surveys"] = open_surveys_for(request.user).child_of(self)
        context["summaries"] = closed_summaries_for(request.user).child_of(self)
        return context


class SurveyQuestion(AbstractFormField):
    """One question: the form builder's field with our own set of types."""

    page = ParentalKey("SurveyPage", on_delete=models.CASCADE, related_name="form_fields")
    field_type = models.CharField(_("question type"), max_length=16, choices=QuestionType.choices)
    field_type.required_on_save = True

    panels = [
        FieldPanel("label"),
        FieldPanel("help_text"),
        FieldPanel("required"),
        FieldPanel("field_type", required_on_save=True),
        FieldPanel("choices"),
    ]

    class Meta(AbstractFormField.Meta):
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def clean(self) -> None:
        super().clean()
        if self.field_type in QuestionType.with_choices() and not self.choices.strip():
            raise ValidationError({"choices": _("List the answers to choose from.")})

    @property
    def choice_list(self) -> list[str]:
        from .forms import split_choices

        if self.field_type == QuestionType.SCALE:
            return [str(n) for n in range(1, 6)]
        return split_choices(self.choices)


class SurveyPage(RoutablePageMixin, Page):
    """A survey: questions, when it is open, who may answer and what residents see afterwards."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT)
    thank_you_text = RichTextField(
        _("thank-you text"),
        blank=True,
        features=RICH_TEXT,
        help_text=_("Shown after the answers have been sent."),
    )
    opens_at = models.DateTimeField(_("opens at"), default=timezone.now)
    closes_at = models.DateTimeField(_("closes at"))
    audience = models.CharField(
        _("who may answer"), max_length=20, choices=Audience.choices, default=Audience.RESIDENTS
    )
    taxpayer_groups = ParentalManyToManyField(
        TaxpayerGroup,
        blank=True,
        related_name="surveys",
        verbose_name=_("taxpayer groups"),
        help_text=_(
            "A resident may answer when a taxpayer they are, or act for as a proxy, is a member."
        ),
    )
    user_groups = ParentalManyToManyField(
        Group, blank=True, related_name="surveys", verbose_name=_("user groups")
    )
    anonymous = models.BooleanField(
        _("anonymous"),
        default=False,
        help_text=_(
            "The answers are stored without any link to the account; only the fact that an "
            "account has answered is kept, separately. Cannot be changed once answers exist."
        ),
    )
    publish_summary = models.BooleanField(
        _("publish a summary of the results after closing"),
        default=False,
        help_text=_("Residents who could answer then see counts and percentages, never texts."),
    )

    # Editors set everything on the "Content" tab: questions, dates, audience, options.
    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        InlinePanel("form_fields", label=_("Questions"), min_num=1),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("audience", widget=forms.RadioSelect),
                FieldPanel("taxpayer_groups", widget=forms.CheckboxSelectMultiple),
                FieldPanel("user_groups", widget=forms.CheckboxSelectMultiple),
                FieldPanel("anonymous"),
                FieldPanel("publish_summary"),
            ],
            heading=_("Survey"),
        ),
    ]

    base_form_class = WagtailAdminFormPageForm
    parent_page_types = ["home.HomePage", "surveys.SurveyIndexPage"]
    subpage_types: list[str] = []
    template = "surveys/survey_page.html"

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    # --- State ----------------------------------------------------------------------------------
    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def is_closed(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.closes_at

    def summary_visible(self, now: datetime | None = None) -> bool:
        return self.publish_summary and self.is_closed(now)

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("A survey must close after it opens.")
        if self.pk:
            before = SurveyPage.objects.filter(pk=self.pk).values_list("anonymous", flat=True)
            if before and before[0] != self.anonymous and self.responses.exists():
                errors["anonymous"] = _(
                    "Answers have already been given under the other setting: it can no longer "
                    "be changed."
                )
        if errors:
            raise ValidationError(errors)

    # --- Resident pages ---------------------------------------------------------------------------
    @path("")
    def survey(self, request):
        from .views import survey_form

        return survey_form(request, self)

    @path("dziekujemy/")
    def thank_you(self, request):
        from .views import thank_you

        return thank_you(request, self)

    @path("wyniki/")
    def summary(self, request):
        from .views import public_summary

        return public_summary(request, self)

    def get_sitemap_urls(self, request=None):
        # Only public surveys belong in a sitemap.
        if self.audience != Audience.EVERYONE:
            return []
        return super().get_sitemap_urls(request)


class SurveyResponse(models.Model):
    """One respondent's answers, keyed by the questions' ``clean_name``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    page = models.ForeignKey(
        SurveyPage, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey")
    )
    # None in an anonymous survey, and for visitors answering a public survey without an account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("respondent"),
    )
    answers = models.JSONField(_("answers"), default=dict)
    # A day, not a time: precise enough to filter by date, too coarse to re-link a response.
    submitted_on = models.DateField(_("submitted on"), db_index=True)
    # The survey's audience groups the respondent belonged to when answering (for the filters).
    taxpayer_groups = models.ManyToManyField(
        TaxpayerGroup, blank=True, related_name="+", verbose_name=_("taxpayer groups")
    )
    user_groups = models.ManyToManyField(
        Group, blank=True, related_name="+", verbose_name=_("user groups")
    )

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        # Random ids: listing by id is as good as shuffling within a day.
        ordering = ["submitted_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "user"],
                condition=Q(user__isnull=False),
                name="one_named_response_per_account",
            )
        ]
        permissions = [("view_survey_results", _("Can view survey results"))]

    def __str__(self) -> str:
        return f"{self.page} – {self.submitted_on:%Y-%m-%d}"


class SurveyParticipation(models.Model):
    """ "This account has answered this survey" – nothing else, and no time (see module doc)."""

    page = models.ForeignKey(SurveyPage, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_participations"
    )

    class Meta:
        verbose_name = _("survey participation")
        verbose_name_plural = _("survey participations")
        constraints = [
            models.UniqueConstraint(fields=["page", "user"], name="one_response_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.page}"
