"""Choices of the surveys app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionType(models.TextChoices):
    SINGLE_CHOICE = "radio", _("Single choice")
    MULTIPLE_CHOICE = "checkboxes", _("Multiple choice")
    SCALE = "scale", _("Scale 1 to 5")
    SHORT_TEXT = "singleline", _("Short text")
    LONG_TEXT = "multiline", _("Long text")
    DATE = "date", _("Date")

    @classmethod
    def with_choices(cls) -> tuple[str, ...]:
        return (cls.SINGLE_CHOICE, cls.MULTIPLE_CHOICE)

    @classmethod
    def counted(cls) -> tuple[str, ...]:
        """Questions whose answers are counted per option (the rest are listed as text)."""
        return (cls.SINGLE_CHOICE, cls.MULTIPLE_CHOICE, cls.SCALE)


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone, also without an account")
    RESIDENTS = "residents", _("Logged-in residents")
    TAXPAYER_GROUPS = "taxpayer_groups", _("Residents in the chosen taxpayer groups")
    USER_GROUPS = "user_groups", _("Accounts in the chosen user groups")
