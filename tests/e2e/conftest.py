"""Browser test harness: Playwright (sync API) driving Debian's chromium against `live_server`.

* One browser per test session, a fresh context (cookies, storage) and page per test.
* The demo municipality is loaded into the test database for every test (`live_site`): the
  live server needs committed data, so these tests are transactional and the database is
  flushed after each of them (pytest-django runs them after the ordinary database tests).
  What the migrations created is put back first (`tests.migrated_database`).
* axe-core comes from the npm registry (`npm ci` installs the version pinned in package.json
  into node_modules/) and is injected into the page under test (`axe` fixture).
* A failing test leaves a screenshot in test-results/.

Playwright and Django in one thread
-----------------------------------
Playwright's sync API runs an asyncio event loop in another greenlet of the test thread and
leaves it marked as the thread's running loop between calls. Django keeps database connections
per thread *and per running loop* (asgiref.local.Local), so Django code run while the loop is
marked would open a second connection, not the one shared with the live server (SQLite in
memory then answers "database table is locked"). Outside the browser fixtures the loop is parked
(`PlaywrightLoop`): unmarked, so fixtures and pytest-django see an ordinary synchronous thread.
Inside a test body the loop is marked, and DJANGO_ALLOW_ASYNC_UNSAFE lets the ORM run there;
wrap database work in a test body in `with django_sync():` to use the same connection as the
server.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

E2E_DIR = Path(__file__).parent
REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RESULTS_DIR = REPO_ROOT / "test-results"
DEFAULT_TIMEOUT_MS = 10_000


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def missing_prerequisite(message: str) -> None:
    """Fail in CI (a missing tool must never turn the browser suite green); skip on a laptop."""
    if running_in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _allow_orm_next_to_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only for the browser tests: the rest of the suite keeps Django's async-safety check.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# --- Playwright's event loop ------------------------------------------------------------------
class PlaywrightLoop:
    """Marks Playwright's event loop as running only while the browser is being driven."""

    loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def park(cls) -> None:
        running = asyncio._get_running_loop()
        if running is not None:
            cls.loop = running
            asyncio._set_running_loop(None)

    @classmethod
    def unpark(cls) -> None:
        if cls.loop is not None:
            asyncio._set_running_loop(cls.loop)

    @classmethod
    def forget(cls) -> None:
        cls.loop = None


@contextmanager
def django_sync() -> Iterator[None]:
    """Run Django code in a test body on the connection the live server shares."""
    marked = asyncio._get_running_loop() is not None
    PlaywrightLoop.park()
    try:
        yield
    finally:
        if marked:
            PlaywrightLoop.unpark()


# --- Screenshots of failures ----------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    reports = (getattr(request.node, f"rep_{when}", None) for when in ("setup", "call"))
    return any(report is not None and report.failed for report in reports)


# --- Live server ----------------------------------------------------------------------------
class InFlightRequests:
    """WSGI middleware counting the requests the live server is still working on.

    A test ends as soon as its last assertion passes, while the browser may still be loading
    something. The database flush that follows must not run under a request in progress.
    """

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.active = 0
        self._changed = threading.Condition()

    def _enter(self) -> None:
        with self._changed:
            self.active += 1

    def _leave(self) -> None:
        with self._changed:
            self.active -= 1
            self._changed.notify_all()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        self._enter()
        try:
            result = self.app(environ, start_response)
        except BaseException:
            self._leave()
            raise
        return _CloseCallback(result, self._leave)

    def wait_until_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.active == 0, timeout)


class _CloseCallback:
    """Passes a WSGI response through and reports when the server has closed it."""

    def __init__(self, result: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self.result = result
        self.on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.result)

    def close(self) -> None:
        try:
            if hasattr(self.result, "close"):
                self.result.close()
        finally:
            self.on_close()


@pytest.fixture(scope="session")
def in_flight_requests(live_server) -> InFlightRequests:
    httpd = live_server.thread.httpd
    if not isinstance(httpd.get_app(), InFlightRequests):
        httpd.set_app(InFlightRequests(httpd.get_app()))
    return httpd.get_app()


@dataclass(frozen=True)
class LiveSite:
    """The running portal with the demo municipality loaded."""

    url: str

    def __call__(self, path: str = "/") -> str:
        return f"{self.url}{path}"


