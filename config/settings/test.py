"""Settings for the test suite.

The same suite runs on SQLite on a laptop and on PostgreSQL + Redis in CI: DATABASE_URL and
REDIS_URL are honoured when set (base.py reads them).
"""

from .base import *

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-3c8e1f"  # noqa: S105
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver", "[::1]"]
# Fast hashing: the suite creates many users (bakerydemo does the same).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
MEDIA_ROOT = Path(env("TEST_MEDIA_ROOT", "/tmp/gmina-test-media"))  # noqa: S108
WHITENOISE_AUTOREFRESH = True
FIELD_ENCRYPTION_KEYS = ["test-field-key-one", "test-field-key-old"]
WAGTAILADMIN_BASE_URL = PORTAL_BASE_URL = "http://testserver"

# Tests run tasks in-process even when REDIS_URL points at a real Redis (CI): a test that needs
# a real worker starts one itself (tests/config/test_celery_tasks_backend.py).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
TASKS["default"]["BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"

# django-axes stays on (tests reset it by rolling back the database). Only a bare
# authenticate() without a request, which some tests use to check a password, skips it.
AUTHENTICATION_BACKENDS = [
    "eservices.staff_security.backends.RequestOptionalAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
