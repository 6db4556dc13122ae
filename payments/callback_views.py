"""The notification endpoint every operator posts to: ``/platnosci/powiadomienia/<code>/``.

The gateway verifies the signature over the raw body (`Gateway.parse_notification`);
`payments.transitions` decides what it means. A forged, malformed or mismatched notification
changes nothing, is logged and answered 400 (the operator may retry; a forger learns nothing).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .gateways import UnknownGateway, get_gateway
from .gateways.base import InvalidNotification
from .transitions import apply_notification, reject


@csrf_exempt
@require_POST
def notification(request: HttpRequest, code: str) -> HttpResponse:
    try:
        gateway = get_gateway(code)
    except UnknownGateway:
        raise Http404 from None
    try:
        parsed = gateway.parse_notification(request)
    except InvalidNotification as error:
        reject(code, str(error)[:500], data={"remote_addr": request.META.get("REMOTE_ADDR", "")})
        return HttpResponse("invalid notification", status=400, content_type="text/plain")
    result = apply_notification(gateway, parsed)
    if not result.accepted:
        return HttpResponse(result.reason, status=400, content_type="text/plain")
    return gateway.notification_response(parsed)
