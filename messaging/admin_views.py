"""Admin views beyond the ViewSets' CRUD: template preview, a campaign's page (dry run,
start, approve, stop, progress), and consents recorded at the counter.

Permissions are checked in ``dispatch`` (hiding a button is not enough). Each view is thin:
the work is in `campaigns`, `consents` and `placeholders`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.log_actions import log

from eservices.ledger import annotate_installments
from eservices.models import AccountLink, Installment, Taxpayer
from eservices.queries import QUERIES

from . import campaigns, placeholders
from .consents import Evidence, set_consent
from .forms import CounterConsentForm, MessageTemplateForm, PreviewForm
from .models import Campaign, Channel, ConsentEvent, MessageTemplate

COUNTER_ACTION = "messaging.consent_counter"
CAMPAIGN_ACTIONS = {
    "submit": "messaging.campaign_start",
    "approve": "messaging.campaign_approve",
    "stop": "messaging.campaign_stop",
}


class PermissionMixin:
    permissions: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_active and request.user.has_perms(self.permissions)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- Template preview -------------------------------------------------------------------------


def sample_values(source: str, as_of, row_number: int) -> tuple[dict, str]:
    """Placeholder values of a real row for ``source`` and a description of it."""
    link = "https://example.gov.pl/ankieta"
    if source in QUERIES:
        result = QUERIES[source].run({"as_of": as_of})
        rows = result[row_number - 1 : row_number]
        if not rows:
            return {}, _("The query has no row %(n)d as of %(day)s.") % {
                "n": row_number,
                "day": as_of.strftime("%d.%m.%Y"),
            }
        row = rows[0]
        values = placeholders.query_row_values(row) | {"link": link}
        return values, _("Row %(n)d of %(count)d: %(name)s") % {
            "n": row_number,
            "count": result.count(),
            "name": row.name,
        }
    if source == placeholders.REMINDER:
        inst = (
            annotate_installments(Installment.objects.filter(due_date__gte=as_of), through=as_of)
            .filter(outstanding__gt=0)
            .select_related("ledger__taxpayer", "ledger__receivable_type")
            .order_by("due_date", "pk")[row_number - 1 : row_number]
        )
        inst = next(iter(inst), None)
        if inst is None:
            return {}, _("No unpaid instalment falls due after this day.")
        tp = inst.ledger.taxpayer
        return placeholders.person_values(tp.first_name, tp.last_name, tp.organisation_name) | {
            "amount": inst.outstanding,
            "due_date": inst.due_date,
            "receivable": inst.ledger.receivable_type.name,
            "installment": f"{inst.number}/{inst.year}",
        }, str(tp)
    linked = AccountLink.objects.active().values("taxpayer_id")
    tp = next(
        iter(Taxpayer.objects.filter(pk__in=linked).order_by("pk")[row_number - 1 : row_number]),
        None,
    )
    tp = tp or Taxpayer.objects.order_by("pk").first()
    names = (
        placeholders.person_values(tp.first_name, tp.last_name, tp.organisation_name)
        if tp
        else placeholders.person_values("Jan", "Kowalski")
    )
    from decimal import Decimal

    extra = {
        placeholders.PAYMENT: {
            "amount": Decimal("150.00"),
            "booked_on": as_of,
            "balance": Decimal("320.50"),
        },
        placeholders.CASE: {
            "status": _("Being handled"),
            "message": _("We need one more document."),
        },
    }.get(source, {})
    return names | extra | {"link": link}, str(tp) if tp else _("example values")


class TemplatePreviewView(PermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Renders a template with a real row: GET for a saved one, POST for the unsaved form.

    The edit form's "Preview" button posts the form here (``formaction``), so clerks see the
    text they are writing without saving it and without JavaScript.
    """

    permissions = ("messaging.view_messagetemplate",)
    template_name = "messaging/admin/template_preview.html"
    page_title = gettext_lazy("Preview")
    header_icon = "view"

    def dispatch(self, request, *args, **kwargs):
        self.saved = None
        if kwargs.get("pk"):
            self.saved = get_object_or_404(MessageTemplate, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        errors: list[str] = []
        if self.request.method == "POST":
            form = MessageTemplateForm(self.request.POST, instance=self.saved or MessageTemplate())
            form.is_valid()
            errors = [e for field_errors in form.errors.values() for e in field_errors]
            data = form.data
            template = MessageTemplate(
                name=data.get("name", ""),
                channel=data.get("channel") or Channel.EMAIL,
                category=data.get("category", ""),
                source=data.get("source") or placeholders.NEWS,
                subject=data.get("subject", ""),
                text=data.get("text", ""),
                html=data.get("html", ""),
                transliterate=bool(data.get("transliterate")),
            )
        else:
            template = self.saved
            errors = placeholders.validate(
                template.source, template.subject, template.text, template.html
            )
        preview_form = PreviewForm(self.request.GET or None)
        as_of = row_number = None
        if preview_form.is_valid():
            as_of = preview_form.cleaned_data.get("as_of")
            row_number = preview_form.cleaned_data.get("row")
        from django.utils import timezone

        as_of = as_of or timezone.localdate()
        row_number = row_number or 1
        rendered = None
        row_label = ""
        if template.source in dict(placeholders.source_choices()):
            values, row_label = sample_values(template.source, as_of, row_number)
            if values:
                rendered = campaigns.render_template(template, values)
        context.update(
            template=template,
            saved=self.saved,
            errors=errors,
            rendered=rendered,
            row_label=row_label,
            preview_form=preview_form,
            fields=placeholders.fields_for(template.source)
            if template.source in dict(placeholders.source_choices())
            else (),
            sms_warnings=placeholders.sms_warnings(template.text)
            if template.channel == Channel.SMS
            else [],
            raw_sms_info=_sms_info(template.text) if template.channel == Channel.SMS else None,
        )
        return context


def _sms_info(text: str):
    from .sms_text import sms_info

    return sms_info(text)


# --- Campaign page ---------------------------------------------------------------------------


class CampaignDetailView(PermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """The campaign's status, progress (refreshes while sending), dry run and actions."""

    permissions = ("messaging.view_campaign",)
    template_name = "messaging/admin/campaign_detail.html"
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        self.campaign = get_object_or_404(
            Campaign.objects.select_related("template", "group"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.campaign.name

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("messaging_campaigns:index"), "label": _("Campaigns")},
            {"url": "", "label": self.campaign.name},
        ]

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        user = request.user
        campaign = self.campaign
        try:
            if action == "dry_run":
                return self.render_to_response(
                    self.get_context_data(dry_run=campaigns.dry_run(campaign))
                )
            if action in ("submit", "stop"):
                if not user.has_perm("messaging.change_campaign"):
                    raise PermissionDenied
            elif action == "approve":
                if not user.has_perm("messaging.approve_campaign"):
                    raise PermissionDenied
            else:
                raise PermissionDenied
            if action == "submit":
                status = campaigns.submit(campaign, user)
                messages.success(
                    request,
                    _("Campaign status: %(status)s.") % {"status": Campaign.Status(status).label},
                )
            elif action == "approve":
                campaigns.approve(campaign, user)
                messages.success(request, _("The campaign is approved."))
            else:
                campaigns.stop(campaign)
                messages.success(request, _("The campaign is stopped; start it again to resume."))
            log(campaign, CAMPAIGN_ACTIONS[action], user=user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("messaging_campaign_detail", pk=campaign.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.campaign
        user = self.request.user
        progress = campaigns.progress(campaign)
        context.update(
            campaign=campaign,
            progress=progress,
            refresh=campaign.status == Campaign.Status.SENDING,
            can_change=user.has_perm("messaging.change_campaign"),
            can_approve=user.has_perm("messaging.approve_campaign"),
            query=QUERIES.get(campaign.query_code),
            deliveries_url=reverse("messaging_deliveries:index") + f"?campaign={campaign.pk}",
            Status=Campaign.Status,
        )
        return context


# --- Counter consents -------------------------------------------------------------------------


class CounterConsentView(PermissionMixin, WagtailAdminTemplateMixin, FormView):
    """A clerk records a consent given or withdrawn on paper (logged with log_action)."""

    permissions = ("messaging.add_consentevent",)
    template_name = "messaging/admin/counter_consent.html"
    form_class = CounterConsentForm
    page_title = gettext_lazy("Record a consent given at the counter")
    header_icon = "form"

    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("resident", "").isdigit():
            initial["resident"] = self.request.GET["resident"]
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        evidence = Evidence(
            source=ConsentEvent.Source.COUNTER,
            recorded_by=self.request.user,
            document_reference=data["document_reference"],
        )
        changed = set_consent(
            data["resident"], data["channel"], data["category"], data["granted"], evidence
        )
        if changed:
            event = ConsentEvent.objects.filter(user=data["resident"]).order_by("-pk").first()
            log(
                event,
                COUNTER_ACTION,
                user=self.request.user,
                data={
                    "resident": data["resident"].pk,
                    "channel": data["channel"],
                    "category": data["category"],
                    "granted": data["granted"],
                    "document_reference": data["document_reference"],
                },
            )
            messages.success(self.request, _("The consent has been recorded."))
        else:
            messages.info(self.request, _("The resident's consent was already in this state."))
        return redirect(reverse("messaging_consent_events:index") + f"?user={data['resident'].pk}")
