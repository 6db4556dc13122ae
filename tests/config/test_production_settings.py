"""config.settings.production: `check --deploy` is clean, and unsafe configurations refuse to start.

Each case is a fresh `manage.py` process with its own environment (settings are read at import
time, so they cannot be tested in this process). All of them are started at once by a
module-scoped fixture and run in parallel; each test then reads its own outcome.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

REPO_ROOT = Path(settings.BASE_DIR)

# Everything the settings read that could leak in from the developer's shell or from CI.
_SCRUBBED = (
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_ALWAYS_EAGER",
    "PAYMENT_GATEWAYS",
    "EMAIL_BACKEND",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "FIELD_ENCRYPTION_KEYS",
    "PAYU_SANDBOX",
    "PAYU_BASE_URL",
    "PAYU_POS_ID",
    "PAYU_CLIENT_ID",
    "PAYU_CLIENT_SECRET",
    "PAYU_SECOND_KEY",
    "PRZELEWY24_SANDBOX",
    "PRZELEWY24_BASE_URL",
    "PRZELEWY24_MERCHANT_ID",
    "PRZELEWY24_POS_ID",
    "PRZELEWY24_API_KEY",
    "PRZELEWY24_CRC",
)

GOOD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(48)[:64],  # 64 random characters
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/x",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "PAYMENT_GATEWAYS": "payu,przelewy24,transfer",
    "ALLOWED_HOSTS": "e-uslugi.example.pl",
    "FIELD_ENCRYPTION_KEYS": secrets.token_urlsafe(32),
    "PAYU_POS_ID": "145227",
    "PAYU_CLIENT_SECRET": secrets.token_hex(16),
    "PAYU_SECOND_KEY": secrets.token_hex(16),
    "PRZELEWY24_MERCHANT_ID": "999999",
    "PRZELEWY24_API_KEY": secrets.token_hex(16),
    "PRZELEWY24_CRC": secrets.token_hex(8),
}
CHECK_DEPLOY = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]

_EFFECTIVE_SETTINGS = """
import json
import django
from django.conf import settings

