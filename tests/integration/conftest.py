"""The integration suite runs against a live searchbench URL and is selected by --base-url:

    pytest tests/integration --base-url http://127.0.0.1:8000 --login demo:demo

Without --base-url every test here is skipped as "not selected" (it is not a missing service:
`make test` does not start a server). The image pipeline (docker/image-test.sh) runs it against
the container it started, with a user it created and a local index built from corpus.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration import corpus
from tests.integration.html import Page

OPTIONS = {
    "--base-url": ("searchbench URL to test, e.g. http://127.0.0.1:8000", None),
    "--login": ("USER:PASSWORD to sign in with", "demo:demo"),
    "--local-index": ("local index on the server: integration (corpus.py; default), demo, …", None),
    "--query": ("query to run (default: a known one for integration and demo)", None),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("searchbench integration")
    for flag, (help_text, default) in OPTIONS.items():
        group.addoption(flag, default=default, help=help_text)


def _option(config: pytest.Config, flag: str) -> str | None:
    # getoption with a default also works when this conftest was loaded too late to add options.
    value = config.getoption(flag, default=None)
    return value if value is not None else OPTIONS[flag][1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = __file__.rsplit("/", 1)[0]
    skip = pytest.mark.skip(reason="not selected: run with --base-url URL")
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.integration)
            if not _option(config, "--base-url"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config) -> str:
    url = _option(pytestconfig, "--base-url")
    assert url, "collection marks these tests skipped without --base-url"
    return url.rstrip("/")


@pytest.fixture(scope="session")
def credentials(pytestconfig: pytest.Config) -> tuple[str, str]:
    login = _option(pytestconfig, "--login") or ""
    user, sep, password = login.partition(":")
    if not sep:
        raise pytest.UsageError(f"--login {login!r}: expected USER:PASSWORD")
    return user, password


# Local indexes the suite knows: a query that finds something, and the doc it must rank first
# (None: any order is fine). `integration` is corpus.py's; `demo` is what `make demo` builds.
KNOWN_INDEXES: dict[str, tuple[str, str | None]] = {
    corpus.INDEX: (corpus.QUERY, corpus.BEST_DOC),
    "demo": ("waterproof boots", None),
}


@pytest.fixture(scope="session")
def index_and_query(pytestconfig: pytest.Config) -> tuple[str, str, str | None]:
    """(local index, query, the doc id expected first or None when that is not known)."""
    index = _option(pytestconfig, "--local-index") or corpus.INDEX
    query = _option(pytestconfig, "--query")
    known_query, best = KNOWN_INDEXES.get(index, (None, None))
    if query is None and known_query is None:
        raise pytest.UsageError(f"--local-index {index}: give a --query that finds something")
    if query is not None and query != known_query:
        best = None
    return index, query or known_query or "", best


def new_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, follow_redirects=True, timeout=30.0)


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with new_client(base_url) as c:
        yield c


def sign_in(client: httpx.Client, user: str, password: str) -> httpx.Response:
    page = Page(client.get("/accounts/login/").raise_for_status().text)
    form = page.form(id="login-form")
    data = form.values() | {"username": user, "password": password}
    return client.post(form.action or "/accounts/login/", data=data)


@pytest.fixture
def signed_in(client: httpx.Client, credentials: tuple[str, str]) -> httpx.Client:
    response = sign_in(client, *credentials)
    response.raise_for_status()
    assert "login" not in str(response.url), (
        f"sign-in as {credentials[0]!r} failed; is --login right? ({response.url})"
    )
    return client


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]
