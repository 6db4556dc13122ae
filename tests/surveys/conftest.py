"""Fixtures of the surveys tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.eservices.conftest import login_verified


@pytest.fixture(autouse=True)
def _empty_cache():
    # The anonymous rate limit counts in the cache (Redis under CI): start from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def verified_login():
    return login_verified
