"""When the resident's session ends (set by `eservices.sessions.ResidentSessionMiddleware`)."""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils import timezone

from eservices import sessions

register = template.Library()


@register.simple_tag(takes_context=True)
def session_ends_at(context) -> datetime | None:
    request = context.get("request")
    ends_at = getattr(request, "session_ends_at", None)
    if ends_at is None:
        return None
    context["session_warning_seconds"] = sessions.warning_seconds()
    return timezone.localtime(datetime.fromtimestamp(ends_at, tz=UTC))