@pytest.fixture
def live_site(live_server, transactional_db) -> LiveSite:
    """`manage.py load_demo` in the database the live server reads, committed.

    Runs with Playwright's loop parked, so on the connection the live server shares.
    """
    with open(os.devnull, "w") as devnull:
        call_command("load_demo", stdout=devnull)
    return LiveSite(url=live_server.url)


# --- Browser ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def playwright_instance(live_server) -> Iterator[Playwright]:
    # The live server (and its database connection) exists before the loop does.
    playwright = sync_playwright().start()
    PlaywrightLoop.park()
    yield playwright
    PlaywrightLoop.unpark()
    playwright.stop()
    PlaywrightLoop.forget()


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        missing_prerequisite(
            f"{CHROMIUM} not found: the browser tests use Debian's chromium "
            "(apt-get install chromium, or `make browser`)."
        )
    PlaywrightLoop.unpark()
    try:
        browser = playwright_instance.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    finally:
        PlaywrightLoop.park()
    yield browser
    PlaywrightLoop.unpark()
    try:
        browser.close()
    finally:
        PlaywrightLoop.park()


@pytest.fixture
def context_options() -> dict:
    """Override in a test module, or parametrize it, to change the browser context."""
    return {}


@pytest.fixture
def context(
    browser: Browser,
    live_site: LiveSite,
    context_options: dict,
    in_flight_requests: InFlightRequests,
) -> Iterator[BrowserContext]:
    options = {
        "base_url": live_site.url,
        "locale": "pl-PL",
        "viewport": {"width": 1280, "height": 900},
        **context_options,
    }
    # The loop stays marked from here to the end of the test body: the test drives the browser.
    PlaywrightLoop.unpark()
    try:
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        # Chromium fetches /favicon.ico by itself after a page has loaded; nobody waits for it,
        # so it could reach the server during the database flush. The site has no favicon.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    except BaseException:
        PlaywrightLoop.park()
        raise
    yield context
    try:
        context.close()
        # Database work in the test body, outside `django_sync()`, opened connections of its
        # own (see the module docstring); PostgreSQL would not drop the test database later.
        connections.close_all()
    finally:
        PlaywrightLoop.park()
    if not in_flight_requests.wait_until_idle(timeout=10):
        warnings.warn("The live server was still busy 10 s after the test ended.", stacklevel=1)


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    if _failed(request):
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-180:]
        try:
            page.screenshot(path=RESULTS_DIR / f"{name}.png", full_page=True)
        except Exception as exc:  # a crashed page must not hide the real failure
            print(f"Could not save a screenshot: {exc}")


# --- axe-core -------------------------------------------------------------------------------
def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} WCAG 2.1 A/AA violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation.get('impact') or 'n/a'}]: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    target: {target}")
            summary = (node.get("failureSummary") or "").strip().replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
    return "\n".join(lines)


@functools.cache
def axe_source() -> str:
    if not AXE_JS.exists():
        missing_prerequisite(
            f"{AXE_JS.relative_to(REPO_ROOT)} is missing: run `npm ci` in {REPO_ROOT} "
            "to install axe-core from the npm registry (version pinned in package.json)."
        )
    return AXE_JS.read_text(encoding="utf-8")


class AxeCheck:
    """`axe(page)` runs axe-core on the loaded page and fails on any WCAG 2.1 A/AA violation;
    `axe.report(page)` returns the readable report instead ("" when there is none).

    axe is evaluated into the page rather than added as a <script> element: the portal's
    Content-Security-Policy (script-src 'self') blocks inline scripts, and turning the policy
    off (bypass_csp) would also let blocked inline styles apply, so axe would judge a page
    that residents never see.
    """

    def violations(self, page: Page) -> list[dict]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source())
        results = page.evaluate(
            """async (tags) => await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            })""",
            AXE_TAGS,
        )
        return results["violations"]

    def report(self, page: Page) -> str:
        violations = self.violations(page)
        return format_violations(page.url, violations) if violations else ""

    def __call__(self, page: Page) -> None:
        report = self.report(page)
        assert not report, report


@pytest.fixture
def axe() -> AxeCheck:
    return AxeCheck()


# --- Helpers --------------------------------------------------------------------------------
def ui_text(msgid: str, language: str = "pl") -> str:
    """A UI string as the portal shows it in ``language`` (same catalogues as the server)."""
    from django.utils import translation

    with translation.override(language):
        return translation.gettext(msgid)
