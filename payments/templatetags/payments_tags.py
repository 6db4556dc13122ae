"""Template tags of payments used on the eservices dues pages."""

from __future__ import annotations

from django import template

from eservices import access

register = template.Library()


@register.simple_tag(takes_context=True)
def can_pay_for(context, taxpayer) -> bool:
    """Whether the user may pay for ``taxpayer`` (own record, or a mandate with the pay right)."""
    request = context.get("request")
    return bool(request) and access.can_act_for(request.user, taxpayer, access.Scope.PAY)