django.setup()
print(json.dumps({
    "tasks_backend": settings.TASKS["default"]["BACKEND"],
    "celery_always_eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "staticfiles": settings.STORAGES["staticfiles"]["BACKEND"],
    "session_cookie": [settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE],
    "csrf_cookie": [settings.CSRF_COOKIE_NAME, settings.CSRF_COOKIE_SECURE],
    "proxy_ssl_header": list(settings.SECURE_PROXY_SSL_HEADER),
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts_seconds": settings.SECURE_HSTS_SECONDS,
    "demo_data_allowed": settings.DEMO_DATA_ALLOWED,
}))
"""


@dataclass(frozen=True)
class Case:
    argv: list[str]
    env: dict[str, str | None]  # None removes the variable from GOOD_ENV


CASES: dict[str, Case] = {
    "good": Case(CHECK_DEPLOY, {}),
    "effective_settings": Case(["-c", _EFFECTIVE_SETTINGS], {}),
    "no_secret_key": Case(CHECK_DEPLOY, {"SECRET_KEY": None}),
    "short_secret_key": Case(CHECK_DEPLOY, {"SECRET_KEY": secrets.token_hex(20)}),
    "known_bad_secret_key": Case(
        CHECK_DEPLOY, {"SECRET_KEY": "dev-insecure-5b1f0c9e7d2a4e8f-change-me"}
    ),
    "debug_on": Case(CHECK_DEPLOY, {"DEBUG": "true"}),
    "demo_gateway": Case(CHECK_DEPLOY, {"PAYMENT_GATEWAYS": "payu,demo,transfer"}),
    "no_database_url": Case(CHECK_DEPLOY, {"DATABASE_URL": None}),
    "no_redis_url": Case(CHECK_DEPLOY, {"REDIS_URL": None}),
    "sqlite_database": Case(CHECK_DEPLOY, {"DATABASE_URL": "sqlite:////tmp/prod.sqlite3"}),
    "no_field_keys": Case(CHECK_DEPLOY, {"FIELD_ENCRYPTION_KEYS": None}),
    "payu_without_keys": Case(CHECK_DEPLOY, {"PAYU_SECOND_KEY": None}),
    "przelewy24_without_keys": Case(CHECK_DEPLOY, {"PRZELEWY24_CRC": None}),
    "przelewy24_plain_http": Case(
        CHECK_DEPLOY, {"PRZELEWY24_BASE_URL": "http://sandbox.przelewy24.pl"}
    ),
    "load_demo": Case(["manage.py", "load_demo"], {}),
}


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def _environment(case: Case) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name, value in {**GOOD_ENV, **case.env}.items():
        if value is not None:
            env[name] = value
    return env


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    """Starts every case at once, then waits for all of them (about one process' time)."""
    out_dir = tmp_path_factory.mktemp("production-settings")
    running = {}
    for name, case in CASES.items():
        stdout = (out_dir / f"{name}.out").open("w")
        stderr = (out_dir / f"{name}.err").open("w")
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [sys.executable, *case.argv],
            cwd=REPO_ROOT,
            env=_environment(case),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
        running[name] = (process, stdout, stderr)
    results = {}
    for name, (process, stdout, stderr) in running.items():
        try:
            returncode = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
        stdout.close()
        stderr.close()
        results[name] = Outcome(
            returncode,
            (out_dir / f"{name}.out").read_text(),
            (out_dir / f"{name}.err").read_text(),
        )
    return results


def test_check_deploy_is_clean(outcomes):
    result = outcomes["good"]
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout, output
    assert "WARNING" not in output
    assert "ERROR" not in output


def test_production_hands_tasks_to_celery_and_tightens_transport(outcomes):
    result = outcomes["effective_settings"]
    assert result.returncode == 0, result.stderr
    effective = json.loads(result.stdout)
    assert effective["tasks_backend"] == "config.tasks_backend.CeleryTaskBackend"
    assert effective["celery_always_eager"] is False
    assert effective["staticfiles"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert effective["session_cookie"] == ["__Host-sessionid", True]
    assert effective["csrf_cookie"] == ["__Host-csrftoken", True]
    assert effective["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert effective["ssl_redirect"] is True
    assert effective["hsts_seconds"] >= 365 * 24 * 3600
    assert effective["demo_data_allowed"] is False


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no_secret_key", "SECRET_KEY must be set to a random value of at least 50 characters"),
        ("short_secret_key", "SECRET_KEY must be set to a random value of at least 50 characters"),
        (
            "known_bad_secret_key",
            "SECRET_KEY must be set to a random value of at least 50 characters",
        ),
        ("debug_on", "DEBUG must be off in production."),
        ("demo_gateway", "The demo payment gateway takes no money"),
        ("no_database_url", "DATABASE_URL must point at PostgreSQL in production."),
        ("no_redis_url", "Production needs a broker: set REDIS_URL"),
        ("sqlite_database", "DATABASE_URL must point at PostgreSQL in production."),
        ("no_field_keys", "FIELD_ENCRYPTION_KEYS must be set in production"),
        ("payu_without_keys", "PAYMENT_GATEWAYS enables payu but PAYU_SECOND_KEY is not set"),
        (
            "przelewy24_without_keys",
            "PAYMENT_GATEWAYS enables przelewy24 but PRZELEWY24_CRC is not set",
        ),
        ("przelewy24_plain_http", "PRZELEWY24_BASE_URL must be an https:// address"),
    ],
)
def test_unsafe_configuration_refuses_to_start(outcomes, case, message):
    result = outcomes[case]
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr, result.stderr


def test_the_secret_key_refusal_says_how_to_make_one(outcomes):
    assert "secrets.token_urlsafe(64)" in outcomes["no_secret_key"].stderr


def test_load_demo_refuses_under_production_settings(outcomes):
    result = outcomes["load_demo"]
    assert result.returncode != 0, result.stdout
    assert "Demo data is not allowed under these settings" in result.stderr, result.stderr
    assert "Dane demonstracyjne gotowe" not in result.stdout
