"""Test helpers shared by the suites (imported only by tests).

``service_missing`` is how a test says "the thing I need is not here": on a laptop that is a skip
with the reason; in CI (.ci/run sets SEARCHBENCH_REQUIRE_SERVICES=1) it is a failure, so a CI run
can never pass by skipping the services it promised to start.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

REQUIRE_ENV = "SEARCHBENCH_REQUIRE_SERVICES"
PRODUCTION_SETTINGS = "searchbench.web.settings"
TEST_SETTINGS = "searchbench.web.settings_test"
# What a child process must not inherit from the test process: its settings, its database and
# pytest's own variables. The child gets what the test names.
_NOT_INHERITED = ("SEARCHBENCH_", "DATABASE_URL", "DJANGO_", "PYTEST")


def services_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") == "1"


def service_missing(reason: str) -> NoReturn:
    if services_required():
        pytest.fail(f"required service missing ({REQUIRE_ENV}=1): {reason}", pytrace=False)
    pytest.skip(reason)


def child_env(settings: str, **values: str) -> dict[str, str]:
    """The environment of a process a test starts (``searchbench worker``, ``demo``, a script):
    this process's, without searchbench's settings, the database, Django's and pytest's variables,
    with ``DJANGO_SETTINGS_MODULE`` set to ``settings`` (``PRODUCTION_SETTINGS`` for a process that
    stands for a deployment, ``TEST_SETTINGS`` for one that must behave like the test process) and
    ``values`` added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    env["DJANGO_SETTINGS_MODULE"] = settings
    env.update(values)
    return env


CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, which this closed network
# refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium (``/usr/bin/chromium``, else ``chromium`` on the PATH); without it the
    browser tests skip on a laptop and fail in CI (``service_missing``)."""
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not found:
        service_missing("Chromium not installed (apt-get install -y chromium)")
    return found


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Playwright page in Debian's headless Chromium; import this fixture into a browser test."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("playwright (Python) not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in tests are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()


def browser_sign_in(page: Any, base: str, username: str, password: str) -> None:
    """Sign in through the login form in a browser test's page."""
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


SCREENSHOTS_ENV = "SEARCHBENCH_SCREENSHOTS"
REPO = Path(__file__).resolve().parent.parent


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """Save what a browser test's page shows as ``NAME.png`` for a human look: in
    ``$SEARCHBENCH_SCREENSHOTS``, by default ``build/screenshots/`` of the checkout (made on
    demand; ``make test-browser`` leaves them there)."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or REPO / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The demo (user demo/demo, index, case with one run) in a fresh data directory; import this
    fixture into a test that needs a realistic case. Needs the database."""
    monkeypatch.setenv("SEARCHBENCH_DATA_DIR", str(tmp_path))
    from searchbench.demo.setup import setup_demo

    return setup_demo(tmp_path, echo=lambda _line: None)
