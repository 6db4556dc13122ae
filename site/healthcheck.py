"""Health check of the web container: GET /healthz on the local gunicorn, exit 0 on HTTP 200.

Run as a script (`python site/healthcheck.py`, the image's HEALTHCHECK and docker-compose's);
site/ is never imported. /healthz answers 200 only when the database answers.

The request is made to look like one that came through the reverse proxy, because production
settings answer anything else with an error or a redirect: the Host is the first name in
ALLOWED_HOSTS (any other gets 400) and X-Forwarded-Proto is https (plain HTTP is redirected).
Redirects are not followed: a redirect means the check is not reaching the view.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _port() -> str:
    bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
    return bind.rsplit(":", 1)[-1]


def _host() -> str:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0].lstrip(".") if hosts else "localhost"
    return "localhost" if host in {"", "*"} else host


def main() -> int:
    url = os.environ.get("HEALTHCHECK_URL") or f"http://127.0.0.1:{_port()}/healthz"
    request = urllib.request.Request(  # noqa: S310 - http(s) URL built above or set by the operator
        url, headers={"Host": _host(), "X-Forwarded-Proto": "https"}
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: {url} answered HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
