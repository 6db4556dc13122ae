"""Test-only variant of django-axes' backend (``config/settings/test.py``).

``AxesStandaloneBackend`` refuses an ``authenticate()`` call without a request, which is right
for the site (every login form passes the request, and a form that forgot it must fail loudly)
but breaks tests that check a password with ``authenticate(username=…, password=…)``. Under the
test settings only, such a call skips the lock-out check; every request-carrying login is
still checked by axes exactly as in production.
"""

from axes.backends import AxesStandaloneBackend


class RequestOptionalAxesBackend(AxesStandaloneBackend):
    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
