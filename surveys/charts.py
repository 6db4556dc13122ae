"""Server-rendered SVG bar charts of the results (no JavaScript, no chart library).

Accessible by construction: ``role="img"`` with a ``<title>`` and ``<desc>`` (the question and
how many answered it), every bar's count and percentage printed as text beside it, the option's
label printed above it, and one colour only, so nothing depends on telling colours apart. The
same figures are also in a table next to the chart.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.formats import number_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .results import OptionCount

WIDTH = 640
LABEL_HEIGHT = 20
BAR_HEIGHT = 20
ROW_GAP = 12
BAR_MAX = 440
BAR_COLOUR = "#1d4f91"  # 8.7:1 against white
BLANK_COLOUR = "#595959"


def bar_chart(
    chart_id: str, title: str, description: str, rows: Sequence[OptionCount]
) -> SafeString:
    """An SVG bar chart of ``rows``; ``chart_id`` makes the title and desc ids unique."""
    row_height = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
    height = max(row_height * len(rows), row_height) + 8
    top = max((row.count for row in rows), default=0)
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="survey-chart" role="img" '
            'viewBox="0 0 {} {}" width="100%" aria-labelledby="{}-title {}-desc" '
            'font-family="inherit" font-size="14">'
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
            WIDTH, height, chart_id, chart_id, chart_id, title, chart_id, description,
        )
    ]  # fmt: skip
    for index, row in enumerate(rows):
        y = index * row_height + 4
        width = round(BAR_MAX * row.count / top) if top else 0
        value = f"{row.count} ({number_format(row.percent, 1)} %)"
        parts.append(
            format_html(
                '<g class="survey-chart__row">'
                '<text x="0" y="{}" fill="#1b1b1b">{}</text>'
                '<rect x="0" y="{}" width="{}" height="{}" fill="{}"></rect>'
                '<rect x="0" y="{}" width="{}" height="{}" fill="none" stroke="#1b1b1b" '
                'stroke-width="1"></rect>'
                '<text x="{}" y="{}" fill="#1b1b1b" font-weight="bold">{}</text></g>',
                y + 15, row.label,
                y + LABEL_HEIGHT, width, BAR_HEIGHT, BLANK_COLOUR if row.is_blank else BAR_COLOUR,
                y + LABEL_HEIGHT, BAR_MAX, BAR_HEIGHT,
                BAR_MAX + 10, y + LABEL_HEIGHT + 15, value,
            )
        )  # fmt: skip
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(escape(p) if not hasattr(p, "__html__") else p for p in parts))  # noqa: S308 - every part is escaped by format_html
