"""Small pieces the loopback HTTP fakes share: a WSGI server in a thread, and a server that runs
a Django view for callbacks the fakes make (operators calling our delivery-report URL)."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.core.exceptions import BadRequest, PermissionDenied
from django.core.handlers.wsgi import WSGIRequest


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class LoopbackServer:
    """``start()`` serves ``self.app`` (a WSGI callable) on 127.0.0.1 and a free port."""

    def app(self, environ, start_response):  # pragma: no cover - overridden
        raise NotImplementedError

    def start(self):
        self._server: WSGIServer = make_server(
            "127.0.0.1", 0, self.app, handler_class=_QuietHandler
        )
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"


def reply(start_response, status: str, body: bytes, content_type: str = "application/json"):
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class ViewServer(LoopbackServer):
    """Runs ``view(request) -> HttpResponse`` for every request, as Django would (403 for
    PermissionDenied, 400 for BadRequest); ``requests`` keeps (method, full path, body)."""

    def __init__(self, view) -> None:
        self.view = view
        self.requests: list[tuple[str, str, bytes]] = []

    def app(self, environ, start_response):
        request = WSGIRequest(environ)
        self.requests.append((request.method, request.get_full_path(), request.body))
        try:
            response = self.view(request)
        except PermissionDenied:
            return reply(start_response, "403 Forbidden", b"", "text/plain")
        except BadRequest:
            return reply(start_response, "400 Bad Request", b"", "text/plain")
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [(name, value) for name, value in response.items()]
        start_response(status, headers)
        return [response.content]
