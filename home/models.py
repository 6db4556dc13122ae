"""The site's own pages and settings, maintained by editors in the Wagtail admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.pl import nip, regon
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import RICH_TEXT_FEATURES, ContentStreamBlock, NavigationLinkBlock
from .shortcuts import available_shortcuts


def _validate_nip(value: str) -> None:
    if value and not nip.is_valid(value):
        raise ValidationError(_("This is not a valid NIP (check digit does not match)."))


def _validate_regon(value: str) -> None:
    if value and not regon.is_valid(value):
        raise ValidationError(_("This is not a valid REGON (check digit does not match)."))


# --- Pages ----------------------------------------------------------------------------------


class HomePage(Page):
    """The portal's front page: greeting, shortcuts to the e-services and the latest news."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(ContentStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["shortcuts"] = available_shortcuts()
        context["latest_news"] = (
            NewsPage.objects.live().public().filter(locale=self.locale).order_by("-date")[:3]
        )
        context["news_index"] = (
            NewsIndexPage.objects.live().public().filter(locale=self.locale).first()
        )
        return context


class StandardPage(Page):
    """A help or information page: headings, text, images, documents and FAQ accordions."""

    intro = models.TextField(_("lead paragraph"), blank=True)
    body = StreamField(ContentStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]

    class Meta:
        verbose_name = _("standard page")


