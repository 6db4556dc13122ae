from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    """Surveys for chosen groups, responses and results analysis."""

    name = "surveys"
    verbose_name = _("Surveys")
