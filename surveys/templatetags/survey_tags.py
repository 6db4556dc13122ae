"""Template helpers of the surveys app."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from ..charts import bar_chart
from ..results import QuestionResult

register = template.Library()


@register.simple_tag
def survey_chart(result: QuestionResult, prefix: str = "chart") -> SafeString:
    """The SVG bar chart of one counted question."""
    return bar_chart(
        f"{prefix}-{result.question.pk}",
        result.chart_title,
        result.chart_description,
        result.options,
    )
