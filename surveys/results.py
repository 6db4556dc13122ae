"""Counting the answers: per question, per option, with percentages (PRACTICES.md §13).

Percentages are of the responses in the (filtered) set, so a single-choice question's rows,
"no answer" included, add up to 100 %; a multiple-choice question is counted per option (not
per combination), and its rows may add up to more. Questions removed after answers were given
leave their keys in the stored answers: the export shows them as "retired" columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .enums import QuestionType
from .models import SurveyPage, SurveyQuestion, SurveyResponse

TEXT_ANSWERS_SHOWN = 500


def percent(part: int, whole: int) -> Decimal:
    """``part`` of ``whole`` in per cent, one decimal place, half up (0 of 0 is 0)."""
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class OptionCount:
    label: str
    count: int
    percent: Decimal
    #: The "no answer" row of a question that was not required.
    is_blank: bool = False


@dataclass
class QuestionResult:
    question: SurveyQuestion
    responses: int
    answered: int
    options: list[OptionCount] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    texts_total: int = 0
    mean: Decimal | None = None

    @property
    def is_counted(self) -> bool:
        return self.question.field_type in QuestionType.counted()

    @property
    def chart_title(self) -> str:
        return self.question.label

    @property
    def chart_description(self) -> str:
        return _("%(answered)s of %(responses)s responses answered this question.") % {
            "answered": self.answered,
            "responses": self.responses,
        }


def _as_list(value) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def summarise(
    page: SurveyPage,
    responses: QuerySet[SurveyResponse] | Iterable[SurveyResponse],
    search: str = "",
) -> list[QuestionResult]:
    """Per question of ``page``: counts and percentages, or the text answers (``search``ed)."""
    answers = [r.answers for r in responses]
    total = len(answers)
    needle = search.strip().casefold()
    results = []
    for question in page.form_fields.all():
        key = question.clean_name
        given = [_as_list(a.get(key)) for a in answers]
        answered = sum(1 for values in given if values)
        result = QuestionResult(question=question, responses=total, answered=answered)
        if question.field_type in QuestionType.counted():
            counts = Counter(value for values in given for value in set(values))
            known = question.choice_list
            labels = known + sorted(set(counts) - set(known))  # answers to edited options
            result.options = [
                OptionCount(lbl, counts[lbl], percent(counts[lbl], total)) for lbl in labels
            ]
            if total - answered and not question.required:
                result.options.append(
                    OptionCount(
                        _("No answer"), total - answered, percent(total - answered, total), True
                    )
                )
            if question.field_type == QuestionType.SCALE and answered:
                points = sum(int(values[0]) for values in given if values)
                result.mean = (Decimal(points) / answered).quantize(Decimal("0.01"), ROUND_HALF_UP)
        else:
            texts = [values[0] for values in given if values]
            if needle:
                texts = [t for t in texts if needle in t.casefold()]
            result.texts_total = len(texts)
            result.texts = texts[:TEXT_ANSWERS_SHOWN]
        results.append(result)
    return results


def export_columns(page: SurveyPage, responses: Iterable[SurveyResponse]) -> list[tuple[str, str]]:
    """(key, heading) of every answer column: the current questions, then retired keys."""
    columns = [(q.clean_name, q.label) for q in page.form_fields.all()]
    current = {key for key, _label in columns}
    retired = sorted({key for r in responses for key in r.answers} - current)
    return columns + [(key, _("%(key)s (retired question)") % {"key": key}) for key in retired]


def export_value(value) -> str:
    """One answer as a spreadsheet cell: multiple choices joined with "; "."""
    return "; ".join(_as_list(value))