class NewsIndexPage(Page):
    """Lists news items, newest first, ten to a page."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["home.NewsPage"]

    class Meta:
        verbose_name = _("news index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        news = NewsPage.objects.child_of(self).live().public().order_by("-date")
        context["news_page"] = Paginator(news, 10).get_page(request.GET.get("strona"))
        return context


class NewsPage(Page):
    date = models.DateField(_("publication date"), default=timezone.localdate)
    intro = models.TextField(_("lead paragraph"), max_length=500)
    body = StreamField(ContentStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    parent_page_types = ["home.NewsIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")


class AccessibilityStatementPage(Page):
    """The statutory *deklaracja dostępności* (act of 4 April 2019, Dz.U. 2023 poz. 1440).

    Rendered with the element ids that the ministry's monitoring tools look for
    (``a11y-wstep`` … ``a11y-aplikacje``), structured after "Warunki techniczne publikacji
    oraz struktura dokumentu elektronicznego Deklaracji Dostępności" v2.0.
    """

    class Status(models.TextChoices):
        COMPLIANT = "zgodna", _("fully compliant")
        PARTIAL = "częściowo zgodna", _("partially compliant")
        NON_COMPLIANT = "niezgodna", _("not compliant")

    entity_name = models.CharField(_("public body (podmiot)"), max_length=255)
    site_url = models.URLField(_("address of the website"))
    published_on = models.DateField(_("date the website was published"))
    updated_on = models.DateField(_("date of the last major update"))
    status = models.CharField(
        _("compliance status"), max_length=32, choices=Status.choices, default=Status.PARTIAL
    )
    non_accessible_content = RichTextField(
        _("non-accessible content and reasons"), blank=True, features=RICH_TEXT_FEATURES
    )
    exclusions = RichTextField(
        _("content exempt from the act"), blank=True, features=RICH_TEXT_FEATURES
    )
    prepared_on = models.DateField(_("date the statement was prepared"))
    reviewed_on = models.DateField(_("date of the last review"))
    assessment = models.TextField(
        _("how the assessment was made"),
        blank=True,
        help_text=_("Self-assessment or an audit by an external body."),
    )
    auditor = models.CharField(_("auditor (if external)"), max_length=255, blank=True)
    assessment_url = models.URLField(_("link to the assessment report"), blank=True)
    shortcuts = models.TextField(_("keyboard shortcuts"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=255)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=64)
    procedure = RichTextField(
        _("requests, complaints and enforcement procedure"), features=RICH_TEXT_FEATURES
    )
    architecture = RichTextField(
        _("architectural accessibility of the office"), features=RICH_TEXT_FEATURES
    )
    mobile_apps = RichTextField(_("mobile applications"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [
        *Page.content_panels,
        HelpPanel(
            content=_(
                "The statement must be linked from every page and updated every year by the end "
                "of March. Dates are published in machine-readable form."
            )
        ),
        MultiFieldPanel(
            [
                FieldPanel("entity_name"),
                FieldPanel("site_url"),
                FieldRowPanel([FieldPanel("published_on"), FieldPanel("updated_on")]),
            ],
            heading=_("Introduction"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("status"),
                FieldPanel("non_accessible_content"),
                FieldPanel("exclusions"),
            ],
            heading=_("Compliance"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("prepared_on"), FieldPanel("reviewed_on")]),
                FieldPanel("assessment"),
                FieldPanel("auditor"),
                FieldPanel("assessment_url"),
                FieldPanel("shortcuts"),
            ],
            heading=_("Preparation of the statement"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("contact_person"),
                FieldRowPanel([FieldPanel("contact_email"), FieldPanel("contact_phone")]),
                FieldPanel("procedure"),
            ],
            heading=_("Feedback and contact"),
        ),
        FieldPanel("architecture"),
        FieldPanel("mobile_apps"),
    ]
    max_count_per_parent = 1
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("accessibility statement")

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.updated_on and self.published_on and self.updated_on < self.published_on:
            errors["updated_on"] = _("The update cannot precede publication.")
        if self.reviewed_on and self.prepared_on and self.reviewed_on < self.prepared_on:
            errors["reviewed_on"] = _("The review cannot precede preparation.")
        if self.status != self.Status.COMPLIANT and not self.non_accessible_content:
            errors["non_accessible_content"] = _(
                "A statement that is not fully compliant must list what is not accessible."
            )
        if errors:
            raise ValidationError(errors)


# --- Site settings --------------------------------------------------------------------------


@register_setting(icon="site")
class MunicipalitySettings(BaseSiteSetting):
    """Who runs the portal: shown in the header and footer, on forms and transfer slips."""

    name = models.CharField(_("municipality name"), max_length=255, default="Gmina")
    office_name = models.CharField(
        _("office name"), max_length=255, blank=True, help_text=_("e.g. Urząd Gminy Przykładowo")
    )
    street = models.CharField(_("street and number"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    nip = models.CharField(_("NIP"), max_length=13, blank=True, validators=[_validate_nip])
    regon = models.CharField(_("REGON"), max_length=14, blank=True, validators=[_validate_regon])
    bank_account = models.CharField(
        _("main bank account (NRB)"),
        max_length=32,
        blank=True,
        help_text=_("26 digits; spaces are ignored."),
    )
    bank_name = models.CharField(_("bank name"), max_length=255, blank=True)
    phone = models.CharField(_("contact phone"), max_length=64, blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    epuap_address = models.CharField(
        _("ePUAP inbox"), max_length=255, blank=True, help_text=_("e.g. /ugprzyklad/SkrytkaESP")
    )
    opening_hours = models.TextField(_("opening hours"), blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("office_name"), FieldPanel("logo")],
            heading=_("Municipality"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("street"),
                FieldRowPanel([FieldPanel("postal_code"), FieldPanel("city")]),
            ],
            heading=_("Address"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("nip"), FieldPanel("regon")]),
                FieldPanel("bank_account"),
                FieldPanel("bank_name"),
            ],
            heading=_("Identifiers and bank"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("phone"), FieldPanel("email")]),
                FieldPanel("epuap_address"),
                FieldPanel("opening_hours"),
            ],
            heading=_("Contact"),
        ),
    ]

    class Meta:
        verbose_name = _("municipality")

    def clean(self) -> None:
        super().clean()
        account = "".join(self.bank_account.split())
        if account:
            # NRB = a Polish IBAN without "PL": 2 check digits, sort code, account number.
            if len(account) != 26 or not account.isdigit():
                raise ValidationError({"bank_account": _("An NRB has exactly 26 digits.")})
            try:
                IBAN("PL" + account)
            except SchwiftyException:
                raise ValidationError(
                    {"bank_account": _("The check digits of this account number do not match.")}
                ) from None
        self.bank_account = account

    @property
    def bank_account_display(self) -> str:
        """The NRB as printed on Polish forms: 2 + 6 groups of 4 digits."""
        a = self.bank_account
        return " ".join([a[:2], *[a[i : i + 4] for i in range(2, 26, 4)]]) if a else ""


@register_setting(icon="list-ul")
class NavigationSettings(BaseSiteSetting):
    """Header and footer menus, editable without a developer."""

    header_links = StreamField(
        [("link", NavigationLinkBlock())], verbose_name=_("header menu"), blank=True
    )
    footer_links = StreamField(
        [("link", NavigationLinkBlock())], verbose_name=_("footer menu"), blank=True
    )

    panels = [FieldPanel("header_links"), FieldPanel("footer_links")]

    class Meta:
        verbose_name = _("navigation")
