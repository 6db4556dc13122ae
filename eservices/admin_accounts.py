"""Residents in the admin: accounts (created at the counter), link requests, account links and
proxies. Wagtail ViewSets, so every create and edit is in the audit log (history per object);
the custom actions (initial password, decisions on requests, unlinking) log their own entries.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from eservices.pdf import pdf_response
from home.models import MunicipalitySettings

from . import counter, linking
from .activity import recent, record
from .forms import clean_nip, clean_pesel, clean_regon
from .models import AccountLink, LinkRequest, Mandate, ResidentAccount, Taxpayer, User


# --- Resident accounts -----------------------------------------------------------------------
class CounterAccountForm(WagtailAdminModelForm):
    """A new account for a payer the clerk has verified in person."""

    VERIFICATION_CHOICES = [
        ("id_card", _("Identity card checked")),
        ("passport", _("Passport checked")),
        ("profil_zaufany", _("Document signed with Profil Zaufany or a qualified signature")),
        ("representation", _("Representation checked in KRS/CEIDG and identity document")),
    ]

    pesel = forms.CharField(label=_("PESEL"), max_length=13, required=False)
    verification_method = forms.ChoiceField(
        label=_("How was the identity verified?"), choices=VERIFICATION_CHOICES
    )
    verification_document = forms.CharField(
        label=_("Document number or note"),
        max_length=200,
        help_text=_("e.g. the series and number of the identity card shown"),
    )

    class Meta:
        model = ResidentAccount
        fields = [
            "kind",
            "email",
            "first_name",
            "last_name",
            "organisation_name",
            "nip",
            "regon",
            "phone",
        ]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email

    def clean_pesel(self) -> str:
        return clean_pesel(self.cleaned_data.get("pesel", ""))

    def clean_nip(self) -> str:
        return clean_nip(self.cleaned_data.get("nip", ""))

    def clean_regon(self) -> str:
        return clean_regon(self.cleaned_data.get("regon", ""))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == User.AccountKind.ORGANISATION:
            for name in ("organisation_name", "nip"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Required for a company or institution."))
        else:
            for name in ("last_name", "pesel"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Required for a natural person."))
        return data

    def save(self, commit=True):
        account = super().save(commit=False)
        account.pesel = self.cleaned_data.get("pesel", "")
        method = dict(self.VERIFICATION_CHOICES)[self.cleaned_data["verification_method"]]
        account.identity_verification = f"{method}: {self.cleaned_data['verification_document']}"
        account.is_active = True
        account.must_change_password = True
        account.set_unusable_password()  # the initial password is issued next
        if commit:
            account.save()
        return account


class ResidentAccountEditForm(WagtailAdminModelForm):
    class Meta:
        model = ResidentAccount
        fields = ["first_name", "last_name", "organisation_name", "phone", "is_active"]


class ResidentCreateView(generic.CreateView):
    def save_instance(self):
        self.form.instance.created_by = self.request.user
        account = super().save_instance()
        record(account, "counter_created", self.request, actor=self.request.user)
        return account

    def get_success_url(self):
        return reverse("resident_accounts:initial_password", args=(self.object.pk,))


class ResidentInspectView(generic.InspectView):
    template_name = "eservices/admin/resident_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.object
        context["events"] = recent(account, 50)
        context["links"] = AccountLink.objects.filter(user=account).select_related("taxpayer")
        context["mandates"] = Mandate.objects.filter(proxy=account).select_related("taxpayer")
        context["initial_password_url"] = reverse(
            "resident_accounts:initial_password", args=(account.pk,)
        )
        return context


class InitialPasswordView(View):
    """Issue an initial password: as a PDF letter, or shown once on this screen."""

    template_name = "eservices/admin/initial_password.html"

    def dispatch(self, request, pk):
        if not request.user.has_perm("eservices.add_residentaccount"):
            raise PermissionDenied
        self.account = get_object_or_404(ResidentAccount, pk=pk)
        return super().dispatch(request, pk)

    def get(self, request, pk):
        return TemplateResponse(request, self.template_name, self.context())

    def context(self, **extra):
        return {
            "account": self.account,
            "page_title": _("Initial password"),
            "header_icon": "key",
            **extra,
        }

    def post(self, request, pk):
        delivery = request.POST.get("delivery")
        if delivery not in ("letter", "screen"):
            return redirect("resident_accounts:initial_password", pk=pk)
        password = counter.issue_initial_password(request, self.account, delivery)
        if delivery == "screen":
            return TemplateResponse(request, self.template_name, self.context(password=password))
        pdf = counter.letter_pdf(
            self.account,
            password,
            MunicipalitySettings.for_request(request),
            self.account.preferred_language,
        )
        return pdf_response(pdf, f"haslo-{self.account.pk}.pdf", attachment=True)


class ResidentAccountViewSet(ModelViewSet):
    model = ResidentAccount
    name = "resident_accounts"
    url_prefix = "residents/accounts"
    icon = "user"
    menu_label = _("Resident accounts")
    menu_order = 10
    add_view_class = ResidentCreateView
    inspect_view_class = ResidentInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    search_fields = ["email", "first_name", "last_name", "organisation_name"]
    search_backend_name = None
    list_filter = ["kind", "is_active", "must_change_password"]
    list_export = [
        "email",
        "kind",
        "first_name",
        "last_name",
        "organisation_name",
        "is_active",
        "date_joined",
        "last_login",
    ]
    export_filename = "konta-mieszkancow"
    ordering = ["-date_joined"]
    list_display = [
        TitleColumn("email", label=_("Email"), url_name="resident_accounts:inspect"),
        Column("display_name", label=_("Name")),
        Column("get_kind_display", label=_("Kind")),
        BooleanColumn("is_active", label=_("Active")),
        BooleanColumn("must_change_password", label=_("Initial password")),
        DateColumn("date_joined", label=_("Created")),
    ]
    inspect_view_fields = [
        "email",
        "kind",
        "first_name",
        "last_name",
        "organisation_name",
        "phone",
        "is_active",
        "must_change_password",
        "identity_verification",
        "created_by",
        "data_notice_version",
        "date_joined",
        "last_login",
    ]

    def get_form_class(self, for_update=False):
        return ResidentAccountEditForm if for_update else CounterAccountForm

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "initial-password/<int:pk>/",
                InitialPasswordView.as_view(),
                name="initial_password",
            ),
        ]

    def get_permissions_to_register(self):
        return super().get_permissions_to_register().exclude(codename="delete_residentaccount")


# --- Link requests ---------------------------------------------------------------------------
class DecisionForm(forms.Form):
    taxpayers = forms.CharField(
        label=_("Taxpayers to link (ids in the domain system, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rejection_reason = forms.CharField(
        label=_("Reason for rejection"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == "approve":
            ids = [line.strip() for line in data.get("taxpayers", "").splitlines() if line.strip()]
            found = {t.external_id: t for t in Taxpayer.objects.filter(external_id__in=ids)}
            missing = [i for i in ids if i not in found]
            if not ids:
                self.add_error("taxpayers", _("Give at least one taxpayer to link."))
            elif missing:
                self.add_error(
                    "taxpayers",
                    _("No taxpayer with the id: %(ids)s") % {"ids": ", ".join(missing)},
                )
            data["taxpayer_objects"] = list(found.values())
        elif data.get("decision") == "reject" and not data.get("rejection_reason", "").strip():
            self.add_error("rejection_reason", _("Give the reason for the rejection."))
        return data


class LinkRequestInspectView(generic.InspectView):
    template_name = "eservices/admin/link_request_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        link_request = self.object
        context["can_decide"] = (
            link_request.status == LinkRequest.Status.PENDING
            and self.request.user.has_perm("eservices.change_linkrequest")
        )
        context["decision_form"] = kwargs.get("decision_form") or DecisionForm()
        context["decide_url"] = reverse("link_requests:decide", args=(link_request.pk,))
        # Taxpayers the request's identifier matches: a hint, the clerk decides.
        identifier = link_request.identifier
        context["candidates"] = Taxpayer.objects.filter(
            Q(pk__in=Taxpayer.objects.with_pesel(identifier).values("pk"))
            | Q(nip=identifier)
            | Q(external_id=link_request.reference)
        )[:10]
        return context


class DecideLinkRequestView(View):
    def post(self, request, pk):
        if not request.user.has_perm("eservices.change_linkrequest"):
            raise PermissionDenied
        link_request = get_object_or_404(LinkRequest, pk=pk)
        form = DecisionForm(request.POST)
        inspect_url = reverse("link_requests:inspect", args=(pk,))
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(inspect_url)
        try:
            if form.cleaned_data["decision"] == "approve":
                linking.approve(
                    request, link_request, form.cleaned_data["taxpayer_objects"], request.user
                )
                messages.success(request, _("The account has been linked."))
            else:
                linking.reject(
                    request, link_request, form.cleaned_data["rejection_reason"], request.user
                )
                messages.success(request, _("The request has been rejected."))
        except linking.AlreadyDecided:
            messages.error(request, _("This request has already been decided."))
        return redirect(inspect_url)


class LinkRequestViewSet(ModelViewSet):
    model = LinkRequest
    name = "link_requests"
    url_prefix = "residents/link-requests"
    icon = "link"
    menu_label = _("Link requests")
    menu_order = 20
    inspect_view_enabled = True
    inspect_view_class = LinkRequestInspectView
    # The edit form only annotates; decisions go through DecideLinkRequestView (`linking`).
    form_fields = ["note"]
    add_view_enabled = False
    copy_view_enabled = False
    search_fields = ["code", "name", "user__email"]
    search_backend_name = None
    list_filter = ["status", "kind"]
    list_export = ["code", "kind", "name", "status", "created_at", "decided_at"]
    export_filename = "wnioski-o-powiazanie"
    list_display = [
        TitleColumn("code", label=_("Reference code"), url_name="link_requests:inspect"),
        Column("name", label=_("Payer's name")),
        Column("user", label=_("Account")),
        Column("get_status_display", label=_("Status")),
        DateColumn("created_at", label=_("Requested at")),
    ]
    inspect_view_fields = [
        "code",
        "kind",
        "name",
        "reference",
        "user",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
        "rejection_reason",
    ]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("decide/<int:pk>/", DecideLinkRequestView.as_view(), name="decide"),
        ]

    def get_permissions_to_register(self):
        return (
            super()
            .get_permissions_to_register()
            .exclude(codename__in=["add_linkrequest", "delete_linkrequest"])
        )


# --- Account links and proxies ---------------------------------------------------------------
class UnlinkView(View):
    def post(self, request, pk):
        if not request.user.has_perm("eservices.change_accountlink"):
            raise PermissionDenied
        link = get_object_or_404(AccountLink, pk=pk)
        linking.unlink(request, link, request.user)
        messages.success(request, _("The account has been unlinked."))
        return redirect("account_links:inspect", pk)


class AccountLinkInspectView(generic.InspectView):
    template_name = "eservices/admin/account_link_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unlink_url"] = reverse("account_links:unlink", args=(self.object.pk,))
        context["can_unlink"] = self.object.revoked_at is None and self.request.user.has_perm(
            "eservices.change_accountlink"
        )
        return context


class AccountLinkViewSet(ModelViewSet):
    model = AccountLink
    name = "account_links"
    url_prefix = "residents/links"
    icon = "link"
    menu_label = _("Account links")
    menu_order = 30
    inspect_view_enabled = True
    inspect_view_class = AccountLinkInspectView
    # Links come from decided requests; unlinking goes through UnlinkView (`linking`).
    form_fields = ["revoked_at"]
    add_view_enabled = False
    copy_view_enabled = False
    search_fields = [
        "user__email",
        "taxpayer__external_id",
        "taxpayer__last_name",
        "taxpayer__organisation_name",
    ]
    search_backend_name = None
    list_filter = ["method"]
    list_export = ["user", "taxpayer", "method", "linked_at", "revoked_at"]
    export_filename = "powiazania-kont"
    list_display = [
        TitleColumn("user", label=_("Account"), url_name="account_links:inspect"),
        Column("taxpayer", label=_("Taxpayer")),
        Column("get_method_display", label=_("Verification")),
        DateColumn("linked_at", label=_("Linked at")),
        DateColumn("revoked_at", label=_("Revoked at")),
    ]
    inspect_view_fields = ["user", "taxpayer", "method", "linked_by", "linked_at", "revoked_at"]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("unlink/<int:pk>/", UnlinkView.as_view(), name="unlink"),
        ]

    def get_permissions_to_register(self):
        return (
            super()
            .get_permissions_to_register()
            .exclude(codename__in=["add_accountlink", "delete_accountlink"])
        )


class MandateForm(WagtailAdminModelForm):
    proxy_email = forms.EmailField(label=_("Proxy's account (email)"))
    taxpayer_id = forms.CharField(label=_("Taxpayer (id in the domain system)"), max_length=64)

    class Meta:
        model = Mandate
        fields = [
            "can_view",
            "can_pay",
            "can_manage_notifications",
            "valid_from",
            "valid_to",
            "document_reference",
            "revoked_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["proxy_email"].initial = self.instance.proxy.email
            self.fields["taxpayer_id"].initial = self.instance.taxpayer.external_id
            self.fields["proxy_email"].disabled = True
            self.fields["taxpayer_id"].disabled = True
        else:
            del self.fields["revoked_at"]

    def clean_proxy_email(self):
        account = ResidentAccount.objects.filter(
            email__iexact=self.cleaned_data["proxy_email"]
        ).first()
        if account is None:
            raise forms.ValidationError(_("No resident account with this email address."))
        self.instance.proxy = account
        return account.email

    def clean_taxpayer_id(self):
        taxpayer = Taxpayer.objects.filter(external_id=self.cleaned_data["taxpayer_id"]).first()
        if taxpayer is None:
            raise forms.ValidationError(_("No taxpayer with this id."))
        self.instance.taxpayer = taxpayer
        return taxpayer.external_id


class MandateCreateView(generic.CreateView):
    def save_instance(self):
        self.form.instance.granted_by = self.request.user
        mandate = super().save_instance()
        record(
            mandate.proxy,
            "mandate_granted",
            self.request,
            detail=str(mandate.taxpayer),
            actor=self.request.user,
        )
        return mandate


class MandateEditView(generic.EditView):
    def save_instance(self):
        was_revoked = Mandate.objects.get(pk=self.object.pk).revoked_at is not None
        mandate = super().save_instance()
        if mandate.revoked_at and not was_revoked:
            record(
                mandate.proxy,
                "mandate_revoked",
                self.request,
                detail=str(mandate.taxpayer),
                actor=self.request.user,
            )
        return mandate


class MandateViewSet(ModelViewSet):
    model = Mandate
    name = "mandates"
    url_prefix = "residents/proxies"
    icon = "group"
    menu_label = _("Proxies")
    menu_order = 40
    add_view_class = MandateCreateView
    edit_view_class = MandateEditView
    copy_view_enabled = False
    inspect_view_enabled = True
    search_fields = [
        "proxy__email",
        "taxpayer__external_id",
        "taxpayer__last_name",
        "document_reference",
    ]
    search_backend_name = None
    list_filter = ["can_pay", "can_manage_notifications"]
    list_export = [
        "proxy",
        "taxpayer",
        "can_view",
        "can_pay",
        "can_manage_notifications",
        "valid_from",
        "valid_to",
        "document_reference",
        "revoked_at",
    ]
    export_filename = "pelnomocnictwa"
    list_display = [
        TitleColumn("proxy", label=_("Proxy"), url_name="mandates:edit"),
        Column("taxpayer", label=_("Taxpayer")),
        DateColumn("valid_from", label=_("Valid from")),
        DateColumn("valid_to", label=_("Valid to")),
        DateColumn("revoked_at", label=_("Revoked at")),
    ]

    def get_form_class(self, for_update=False):
        return MandateForm

    def get_permissions_to_register(self):
        return super().get_permissions_to_register().exclude(codename="delete_mandate")


class ResidentsViewSetGroup(ViewSetGroup):
    """The "Residents" (Mieszkańcy) menu."""

    menu_label = _("Residents")
    menu_icon = "user"
    menu_order = 240
    items = (ResidentAccountViewSet, LinkRequestViewSet, AccountLinkViewSet, MandateViewSet)
