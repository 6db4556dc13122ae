"""Forms of messaging: the resident's phone verification, and the clerks' template, campaign
and counter-consent forms (the latter used by the admin views)."""

from __future__ import annotations

import copy

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.models import WagtailAdminModelForm

from eservices.queries import QUERIES, DefinedQueryForm

from . import placeholders
from .models import Campaign, Category, Channel, MessageTemplate


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class MessageTemplateForm(WagtailAdminModelForm):
    class Meta:
        model = MessageTemplate
        fields = [
            "name",
            "channel",
            "category",
            "source",
            "subject",
            "text",
            "html",
            "transliterate",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"] = forms.ChoiceField(
            label=_("data source"),
            choices=placeholders.source_choices(),
            help_text=self.instance._meta.get_field("source").help_text,
        )

    def clean(self):
        cleaned = super().clean()
        source = cleaned.get("source")
        channel = cleaned.get("channel")
        if channel == Channel.EMAIL and not cleaned.get("subject"):
            self.add_error("subject", _("An email needs a subject."))
        if channel == Channel.SMS and cleaned.get("html"):
            self.add_error("html", _("An SMS has no HTML version."))
        if source:
            for field in ("subject", "text", "html"):
                for error in placeholders.validate(source, cleaned.get(field) or ""):
                    self.add_error(field, error)
        return cleaned


class CampaignForm(WagtailAdminModelForm):
    """The campaign and, for a defined query, its parameters (the ``q_*`` fields, the same
    fields as the defined query's own form in the Receivables menu)."""

    query_code = forms.ChoiceField(label=_("defined query"), required=False)
    link = forms.URLField(
        label=_("link"),
        required=False,
        assume_scheme="https",
        help_text=_("Fills the ((link)) placeholder, e.g. the address of a survey."),
    )

    class Meta:
        model = Campaign
        fields = ["name", "template", "query_code", "group", "link", "scheduled_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["query_code"].choices = [("", _("— none (use a group) —"))] + [
            (code, q.label) for code, q in QUERIES.items()
        ]
        self.fields["query_code"].initial = self.instance.query_code
        programs = DefinedQueryForm().fields["domain_program"].choices
        if "q_domain_program" in self.fields:
            self.fields["q_domain_program"].choices = programs
        for name, value in (self.instance.query_params or {}).items():
            if f"q_{name}" in self.fields and value not in (None, ""):
                self.initial[f"q_{name}"] = value

    def clean(self):
        cleaned = super().clean()
        code, group = cleaned.get("query_code"), cleaned.get("group")
        if bool(code) == bool(group):
            raise forms.ValidationError(_("Choose either a defined query or a taxpayer group."))
        template = cleaned.get("template")
        if template:
            expected = code or placeholders.GROUP
            if template.source not in (expected, placeholders.NEWS):
                self.add_error(
                    "template",
                    _("This template is written for another data source; choose a matching one."),
                )
        if code:
            if not cleaned.get("q_as_of"):
                self.add_error("q_as_of", _("The defined query needs its as-of date."))
            start, end = cleaned.get("q_due_from"), cleaned.get("q_due_to")
            if start and end and start > end:
                self.add_error("q_due_to", _("The end of the range cannot precede its start."))
        return cleaned

    def save(self, commit=True):
        campaign = super().save(commit=False)
        data = self.cleaned_data
        campaign.query_code = data.get("query_code") or ""
        if campaign.query_code:

            def day(name):
                return data[name].isoformat() if data.get(name) else None

            campaign.query_params = {
                "as_of": day("q_as_of"),
                "due_from": day("q_due_from"),
                "due_to": day("q_due_to"),
                "days": data.get("q_days"),
                "receivable_types": [t.pk for t in data.get("q_receivable_types") or ()],
                "domain_program": data.get("q_domain_program") or "",
                "group": data["q_group"].pk if data.get("q_group") else None,
                "min_amount": str(data["q_min_amount"])
                if data.get("q_min_amount") is not None
                else None,
                "exclude_time_barred": bool(data.get("q_exclude_time_barred")),
            }
        else:
            campaign.query_params = {}
        if commit:
            campaign.save()
        return campaign


#: The defined query's parameter fields, declared on the campaign form as ``q_<name>``.
QUERY_PARAMETER_FIELDS = [f"q_{name}" for name in DefinedQueryForm.base_fields]
for _name, _field in DefinedQueryForm.base_fields.items():
    _copy = copy.deepcopy(_field)
    _copy.required = False
    CampaignForm.base_fields[f"q_{_name}"] = _copy
    CampaignForm.declared_fields[f"q_{_name}"] = _copy


class CounterConsentForm(forms.Form):
    """A consent given or withdrawn on paper at the counter, keyed in by a clerk."""

    resident = forms.ModelChoiceField(
        label=_("Resident's account"),
        queryset=get_user_model().objects.filter(is_staff=False, is_active=True).order_by("email"),
    )
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    category = forms.ChoiceField(label=_("category"), choices=Category.choices)
    granted = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Consent given")), ("0", _("Consent withdrawn"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    document_reference = forms.CharField(
        label=_("Document reference"),
        max_length=100,
        help_text=_("The number of the signed paper form."),
    )


class PreviewForm(forms.Form):
    """Which row a template preview renders: a taxpayer of the query, as of a day."""

    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    row = forms.IntegerField(label=_("Row number"), min_value=1, initial=1, required=False)
