"""Production: refuses to start unless it is configured safely.

`manage.py check --deploy` is clean under these settings (CI runs it with dummy values).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *

_KNOWN_BAD_KEYS = {"dev-insecure-5b1f0c9e7d2a4e8f-change-me", "change-me", "secret"}
if not SECRET_KEY or len(SECRET_KEY) < 50 or SECRET_KEY in _KNOWN_BAD_KEYS:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters in production "
        '(python -c "import secrets; print(secrets.token_urlsafe(64))").'
    )
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")
if "demo" in PAYMENT_GATEWAYS:
    raise ImproperlyConfigured(
        "The demo payment gateway takes no money and must not be enabled in production: "
        "remove 'demo' from PAYMENT_GATEWAYS."
    )
if not env("DATABASE_URL") or DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production.")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set in production: PESEL is encrypted at rest with it."
    )
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the portal's host names.")
if CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured("Production needs a broker: set REDIS_URL (or CELERY_BROKER_URL).")

STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"

# Transport security: TLS ends at the reverse proxy, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# __Host- prefixed cookies (ASVS 3.3.1): Secure, Path=/ and no Domain.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Host-csrftoken"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "SAMEORIGIN"

# `check --deploy --fail-level WARNING` must stay clean; these two warnings are decisions:
# - security.W019 (X_FRAME_OPTIONS is not DENY): Wagtail's live preview shows the page in a
#   same-origin iframe; SAMEORIGIN still stops every other site from framing the portal.
# - security.W021 (no HSTS preload): preloading binds the registrable domain and all of its
#   subdomains (usually the whole gmina domain, partly run by others) for months; an office
#   opts in with SECURE_HSTS_PRELOAD=true once it has decided to submit the domain.
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W019"]
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
LOGGING["root"]["level"] = env("LOG_LEVEL", "WARNING")
DEMO_DATA_ALLOWED = False

# --- Payment operators (P3): an enabled operator needs its keys, over HTTPS ---
_OPERATOR_KEYS = {
    "payu": ("PAYU", PAYU, ("POS_ID", "CLIENT_ID", "CLIENT_SECRET", "SECOND_KEY")),
    "przelewy24": ("PRZELEWY24", PRZELEWY24, ("MERCHANT_ID", "POS_ID", "API_KEY", "CRC")),
}
for _code, (_prefix, _config, _keys) in _OPERATOR_KEYS.items():
    if _code not in PAYMENT_GATEWAYS:
        continue
    _missing = [f"{_prefix}_{key}" for key in _keys if not _config[key]]
    if _missing:
        raise ImproperlyConfigured(
            f"PAYMENT_GATEWAYS enables {_code} but {', '.join(_missing)} is not set: "
            "set the operator's keys or remove it from PAYMENT_GATEWAYS."
        )
    if not _config["BASE_URL"].startswith("https://"):
        raise ImproperlyConfigured(f"{_prefix}_BASE_URL must be an https:// address in production.")

# --- Messaging channels: an SMS operator needs its token, an https address and a callback secret;
# signing keys come whole or not at all ---
_SMS_OPERATORS = {
    "serwersms": ("MESSAGING_SERWERSMS_TOKEN", MESSAGING_SERWERSMS_TOKEN, MESSAGING_SERWERSMS_URL),
    "smsapi": ("MESSAGING_SMSAPI_TOKEN", MESSAGING_SMSAPI_TOKEN, MESSAGING_SMSAPI_URL),
}
if MESSAGING_SMS_PROVIDER in _SMS_OPERATORS:
    _token_name, _token, _url = _SMS_OPERATORS[MESSAGING_SMS_PROVIDER]
    if not _token:
        raise ImproperlyConfigured(
            f"MESSAGING_SMS_PROVIDER is {MESSAGING_SMS_PROVIDER} but {_token_name} is not set."
        )
    if not _url.startswith("https://"):
        raise ImproperlyConfigured(f"The {MESSAGING_SMS_PROVIDER} API address must be https://.")
    if len(MESSAGING_SMS_CALLBACK_TOKEN) < 20:
        raise ImproperlyConfigured(
            "MESSAGING_SMS_CALLBACK_TOKEN must be a random value of at least 20 characters: "
            "delivery reports change message statuses and suppress numbers."
        )
if bool(MESSAGING_SMIME_CERTIFICATE) != bool(MESSAGING_SMIME_KEY):
    raise ImproperlyConfigured(
        "S/MIME needs both MESSAGING_SMIME_CERTIFICATE and MESSAGING_SMIME_KEY (or neither)."
    )
if len({bool(MESSAGING_DKIM_DOMAIN), bool(MESSAGING_DKIM_SELECTOR), bool(MESSAGING_DKIM_KEY)}) > 1:
    raise ImproperlyConfigured(
        "DKIM needs MESSAGING_DKIM_DOMAIN, MESSAGING_DKIM_SELECTOR and MESSAGING_DKIM_KEY together."
    )

# --- Cases: attachments are personal data and must never be reachable as static or media files.
_cases_root = Path(CASES_PRIVATE_ROOT).resolve()
for _public_name, _public_root in (("MEDIA_ROOT", MEDIA_ROOT), ("STATIC_ROOT", STATIC_ROOT)):
    if _cases_root.is_relative_to(Path(_public_root).resolve()):
        raise ImproperlyConfigured(
            f"CASES_PRIVATE_ROOT ({_cases_root}) must not be inside {_public_name}: the web server "
            "would publish residents' attachments."
        )
