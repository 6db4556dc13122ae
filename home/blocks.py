"""StreamField blocks for the site's content pages."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Text"), max_length=200)
    # Page titles are h1; content starts at h2 so the outline stays valid (WCAG 1.3.1).
    level = blocks.ChoiceBlock(
        label=_("Level"),
        choices=[("h2", _("Heading 2")), ("h3", _("Heading 3")), ("h4", _("Heading 4"))],
        default="h2",
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "home/blocks/heading.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(
        label=_("Link text"),
        required=False,
        help_text=_("Leave empty to use the document's title."),
    )

    class Meta:
        icon = "doc-full"
        label = _("Document")
        template = "home/blocks/document.html"


class AccordionItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=300)
    answer = blocks.RichTextBlock(
        label=_("Answer"), features=["bold", "italic", "link", "document-link", "ol", "ul"]
    )


class AccordionBlock(blocks.StructBlock):
    """Questions and answers, built on <details>: it opens and closes without JavaScript."""

    title = blocks.CharBlock(label=_("Title"), required=False)
    items = blocks.ListBlock(AccordionItemBlock(), label=_("Questions"))

    class Meta:
        icon = "list-ul"
        label = _("FAQ (accordion)")
        template = "home/blocks/accordion.html"


RICH_TEXT_FEATURES = ["h2", "h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link", "hr"]


class ContentStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(label=_("Text"), icon="pilcrow", features=RICH_TEXT_FEATURES)
    image = ImageBlock(label=_("Image"))
    document = DocumentBlock()
    accordion = AccordionBlock()

    class Meta:
        template = "home/blocks/stream.html"


class NavigationLinkBlock(blocks.StructBlock):
    """A menu entry: an internal page, or an external address with its own label."""

    page = blocks.PageChooserBlock(label=_("Page"), required=False)
    url = blocks.URLBlock(label=_("External address"), required=False)
    label = blocks.CharBlock(
        label=_("Label"), required=False, help_text=_("Defaults to the page's title.")
    )

    class Meta:
        icon = "link"
        label = _("Link")

    def clean(self, value):
        cleaned = super().clean(value)
        if bool(cleaned.get("page")) == bool(cleaned.get("url")):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "page": ValidationError(_("Choose a page or give an external address."))
                }
            )
        if cleaned.get("url") and not cleaned.get("label"):
            raise blocks.StructBlockValidationError(
                block_errors={"label": ValidationError(_("An external link needs a label."))}
            )
        return cleaned
