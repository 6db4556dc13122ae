"""The resident's answer form, built from the survey's questions, and the results filters."""

from __future__ import annotations

import django.forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.forms.forms import FormBuilder, _split_by_newline_or_comma

from eservices.models import TaxpayerGroup

from .enums import Audience, QuestionType

SCALE = [(str(n), str(n)) for n in range(1, 6)]


def split_choices(value: str) -> list[str]:
    """The answers of a choice question, as the form builder splits them."""
    return [choice for choice in _split_by_newline_or_comma(value or "") if choice]


class DateInput(django.forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class SurveyFormBuilder(FormBuilder):
    """Wagtail's form builder plus the 1–5 scale; no defaults are offered to respondents."""

    def get_field_options(self, field):
        options = super().get_field_options(field)
        options["initial"] = None
        return options

    def get_formatted_field_choices(self, field):
        return [(choice, choice) for choice in split_choices(field.choices)]

    def get_formatted_field_initial(self, field):
        return []

    def create_scale_field(self, field, options):
        options["choices"] = SCALE
        options.setdefault("widget", django.forms.RadioSelect)
        formfield = django.forms.ChoiceField(**options)
        formfield.is_scale = True  # laid out in a row
        return formfield

    def create_singleline_field(self, field, options):
        options["max_length"] = 255
        return django.forms.CharField(**options)

    def create_multiline_field(self, field, options):
        options["max_length"] = 5000
        options.setdefault("widget", django.forms.Textarea(attrs={"rows": 5}))
        return django.forms.CharField(**options)

    def create_date_field(self, field, options):
        options.setdefault("widget", DateInput)
        return django.forms.DateField(**options)


def answer_form_class(page) -> type[django.forms.Form]:
    return SurveyFormBuilder(page.form_fields.all()).get_form_class()


def answers_from(form: django.forms.Form, page) -> dict[str, object]:
    """The cleaned answers as stored: JSON values keyed by ``clean_name``; blanks left out."""
    answers: dict[str, object] = {}
    for question in page.form_fields.all():
        value = form.cleaned_data.get(question.clean_name)
        if value in (None, "", []):
            continue
        if question.field_type == QuestionType.DATE:
            value = value.isoformat()
        elif question.field_type == QuestionType.SCALE:
            value = int(value)
        answers[question.clean_name] = value
    return answers


class ResultsFilterForm(django.forms.Form):
    """Filters of the results page: audience group, dates and a text search."""

    group = django.forms.ModelChoiceField(
        TaxpayerGroup.objects.none(), required=False, label=_("Taxpayer group")
    )
    user_group = django.forms.ModelChoiceField(
        Group.objects.none(), required=False, label=_("User group")
    )
    date_from = django.forms.DateField(required=False, label=_("From"), widget=DateInput)
    date_to = django.forms.DateField(required=False, label=_("To"), widget=DateInput)
    q = django.forms.CharField(required=False, label=_("Search the text answers"), max_length=100)

    def __init__(self, *args, page=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the kind of group the audience is made of (the other list may hold leftovers).
        audience = page.audience if page is not None else None
        groups = (
            page.taxpayer_groups.all()
            if audience == Audience.TAXPAYER_GROUPS
            else TaxpayerGroup.objects.none()
        )
        self.fields["group"].queryset = groups
        self.fields["group"].empty_label = _("All respondents")
        if not groups.exists():
            del self.fields["group"]
        user_groups = (
            page.user_groups.all() if audience == Audience.USER_GROUPS else Group.objects.none()
        )
        self.fields["user_group"].queryset = user_groups
        self.fields["user_group"].empty_label = _("All respondents")
        if not user_groups.exists():
            del self.fields["user_group"]
