"""What the PayU and Przelewy24 fakes share: a threaded loopback HTTP server (stdlib
``http.server``), notification delivery with retries, duplicates and reordering, the payer's
page, and payouts as they would appear on the municipality's bank statement.

Notifications are sent synchronously when the payer clicks (so a browser test finds the
payment updated when it lands on the return page) and re-sent only when a test calls
:meth:`LoopbackOperator.retry_notifications`: the operators' real back-off (minutes to hours)
is a schedule, not something a test should sleep through.
"""

from __future__ import annotations

import html
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data, **headers: str) -> Reply:
        return cls(
            status,
            json.dumps(data, ensure_ascii=False).encode(),
            {"Content-Type": "application/json;charset=UTF-8", **headers},
        )

    @classmethod
    def html(cls, text: str) -> Reply:
        return cls(200, text.encode(), {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def redirect(cls, location: str) -> Reply:
        return cls(302, b"", {"Location": location})


@dataclass(eq=False)
class Delivery:
    """One notification: where it goes, what is sent, and every attempt's HTTP status."""

    url: str
    body: bytes
    headers: dict[str, str]
    attempts: list[int] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.attempts) and self.attempts[-1] == 200

    @property
    def data(self) -> dict:
        return json.loads(self.body)


@dataclass(frozen=True)
class Payout:
    """A settlement transfer as it lands on the municipality's bank statement."""

    reference: str  # the operator's payout reference, in the statement line's title
    amount: Decimal  # the sum of the payments it covers
    title: str  # the whole title as the operator writes it
    payments: tuple[tuple[str, str, Decimal], ...]  # (operator reference, our key, amount)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        reply = self.server.operator.handle(
            self.command, split.path, parse_qs(split.query), dict(self.headers.items()), body
        )
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


def form(body: bytes) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(body.decode()).items()}


def payer_page(title: str, description: str, amount: Decimal, action: str) -> Reply:
    """The operator's page where the payer pays or gives up (works without JavaScript)."""
    text = f"""<!doctype html>
<html lang="pl"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>
<body><main>
<h1>{html.escape(title)}</h1>
<p>{html.escape(description)}</p>
<p>Kwota: <strong>{amount:.2f} PLN</strong></p>
<form method="post" action="{html.escape(action)}">
<button type="submit" name="action" value="pay">Pay</button>
<button type="submit" name="action" value="reject">Reject</button>
</form>
</main></body></html>"""
    return Reply.html(text)


class LoopbackOperator:
    """Base of the fakes: the server, the lock, and notification delivery knobs."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    def reset(self) -> None:
        """Forget every order and restore the knobs."""
        with self._lock:
            self.deliveries: list[Delivery] = []
            self.requests: list[tuple[str, str]] = []  # (method, path) of every API call
            # Knobs: send each notification twice / in reverse order / not at all until
            # release_notifications().
            self.duplicate_notifications = False
            self.reverse_notifications = False
            self.hold_notifications = False
            self._held: list[Delivery] = []
            self._payout_sequence = 0
            self._paid_out: set[str] = set()

    # --- server ---------------------------------------------------------------------------

    def start(self, port: int = 0):
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.operator = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def handle(self, method, path, query, headers, body) -> Reply:  # pragma: no cover
        raise NotImplementedError

    # --- notifications --------------------------------------------------------------------

    def _post(self, delivery: Delivery) -> None:
        request = urllib.request.Request(  # noqa: S310 - loopback URLs the test gave us
            delivery.url, data=delivery.body, headers=delivery.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                delivery.attempts.append(response.status)
        except urllib.error.HTTPError as exc:
            delivery.attempts.append(exc.code)
        except OSError:
            delivery.attempts.append(0)  # connection refused / timed out

    def notify(self, batch: list[Delivery]) -> None:
        """Send notifications (about one click) as the knobs say."""
        if self.reverse_notifications:
            batch = list(reversed(batch))
        if self.duplicate_notifications:
            batch = [d for delivery in batch for d in (delivery, delivery)]
        with self._lock:
            for delivery in batch:
                if not any(known is delivery for known in self.deliveries):
                    self.deliveries.append(delivery)
            if self.hold_notifications:
                self._held.extend(batch)
                return
        for delivery in batch:
            self._post(delivery)

    def release_notifications(self) -> None:
        """Send the notifications held back by ``hold_notifications``."""
        with self._lock:
            held, self._held = self._held, []
            self.hold_notifications = False
        for delivery in held:
            self._post(delivery)

    def due_for_retry(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.delivered]

    def retry_notifications(self) -> int:
        """One round of the operator's retry schedule; returns how many were sent."""
        due = self.due_for_retry()
        for delivery in due:
            self._post(delivery)
        return len(due)

    # --- settlement -----------------------------------------------------------------------

    def settled_payments(self) -> list[tuple[str, str, Decimal]]:  # pragma: no cover
        """(operator reference, our key, amount) of every payment the operator owes us."""
        raise NotImplementedError

    payout_prefix = "PAYOUT"
    payout_title = "Wypłata środków {reference}"

    def payout(
        self,
        operator_references: list[str] | None = None,
        *,
        withheld: dict[str, Decimal] | None = None,
    ) -> Payout:
        """Settle the given payments (default: every completed one not yet paid out) in one
        transfer: what the bank statement will show. ``withheld`` is the commission the
        operator keeps per payment (the payer paid it on top of the dues). A payout of one
        payment (per-payment settlement) names that payment's reference in its title."""
        withheld = withheld or {}
        with self._lock:
            owed = [p for p in self.settled_payments() if p[0] not in self._paid_out]
            if operator_references is not None:
                wanted = set(operator_references)
                missing = wanted - {p[0] for p in owed}
                if missing:
                    raise ValueError(f"not completed or already paid out: {sorted(missing)}")
                owed = [p for p in owed if p[0] in wanted]
            if not owed:
                raise ValueError("nothing to pay out")
            owed = [
                (ref, key, amount - withheld.get(ref, Decimal("0.00"))) for ref, key, amount in owed
            ]
            self._payout_sequence += 1
            self._paid_out.update(p[0] for p in owed)
            reference = f"{self.payout_prefix}{self._payout_sequence:06d}"
            title = self.payout_title.format(reference=reference)
            if len(owed) == 1:
                title += f" {owed[0][0]}"
            return Payout(
                reference=reference,
                amount=sum((p[2] for p in owed), Decimal("0.00")),
                title=title,
                payments=tuple(owed),
            )


def run_for_development(fake: LoopbackOperator, port: int, prefix: str) -> None:  # pragma: no cover
    """Serve ``fake`` on ``port`` for ``make run`` and print the settings that point at it."""
    import time

    fake.start(port)
    print(f"Fake operator on {fake.base_url}. Start the portal with:")
    for key, value in fake.settings.items():
        if key not in {"TIMEOUT", "REFUND_STATUS_URL"}:
            print(f"  export {prefix}_{key}={value}")
    print("Notifications go to the notify URL the portal gives (its PORTAL_BASE_URL).")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
