"""Production refuses to start when case attachments would sit under a public directory."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.config.test_production_settings import _SCRUBBED, GOOD_ENV, REPO_ROOT

SCRIPT = "import django; django.setup(); from django.conf import settings; print(settings.CASES_PRIVATE_ROOT)"  # noqa: E501


def run(tmp_path, private_root: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        {**GOOD_ENV, "MEDIA_ROOT": str(tmp_path / "media"), "CASES_PRIVATE_ROOT": private_root}
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("inside", ["media/cases", "media"])
def test_private_root_inside_media_is_refused(tmp_path, inside):
    result = run(tmp_path, str(tmp_path / inside))
    assert result.returncode != 0
    assert "CASES_PRIVATE_ROOT" in result.stderr and "MEDIA_ROOT" in result.stderr


def test_private_root_beside_media_is_accepted(tmp_path):
    result = run(tmp_path, str(tmp_path / "private"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == str(tmp_path / "private")
