"""Production refuses half-configured delivery channels (config/settings/production.py).

Settings are read at import, so each case is a fresh ``manage.py check --deploy`` process with
its own environment, all started at once (as tests/config/test_production_settings.py does).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.config.test_production_settings import _SCRUBBED, CHECK_DEPLOY, GOOD_ENV

TOKEN = "x" * 32
CASES: dict[str, dict[str, str]] = {
    "operator_ready": {
        "MESSAGING_SMS_PROVIDER": "smsapi",
        "MESSAGING_SMSAPI_TOKEN": "token",
        "MESSAGING_SMS_CALLBACK_TOKEN": TOKEN,
    },
    "serwersms_without_token": {
        "MESSAGING_SMS_PROVIDER": "serwersms",
        "MESSAGING_SMS_CALLBACK_TOKEN": TOKEN,
    },
    "smsapi_over_http": {
        "MESSAGING_SMS_PROVIDER": "smsapi",
        "MESSAGING_SMSAPI_TOKEN": "token",
        "MESSAGING_SMSAPI_URL": "http://api.smsapi.pl",
        "MESSAGING_SMS_CALLBACK_TOKEN": TOKEN,
    },
    "no_callback_token": {"MESSAGING_SMS_PROVIDER": "smsapi", "MESSAGING_SMSAPI_TOKEN": "t"},
    "unknown_provider": {"MESSAGING_SMS_PROVIDER": "carrier-pigeon"},
    "certificate_without_key": {"MESSAGING_SMIME_CERTIFICATE": "/run/secrets/cert.pem"},
    "sender_with_diacritics": {"MESSAGING_SMS_SENDER": "UG Kłodawa"},
    "dkim_without_key": {"MESSAGING_DKIM_DOMAIN": "gmina.example", "MESSAGING_DKIM_SELECTOR": "s"},
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, tuple[int, str]]:
    out = tmp_path_factory.mktemp("messaging-settings")
    running = {}
    for name, extra in CASES.items():
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in _SCRUBBED and not k.startswith("MESSAGING_")
        }
        env.update(GOOD_ENV)
        env.update(extra)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        log = (out / f"{name}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [sys.executable, *CHECK_DEPLOY],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        running[name] = (process, log)
    results = {}
    for name, (process, log) in running.items():
        try:
            code = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        log.close()
        results[name] = (code, (out / f"{name}.log").read_text())
    return results


def test_a_configured_operator_passes_check_deploy(outcomes):
    code, output = outcomes["operator_ready"]
    assert code == 0, output
    assert "System check identified no issues" in output


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("serwersms_without_token", "MESSAGING_SERWERSMS_TOKEN is not set"),
        ("smsapi_over_http", "The smsapi API address must be https://"),
        ("no_callback_token", "MESSAGING_SMS_CALLBACK_TOKEN must be a random value"),
        ("unknown_provider", "MESSAGING_SMS_PROVIDER must be console, serwersms or smsapi"),
        ("certificate_without_key", "S/MIME needs both"),
        ("dkim_without_key", "DKIM needs"),
        ("sender_with_diacritics", "MESSAGING_SMS_SENDER must be a registered sender name"),
    ],
)
def test_half_configured_channels_refuse_to_start(outcomes, case, message):
    code, output = outcomes[case]
    assert code != 0, output
    assert "ImproperlyConfigured" in output
    assert message in output
