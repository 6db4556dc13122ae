"""Gunicorn configuration for the web process: `gunicorn --config site/gunicorn.conf.py`.

Every value can be changed from the environment (docker-compose passes site/.env through):

  GUNICORN_BIND          address to listen on (default 0.0.0.0:$PORT, PORT defaulting to 8000)
  WEB_CONCURRENCY        worker processes (default 2 x CPUs + 1, at most GUNICORN_MAX_WORKERS)
  GUNICORN_MAX_WORKERS   cap of the default above (default 8)
  GUNICORN_THREADS       threads per worker (default 1: sync workers)
  GUNICORN_TIMEOUT       seconds a request may take before its worker is restarted (default 60)
  GUNICORN_GRACEFUL_TIMEOUT  seconds to finish requests on restart/stop (default 30)
  GUNICORN_KEEPALIVE     seconds to keep an idle proxy connection (default 5)
  GUNICORN_MAX_REQUESTS  restart a worker after this many requests, 0 = never (default 1000)
  FORWARDED_ALLOW_IPS    proxies whose X-Forwarded-* headers gunicorn trusts (default
                         127.0.0.1,::1; docker-compose sets * because web is reachable only
                         from the nginx container on the internal network)
  GUNICORN_LOG_LEVEL     gunicorn's own log level (default info)

site/ is not a Python package and this file is not imported by the project: gunicorn executes it.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours the container's cpuset
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


wsgi_app = "config.wsgi:application"

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
workers = _int("WEB_CONCURRENCY", min(2 * _cpus() + 1, _int("GUNICORN_MAX_WORKERS", 8)))
threads = _int("GUNICORN_THREADS", 1)

timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so that a slow leak never grows into an outage; the jitter
# keeps them from restarting all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max(max_requests // 10, 0)
# The heartbeat file on tmpfs: a container's overlay filesystem can stall it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# The reverse proxy (site/nginx.conf) sets X-Forwarded-For and X-Forwarded-Proto; Django trusts
# X-Forwarded-Proto itself (SECURE_PROXY_SSL_HEADER), so the web port must never be public.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr for the container runtime; the client is the proxy's X-Forwarded-For.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Request bodies and headers are the proxy's to limit (client_max_body_size 25m); these
# are gunicorn's defaults, written down so that nobody raises them by accident.
limit_request_line = 4094
limit_request_fields = 100
