"""A loopback notification endpoint for the gateway tests.

It turns each HTTP request the operator fakes send into a Django ``WSGIRequest`` and runs the
gateway's side of the contract the portal's endpoint runs: ``parse_notification`` (signature
over the raw body), ``confirm`` for completions, ``notification_response``. It keeps every
result so tests can assert what was accepted. ``fail_next`` answers 500 to that many requests
first, to exercise the operators' retries.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.core.handlers.wsgi import WSGIRequest

from payments.gateways.base import GatewayError, GatewayStatus, InvalidNotification, Notification


@dataclass
class Received:
    status: int  # what we answered
    notification: Notification | None = None
    confirmed: bool | None = None
    error: str = ""


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class GatewayReceiver:
    def __init__(self, gateway_factory) -> None:
        self.gateway_factory = gateway_factory
        self.received: list[Received] = []
        self.fail_next = 0
        self._lock = threading.Lock()
        self._server = make_server(
            "127.0.0.1", 0, self.app, server_class=_Server, handler_class=_Quiet
        )
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/notify/"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accepted(self) -> list[Notification]:
        return [r.notification for r in self.received if r.status == 200 and r.notification]

    def app(self, environ, start_response):
        with self._lock:
            failing = self.fail_next > 0
            self.fail_next -= 1 if failing else 0
        result = Received(500, error="receiver down") if failing else self._process(environ)
        with self._lock:
            self.received.append(result)
        reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}[result.status]
        start_response(f"{result.status} {reason}", [("Content-Type", "text/plain")])
        return [result.error.encode() if result.status != 200 else b"OK"]

    def _process(self, environ) -> Received:
        request = WSGIRequest(environ)
        gateway = self.gateway_factory()
        try:
            notification = gateway.parse_notification(request)
        except InvalidNotification as exc:
            return Received(400, error=str(exc))
        confirmed = None
        if notification.status is GatewayStatus.COMPLETED:
            try:
                confirmed = gateway.confirm(notification)
            except GatewayError as exc:
                return Received(400, notification, False, str(exc))
            if not confirmed:
                return Received(400, notification, False, "confirmation failed")
        response = gateway.notification_response(notification)
        return Received(response.status_code, notification, confirmed)
