"""Settings of the real Celery workers started by test_real_workers.py: the test settings, but
email over SMTP to the test's loopback server and small batches so that workers interleave."""

from config.settings.test import *  # noqa: F403
from config.settings.test import env

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
CELERY_TASK_ALWAYS_EAGER = False
MESSAGING_BATCH_SIZE = 3
