"""The embedded default: a laptop with nothing configured.

SQLite, eager Celery tasks, email printed to the console, the demo payment gateway. Anything set
in the environment still wins, so the same settings can point at a local PostgreSQL and Redis.
"""

from .base import *

DEBUG = env_bool("DEBUG", True)
# A fixed development key: never used in production, which refuses to start without its own.
SECRET_KEY = env("SECRET_KEY", "dev-insecure-5b1f0c9e7d2a4e8f-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or ["dev-field-key-not-for-production"]
