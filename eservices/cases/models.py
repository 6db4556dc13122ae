"""The case catalogue (katalog spraw) and the electronic matters residents file through it.

Editors maintain `CaseCatalogPage` and its `CasePage` children (one page per matter) and the
`Department` snippets; a `CasePage` may offer an online form whose fields the editor defines
(`CaseFormField`, Wagtail's form builder). Filing it creates a `Case` (`filing.file_case`);
clerks move it through `Case.Status` (`handling.change_status`), each step one
`CaseStatusChange` row that is never edited.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import RegexValidator
from django.db import models
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.blocks import PageChooserBlock
from wagtail.contrib.forms.forms import FormBuilder, WagtailAdminFormPageForm
from wagtail.contrib.forms.models import AbstractFormField
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from eservices.models.append_only import AppendOnlyModel
from home.search import fold

TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "document-link"]


def private_storage():
    """Where attachments live: never under MEDIA_ROOT (see the Cases section of the settings)."""
    return storages["cases_private"]


# --- Departments ----------------------------------------------------------------------------


class Department(index.Indexed, models.Model):
    """An office department (wydział, referat) responsible for matters."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    symbol = models.CharField(
        _("symbol"),
        max_length=16,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Za-z0-9-]*$", _("Capital letters and digits."))],
        help_text=_("Used in registry numbers, e.g. FN (finance)."),
    )
    room = models.CharField(_("room"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    opening_hours = models.TextField(
        _("opening hours"), blank=True, help_text=_("One line per day or group of days.")
    )

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("symbol")]),
        FieldRowPanel([FieldPanel("room"), FieldPanel("phone"), FieldPanel("email")]),
        FieldPanel("opening_hours"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def opening_hours_lines(self) -> list[str]:
        return [line.strip() for line in self.opening_hours.splitlines() if line.strip()]


register_snippet(Department)


# --- Pages ----------------------------------------------------------------------------------


class Category(models.TextChoices):
    TAXES = "podatki", _("Taxes and fees")
    WASTE = "odpady", _("Waste")
    CIVIL_REGISTRY = "usc", _("Civil registry")
    CONSTRUCTION = "budownictwo", _("Construction and land")
    BUSINESS = "dzialalnosc", _("Business")
    OTHER = "inne", _("Other matters")


class CaseCatalogPage(Page):
    """The catalogue: every matter below it, filtered by category and text (a GET form)."""

    intro = RichTextField(_("introduction"), blank=True, features=TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    subpage_types = ["cases.CasePage"]

    class Meta:
        verbose_name = _("case catalogue")

    def matters(self):
        return CasePage.objects.child_of(self).live().public().order_by("title")

    def get_context(self, request, *args, **kwargs):
        from .catalogue import CatalogueFilter

        context = super().get_context(request, *args, **kwargs)
        context["filter"] = CatalogueFilter(request.GET, matters=self.matters())
        return context


class CasePage(Page):
    """One matter: what it is, who may file it, what to bring, how much, how long, where."""

    form_code = models.CharField(
        _("form code"), max_length=32, blank=True, help_text=_("e.g. IN-1, DT-1")
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    summary = models.TextField(
        _("summary"), max_length=500, help_text=_("One or two sentences, shown in the catalogue.")
    )
    description = RichTextField(_("description"), features=TEXT_FEATURES)
    who_may_file = RichTextField(_("who may file"), features=TEXT_FEATURES)
    required_documents = RichTextField(_("required documents"), features=TEXT_FEATURES)
    fees = RichTextField(
        _("fees"), features=TEXT_FEATURES, help_text=_('Write "No fee" when there is none.')
    )
    deadline = models.CharField(
        _("deadline for the office"), max_length=255, help_text=_("e.g. up to 30 days")
    )
    legal_basis = RichTextField(_("legal basis"), features=TEXT_FEATURES)
    department = models.ForeignKey(
        Department,
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    jrwa_class = models.CharField(
        _("JRWA class"),
        max_length=16,
        blank=True,
        validators=[RegexValidator(r"^\d{1,6}$", _("Digits only, e.g. 3120."))],
        help_text=_("Filing plan class used in registry numbers of online cases, e.g. 3120."),
    )
    file_at_office = models.BooleanField(_("can be filed at the office"), default=True)
    file_by_post = models.BooleanField(_("can be sent by post"), default=True)
    epuap_url = models.URLField(
        _("link to the ePUAP form"), blank=True, help_text=_("Leave empty if there is none.")
    )
    online_form = models.BooleanField(
        _("can be filed online here"),
        default=False,
        help_text=_("Logged-in residents fill in the form defined below."),
    )
    online_form_intro = RichTextField(_("form introduction"), blank=True, features=TEXT_FEATURES)
    attachments_allowed = models.BooleanField(_("residents may attach files"), default=True)
    forms = StreamField(
        [("document", DocumentChooserBlock(label=_("form to download")))],
        verbose_name=_("forms to download"),
        blank=True,
    )
    related_matters = StreamField(
        [("matter", PageChooserBlock(target_model="cases.CasePage", label=_("matter")))],
        verbose_name=_("related matters"),
        blank=True,
    )

    base_form_class = WagtailAdminFormPageForm
    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("form_code"), FieldPanel("category")]),
        FieldPanel("summary"),
        FieldPanel("description"),
        FieldPanel("who_may_file"),
        FieldPanel("required_documents"),
        FieldPanel("fees"),
        FieldPanel("deadline"),
        FieldPanel("legal_basis"),
        FieldRowPanel([FieldPanel("department"), FieldPanel("jrwa_class")]),
        MultiFieldPanel(
            [
                FieldPanel("file_at_office"),
                FieldPanel("file_by_post"),
                FieldPanel("epuap_url"),
                FieldPanel("online_form"),
            ],
            heading=_("Where and how to file"),
        ),
        FieldPanel("forms"),
        FieldPanel("related_matters"),
        MultiFieldPanel(
            [
                FieldPanel("online_form_intro"),
                FieldPanel("attachments_allowed"),
                InlinePanel("form_fields", label=_("Form fields")),
            ],
            heading=_("Online form"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("form_code", boost=3),
        index.SearchField("summary", boost=2),
        index.SearchField("description"),
        index.SearchField("who_may_file"),
        index.SearchField("required_documents"),
        index.SearchField("folded_text"),
        index.FilterField("category"),
    ]
    parent_page_types = ["cases.CaseCatalogPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")

    @property
    def intro(self) -> str:
        # The site search and section listings show a page's "intro".
        return self.summary

    def folded_text(self) -> str:
        """Title, code and text without diacritics (`home.search`).

        The form code is also written with spaces ("DT 1"): PostgreSQL's parser reads "DT-1" as
        "dt" and the number "-1", while queries are split at hyphens into "dt" and "1".
        """
        code = self.form_code.replace("-", " ")
        parts = [self.title, code, self.summary, strip_tags(self.description)]
        return fold(" ".join(p for p in parts if p))

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.department_id is None:
            errors["department"] = _("Choose the department responsible for the matter.")
        if not (self.file_at_office or self.file_by_post or self.epuap_url or self.online_form):
            errors["file_at_office"] = _(
                "Say at least one way to file the matter: at the office, by post, via ePUAP or "
                "online here."
            )
        if self.online_form and not self.jrwa_class:
            errors["jrwa_class"] = _("Online cases need a JRWA class for their registry number.")
        for field in ("description", "who_may_file", "required_documents", "fees", "legal_basis"):
            value = getattr(self, field)
            if value is not None and not strip_tags(value).strip():
                errors[field] = _("This field is required.")
        if errors:
            raise ValidationError(errors)

    def filing_channels(self) -> list[str]:
        channels = []
        if self.online_form:
            channels.append("online")
        if self.epuap_url:
            channels.append("epuap")
        if self.file_at_office:
            channels.append("office")
        if self.file_by_post:
            channels.append("post")
        return channels

    def get_form_class(self):
        return FormBuilder(self.form_fields.all()).get_form_class()

    def route(self, request, path_components):
        # /<matter>/wniosek/ is the online form of the matter.
        if path_components == ["wniosek"] and self.live and self.online_form:
            from wagtail.url_routing import RouteResult

            return RouteResult(self, kwargs={"apply": True})
        return super().route(request, path_components)

    def serve(self, request, *args, apply: bool = False, **kwargs):
        if apply:
            from .views import apply as apply_view

            return apply_view(request, self)
        return super().serve(request, *args, **kwargs)


class CaseFormField(AbstractFormField):
    page = ParentalKey(CasePage, on_delete=models.CASCADE, related_name="form_fields")

    class Meta(AbstractFormField.Meta):
        verbose_name = _("form field")


# --- Cases ----------------------------------------------------------------------------------


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_RESIDENT = "awaiting_resident", _("Awaiting the resident")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")


class RegistrySequence(models.Model):
    """The last registry number given in a year for one department symbol and JRWA class."""

    symbol = models.CharField(max_length=16)
    jrwa_class = models.CharField(max_length=16)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["symbol", "jrwa_class", "year"], name="cases_one_sequence_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.symbol}.{self.jrwa_class}/{self.year}: {self.last_number}"


class Case(models.Model):
    """A matter a resident filed online. ``status`` repeats the newest history row for filters."""

    Status = Status

    registry_number = models.CharField(_("registry number"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    page = models.ForeignKey(
        CasePage,
        verbose_name=_("matter"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    # What the resident saw when filing, kept even if the page changes later.
    title = models.CharField(_("matter"), max_length=255)
    form_code = models.CharField(_("form code"), max_length=32, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="cases"
    )
    answers = models.JSONField(_("answers"), default=list)
    submitted_at = models.DateTimeField(_("submitted"))
    content_sha256 = models.CharField(_("SHA-256 of the submission"), max_length=64)
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.RECEIVED
    )
    status_changed_at = models.DateTimeField(_("status changed"))

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.registry_number} – {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("cases:detail", args=[self.pk])


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to="%Y/%m/", max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class CaseStatusChange(AppendOnlyModel):
    """One step of a case's history, with the clerk's optional message to the resident."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="history")
    status = models.CharField(_("status"), max_length=32, choices=Status.choices)
    message = models.TextField(_("message to the resident"), blank=True)
    created_at = models.DateTimeField(_("when"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["created_at", "pk"]
