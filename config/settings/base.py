"""Settings shared by every environment.

Everything that differs between a laptop and a server comes from the environment, read here
through ``env()`` helpers. With nothing set, the result is the embedded default: SQLite, eager
Celery tasks, console email and the demo payment gateway (see ``dev.py``).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = env("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Ours first, so our templates override the defaults of the apps below.
    "home",
    "eservices",
    "eservices.cases",
    "payments",
    "messaging",
    "surveys",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "ninja",  # serves the API docs' assets locally (our CSP refuses CDNs and inline scripts)
    "django_tasks",
    "django_celery_beat",
    # Staff MFA (PRACTICES.md §7) and login lock-outs (§8).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "wagtail.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(); then every /admin/ path demands a verified second factor.
    "django_otp.middleware.OTPMiddleware",
    "eservices.staff_security.middleware.RequireVerifiedStaffMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # CSP, Permissions-Policy and Cache-Control: no-store on admin and account pages.
    "eservices.staff_security.csp.SecurityHeadersMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # django-axes goes last (PRACTICES.md §8).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://user:pass@127.0.0.1:5432/gmina; SQLite when unset.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The ledger entries' covering index (eservices 0013) speeds up booking on PostgreSQL; SQLite,
# the embedded default, keeps it as a plain index and says so with models.W040 on every command.
SILENCED_SYSTEM_CHECKS = (
    ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []
)

# --- Users and passwords --------------------------------------------------------------------
# Residents and staff share one model; email is the login. Defined in the very first migration
# of eservices so that it never has to be swapped later.
AUTH_USER_MODEL = "eservices.User"

# django-axes checks lock-outs before any other backend (PRACTICES.md §8).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Argon2 first (OWASP), the rest so that older hashes upgrade on the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# ASVS 6.2: length and a common-password list, no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The resident login; the Wagtail admin keeps its own (wagtailadmin_login).
LOGIN_URL = "eservices:login"
LOGIN_REDIRECT_URL = "eservices:dues"
LOGOUT_REDIRECT_URL = "eservices:login"

# Keys for personal identifiers encrypted at rest (PESEL). Comma-separated, newest first: older
# keys only decrypt, so keys can be rotated. Any long random string works.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", "Polski"), ("en", "English")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------
STATICFILES_DIRS = [BASE_DIR / "static_src"]
STATIC_ROOT = BASE_DIR / "static"
STATIC_URL = "/static/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Cache, Celery and Wagtail's background tasks ----------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "gmina"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
# Without a broker the embedded default runs every task in the calling process.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL == "memory://")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Only money and message work is worth a retry after a crash, and those tasks opt in to
# acks_late themselves (they are idempotent by design); long countdowns are never used because
# Redis redelivers unacknowledged messages after the visibility timeout (PRACTICES.md §4).
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_TIME_LIMIT = 15 * 60

# Wagtail 8 runs its own housekeeping (reference index, image renditions, frontend cache purges)
# through django-tasks. On a laptop and in tests they run immediately; with a broker they go to
# the Celery workers through config.tasks_backend, so a page publish does not wait for them.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if CELERY_TASK_ALWAYS_EAGER
            else "config.tasks_backend.CeleryTaskBackend"
        ),
        "QUEUES": ["default"],
    }
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "e-uslugi@gmina.example")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Payments (payments app; its section) ---------------------------------------------------
# Which gateways the checkout offers; the payments app reads it. "demo" is refused in production.
PAYMENT_GATEWAYS = env_list("PAYMENT_GATEWAYS", "demo,transfer")
# Accounts operators pay out from, to recognise payout lines on statements:
# PAYMENT_OPERATOR_ACCOUNTS="payu=NRB,przelewy24=NRB" (payments.reconciliation).
PAYMENT_OPERATOR_ACCOUNTS: dict[str, list[str]] = {}
for _item in env_list("PAYMENT_OPERATOR_ACCOUNTS", ""):
    _code, _, _nrb = _item.partition("=")
    PAYMENT_OPERATOR_ACCOUNTS.setdefault(_code.strip(), []).append(_nrb.strip().replace(" ", ""))
# Processes that read a long bank statement (payments.mt940; 1 reads it in this process only).
PAYMENTS_STATEMENT_READERS = int(
    env("PAYMENTS_STATEMENT_READERS", str(min(os.cpu_count() or 1, 4)))
)

# --- Payment operators (P3) -------------------------------------------------------------------
# PayU REST v2.1 and Przelewy24 REST v1 (payments.gateways.payu / .przelewy24). *_SANDBOX picks
# the operator's sandbox host; *_BASE_URL overrides both (the loopback fakes in tests).
PAYU_SANDBOX = env_bool("PAYU_SANDBOX", False)
PAYU = {
    "BASE_URL": env("PAYU_BASE_URL")
    or ("https://secure.snd.payu.com" if PAYU_SANDBOX else "https://secure.payu.com"),
    "POS_ID": env("PAYU_POS_ID", ""),
    # OAuth client_id is the POS id unless the operator says otherwise.
    "CLIENT_ID": env("PAYU_CLIENT_ID") or env("PAYU_POS_ID", ""),
    "CLIENT_SECRET": env("PAYU_CLIENT_SECRET", ""),
    # "Drugi klucz (MD5)": signs notifications.
    "SECOND_KEY": env("PAYU_SECOND_KEY", ""),
    "TIMEOUT": float(env("PAYU_TIMEOUT", "15")),
}
PRZELEWY24_SANDBOX = env_bool("PRZELEWY24_SANDBOX", False)
PRZELEWY24 = {
    "BASE_URL": env("PRZELEWY24_BASE_URL")
    or ("https://sandbox.przelewy24.pl" if PRZELEWY24_SANDBOX else "https://secure.przelewy24.pl"),
    "MERCHANT_ID": env("PRZELEWY24_MERCHANT_ID", ""),
    # The shop's POS id; the merchant id unless the office has several shops.
    "POS_ID": env("PRZELEWY24_POS_ID") or env("PRZELEWY24_MERCHANT_ID", ""),
    # "Klucz do raportów" (secretId): HTTP Basic password of the REST API.
    "API_KEY": env("PRZELEWY24_API_KEY", ""),
    # "Klucz do CRC": only inside SHA-384 signs.
    "CRC": env("PRZELEWY24_CRC", ""),
    # Where P24 posts refund results (optional): the portal's P24 notification address.
    "REFUND_STATUS_URL": env("PRZELEWY24_REFUND_STATUS_URL", ""),
    "TIMEOUT": float(env("PRZELEWY24_TIMEOUT", "15")),
}

# --- Messaging (messaging app; its section) -------------------------------------------------
# "console" (prints; the embedded default), "serwersms" or "smsapi" (messaging.channels).
MESSAGING_SMS_PROVIDER = env("MESSAGING_SMS_PROVIDER", "console")
if MESSAGING_SMS_PROVIDER not in {"console", "serwersms", "smsapi"}:
    raise ImproperlyConfigured(
        "MESSAGING_SMS_PROVIDER must be console, serwersms or smsapi, "
        f"not {MESSAGING_SMS_PROVIDER!r}"
    )
# Email of campaigns and reminders (messaging.channels.email). The From header; the envelope
# sender may carry the outbox reference for bounce matching ("bounces+{reference}@…", VERP).
MESSAGING_EMAIL_FROM = env("MESSAGING_EMAIL_FROM", DEFAULT_FROM_EMAIL)
MESSAGING_EMAIL_RETURN_PATH = env("MESSAGING_EMAIL_RETURN_PATH", "")
# S/MIME signing with the office's certificate: each value is a PEM text or a path to a PEM file.
# The certificate needs the From address as a SAN rfc822Name and the emailProtection EKU.
MESSAGING_SMIME_CERTIFICATE = env("MESSAGING_SMIME_CERTIFICATE", "")
MESSAGING_SMIME_KEY = env("MESSAGING_SMIME_KEY", "")
MESSAGING_SMIME_KEY_PASSWORD = env("MESSAGING_SMIME_KEY_PASSWORD", "")
MESSAGING_SMIME_CHAIN = env("MESSAGING_SMIME_CHAIN", "")  # intermediate certificates, optional
# DKIM after S/MIME, over the final bytes (leave empty when the MTA signs).
MESSAGING_DKIM_DOMAIN = env("MESSAGING_DKIM_DOMAIN", "")
MESSAGING_DKIM_SELECTOR = env("MESSAGING_DKIM_SELECTOR", "")
MESSAGING_DKIM_KEY = env("MESSAGING_DKIM_KEY", "")
# SMS operators (PROTOCOLS.md §9). The sender name must be registered with the operator
# (at most 11 characters, no diacritics); empty sends SerwerSMS ECO+ from a random number.
MESSAGING_SMS_SENDER = env("MESSAGING_SMS_SENDER", "")
_sender = MESSAGING_SMS_SENDER or ""
if _sender and not (
    len(_sender) <= 11
    and all(c.isascii() and (c.isalnum() or c in " .-") for c in _sender)
    and any(c.isalpha() for c in _sender)
    and not any(_sender[i : i + 4].isdigit() for i in range(len(_sender) - 3))
):
    raise ImproperlyConfigured(
        "MESSAGING_SMS_SENDER must be a registered sender name: at most 11 characters without "
        "diacritics, at least one letter, at most 3 digits in a row."
    )
MESSAGING_SMS_TEST_MODE = env_bool("MESSAGING_SMS_TEST_MODE", False)  # operator accepts, sends none
MESSAGING_SERWERSMS_TOKEN = env("MESSAGING_SERWERSMS_TOKEN", "")
MESSAGING_SERWERSMS_URL = env("MESSAGING_SERWERSMS_URL", "https://api2.serwersms.pl")
MESSAGING_SMSAPI_TOKEN = env("MESSAGING_SMSAPI_TOKEN", "")
MESSAGING_SMSAPI_URL = env("MESSAGING_SMSAPI_URL", "https://api.smsapi.pl")
# Delivery reports: the operator calls our callback URL with ?token=<this>; SMSAPI is told the
# URL with each message (notify_url), SerwerSMS has it set in its customer panel.
MESSAGING_SMS_CALLBACK_TOKEN = env("MESSAGING_SMS_CALLBACK_TOKEN", "")
MESSAGING_SMS_REPORT_URL = env("MESSAGING_SMS_REPORT_URL", "")
# Outbox draining (messaging.sending): rows claimed per batch, and how many drain tasks a
# campaign start enqueues (they share the rows through the claim; the send rate is global,
# set by administrators in Settings → Messaging settings).
MESSAGING_BATCH_SIZE = int(env("MESSAGING_BATCH_SIZE", "100"))
MESSAGING_PARALLEL_DRAINS = int(env("MESSAGING_PARALLEL_DRAINS", "2"))

# --- Cases (eservices.cases; its section) ---------------------------------------------------
# Attachments of electronic matters are personal data: stored outside MEDIA_ROOT and served
# only by eservices.cases.views, which checks that the file belongs to the resident asking.
CASES_PRIVATE_ROOT = Path(env("CASES_PRIVATE_ROOT", str(BASE_DIR / "var" / "cases")))
STORAGES["cases_private"] = {
    "BACKEND": "eservices.cases.storage.PrivateFileSystemStorage",
    "OPTIONS": {"location": str(CASES_PRIVATE_ROOT)},
}
CASES_ATTACHMENT_MAX_BYTES = int(env("CASES_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
CASES_ATTACHMENT_MAX_FILES = 5
CASES_ATTACHMENT_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "odt", "docx"]
# The registry number (znak sprawy): department symbol, JRWA class, number in the year, year.
CASES_REGISTRY_NUMBER_PATTERN = env(
    "CASES_REGISTRY_NUMBER_PATTERN", "{symbol}.{jrwa}.{number}.{year}"
)
# Wagtail search: the "database" backend is PostgreSQL full-text search on PostgreSQL and FTS5
# on SQLite (it picks the implementation from the connection). Polish text is indexed with
# the "simple" configuration (no Polish stemmer ships with PostgreSQL); diacritics-insensitive
# matching comes from a folded copy of the text (home.search.fold) on both databases.
WAGTAILSEARCH_BACKENDS_CASES = {"default": {"BACKEND": "wagtail.search.backends.database"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    WAGTAILSEARCH_BACKENDS_CASES["default"]["SEARCH_CONFIG"] = "simple"

# --- Surveys (surveys app; its section) -----------------------------------------------------
# Anonymous visitors answering a public survey: one answer per browser (signed cookie) and at
# most this many answers per IP address and survey in the window (surveys.throttle).
SURVEYS_ANONYMOUS_ANSWERS_PER_IP = int(env("SURVEYS_ANONYMOUS_ANSWERS_PER_IP", "20"))
SURVEYS_ANONYMOUS_WINDOW_SECONDS = int(env("SURVEYS_ANONYMOUS_WINDOW_SECONDS", "3600"))

# --- Staff single sign-on (eservices.staff_sso; its section) --------------------------------
# SAML 2.0 against the municipality's own IdP (AD FS, Keycloak …), configured from its metadata.
# It signs in existing staff accounts only (matched by e-mail) and never creates one; the admin
# still asks for the second factor afterwards.
STAFF_SSO = {
    "ENABLED": env_bool("STAFF_SSO_ENABLED", False),
    # The IdP metadata: an https:// URL (fetched, cached) or a file path (relative to BASE_DIR).
    "IDP_METADATA": env("STAFF_SSO_IDP_METADATA", ""),
    # Which entity to use when the metadata describes several.
    "IDP_ENTITY_ID": env("STAFF_SSO_IDP_ENTITY_ID", ""),
    # Defaults to the metadata URL, {BASE_URL}/admin/sso/metadata/.
    "SP_ENTITY_ID": env("STAFF_SSO_SP_ENTITY_ID", ""),
    # Optional: sign AuthnRequests (PEM text or file paths).
    "SP_CERT": env("STAFF_SSO_SP_CERT", ""),
    "SP_KEY": env("STAFF_SSO_SP_KEY", ""),
    # The attribute holding the e-mail address; empty: the NameID (emailAddress format).
    "EMAIL_ATTRIBUTE": env("STAFF_SSO_EMAIL_ATTRIBUTE", ""),
    "METADATA_CACHE_SECONDS": 3600,
    "HTTP_TIMEOUT_SECONDS": 10,
}

# --- Wagtail --------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env("WAGTAIL_SITE_NAME", "Gmina e-Usługi")
# Links in emails are built from this, never from the request's Host header.
WAGTAILADMIN_BASE_URL = env("BASE_URL", "http://127.0.0.1:8000")
PORTAL_BASE_URL = WAGTAILADMIN_BASE_URL
WAGTAILSEARCH_BACKENDS = WAGTAILSEARCH_BACKENDS_CASES  # chosen in the Cases section
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "ods", "pdf", "rtf", "txt", "xlsx", "xml", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
# Sensitive content is never guarded by a shared password (PRACTICES.md §12).
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_PASSWORD_RESET_ENABLED = True
WAGTAILADMIN_COMMENTS_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True
WAGTAILEMBEDS_FINDERS = []  # no calls to third-party oEmbed providers from the office network

# --- login.gov.pl (Węzeł Krajowy), eservices.identity -----------------------------------------
# Keys and the pinned node certificate are PEM text or paths (relative to BASE_DIR). The dev
# defaults point at the fake node: `python -m tests.fakes.login_gov_pl` writes var/login_gov_pl/.
LOGIN_GOV_PL = {
    "SP_ENTITY_ID": env("LOGIN_GOV_PL_SP_ENTITY_ID", f"{PORTAL_BASE_URL}/konto/login-gov-pl/"),
    "ACS_URL": env("LOGIN_GOV_PL_ACS_URL", f"{PORTAL_BASE_URL}/konto/login-gov-pl/acs/"),
    "SP_KEY": env("LOGIN_GOV_PL_SP_KEY", "var/login_gov_pl/sp-key.pem"),
    "SP_CERT": env("LOGIN_GOV_PL_SP_CERT", "var/login_gov_pl/sp-cert.pem"),
    "SP_ENCRYPTION_KEY": env("LOGIN_GOV_PL_SP_ENCRYPTION_KEY"),  # defaults to SP_KEY
    "IDP_ENTITY_ID": env("LOGIN_GOV_PL_IDP_ENTITY_ID", "int.login.gov.pl"),
    "SSO_URL": env("LOGIN_GOV_PL_SSO_URL", "http://127.0.0.1:8765/login/SingleSignOnService"),
    "ARS_URL": env(
        "LOGIN_GOV_PL_ARS_URL",
        "http://127.0.0.1:8765/login-services/idpArtifactResolutionService",
    ),
    "SLO_URL": env(
        "LOGIN_GOV_PL_SLO_URL", "http://127.0.0.1:8765/login-services/singleLogoutService"
    ),
    "IDP_CERT": env("LOGIN_GOV_PL_IDP_CERT", "var/login_gov_pl/node-cert.pem"),  # pinned
    "REQUIRED_LOA": env("LOGIN_GOV_PL_REQUIRED_LOA", "http://eidas.europa.eu/LoA/substantial"),
    "REQUIRE_SIGNED_ASSERTION": env_bool("LOGIN_GOV_PL_REQUIRE_SIGNED_ASSERTION", True),
    "CLOCK_SKEW_SECONDS": 60,
    "HTTP_TIMEOUT_SECONDS": 10,
}
# Link an account automatically when exactly one taxpayer carries the PESEL login.gov.pl asserts.
PROFIL_ZAUFANY_AUTO_LINK = env_bool("PROFIL_ZAUFANY_AUTO_LINK", False)

# --- Resident accounts (eservices: registration, passwords, sessions; its section) -----------
# Links in account e-mails (activation, reset, e-mail change) expire after these many seconds.
ACCOUNT_ACTIVATION_SECONDS = 72 * 3600
PASSWORD_RESET_LINK_SECONDS = 60 * 60
EMAIL_CHANGE_LINK_SECONDS = 24 * 3600
# Reset links sent per account and hour; over it the form answers the same and sends nothing.
PASSWORD_RESET_MAX_PER_HOUR = 3
# Resident sessions (ASVS 7.3.1/7.3.2, PRACTICES.md §10): idle and absolute timeouts, and the
# warning shown before the idle one (WCAG 2.2.1: at least 2 minutes ahead).
RESIDENT_SESSION_IDLE_SECONDS = int(env("RESIDENT_SESSION_IDLE_SECONDS", str(15 * 60)))
RESIDENT_SESSION_ABSOLUTE_SECONDS = int(env("RESIDENT_SESSION_ABSOLUTE_SECONDS", str(8 * 3600)))
SESSION_WARNING_SECONDS = 150
# Timeouts and the forced password change of counter-created accounts; after messages.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "eservices.sessions.ResidentSessionMiddleware",
)

# --- Security defaults (production tightens the transport ones) --------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "SAMEORIGIN"  # Wagtail's preview uses a same-origin iframe

# --- Staff second factor (PRACTICES.md §7) ---------------------------------------------------
# The Wagtail login asks for the TOTP or a backup code; eservices.staff_security's middleware
# sends an unverified session on any /admin/ path to verification or enrolment.
WAGTAILADMIN_USER_LOGIN_FORM = "eservices.staff_security.forms.StaffLoginForm"
OTP_TOTP_ISSUER = WAGTAIL_SITE_NAME
# After a wrong token the next try waits 1, 2, 4, 8 … seconds (per device).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Backup codes made at enrolment and by `manage.py create_admin`.
STAFF_BACKUP_CODE_COUNT = 10

# --- Login lock-outs: django-axes 8 (PRACTICES.md §8) ------------------------------------------
# Locks the username+IP pair, never the account alone, so nobody can lock out a colleague.
# django-axes 8.3 has no AXES_LOCKOUT_TIERS setting; the tiers (3 failures -> 15 min,
# 6 -> 2 h, 10 -> 24 h) come from a cool-off callable that counts the pair's failures since its
# last successful login, with a per-attempt expiry so each pair keeps its own cool-off.
AXES_FAILURE_LIMIT = 3
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = "eservices.staff_security.lockout.cool_off"
AXES_LOCKOUT_TIERS = ((3, 15 * 60), (6, 2 * 3600), (10, 24 * 3600))  # ours: (failures, seconds)
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the tiers count these
AXES_HTTP_RESPONSE_CODE = 429
AXES_USERNAME_FORM_FIELD = "username"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
# The client's address behind the reverse proxy: TRUSTED_PROXY_COUNT proxies (nginx = 1) append
# to X-Forwarded-For; the address the outermost one saw is taken (django-ipware not needed).
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "eservices.staff_security.lockout.client_ip"

# --- Content-Security-Policy and other headers (eservices.staff_security.csp) ------------------
# Django 5.2 has no CSP of its own. The public site gets a strict policy (no inline scripts or
# styles); Wagtail's admin needs inline styles and scripts, so /admin/ gets its own.
CSP_PUBLIC = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
CSP_ADMIN = {
    **CSP_PUBLIC,
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "media-src": ["'self'", "blob:"],
    "worker-src": ["'self'", "blob:"],
}
CSP_ADMIN_PREFIX = "/admin/"
# No avatars from gravatar.com: the CSP blocks them anyway, and staff e-mail hashes stay home.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
# Path prefixes (after the language prefix) answered with Cache-Control: no-store (ASVS 14.3.2).
NO_STORE_PATH_PREFIXES = ["/admin/", "/konto/", "/moje-naleznosci/"]

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint narrates every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
