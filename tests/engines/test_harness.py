"""The harness itself: JVM start failures are explained, the classpath cache works, and the test
servers the conformance suite relies on behave as documented."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.engines.harness import (
    FAULTS,
    SLOW_SECONDS,
    AuthProxy,
    FaultyServer,
    HarnessError,
    LocalServer,
    QuietHandler,
    free_port,
    start_jvm,
)
from tests.engines.harness_solr import SOLR_VERSION, solr_project

pytestmark = pytest.mark.engines


def test_the_classpath_is_built_once_and_cached() -> None:
    project = solr_project()
    classpath, _cold = project.prepare()
    again, cold = project.prepare()
    assert again == classpath and cold is False
    jars = classpath.split(":")
    assert any(f"solr-core-{SOLR_VERSION}.jar" in jar for jar in jars)
    assert all(Path(jar).exists() for jar in jars)


def test_a_jvm_that_dies_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    empty_home = tmp_path / "home"
    empty_home.mkdir()
    port = free_port()
    began = time.monotonic()
    with pytest.raises(HarnessError) as caught:
        start_jvm(
            solr_project(),
            [str(port), str(empty_home)],
            port=port,
            url=f"http://127.0.0.1:{port}/solr",
            log_path=tmp_path / "solr.log",
            ready=lambda client: False,
            timeout=60,
        )
    message = str(caught.value)
    assert "exited with status 2" in message
    assert f"no solr.xml in {empty_home}" in message  # the log tail is quoted
    assert time.monotonic() - began < 60


def test_a_jvm_that_never_gets_ready_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "solr.xml").write_text("<solr/>\n")
    port = free_port()
    with pytest.raises(HarnessError, match="did not answer .* within 3s"):
        start_jvm(
            solr_project(),
            [str(port), str(home)],
            port=port,
            url=f"http://127.0.0.1:{port}/solr",
            log_path=tmp_path / "solr.log",
            ready=lambda client: False,
            timeout=3,
        )
    with pytest.raises(httpx.TransportError):  # the JVM is gone, nothing listens
        httpx.get(f"http://127.0.0.1:{port}/solr/", timeout=2)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_the_faulty_server_serves_each_fault(fault: str) -> None:
    status, content_type, body = FAULTS[fault]
    with FaultyServer() as server:
        response = httpx.get(f"{server.url}/{fault}/solr/cranfield/select?q=x")
    assert response.status_code == status
    assert response.headers["content-type"] == content_type
    assert response.content == body
    assert server.requests == [f"/{fault}/solr/cranfield/select?q=x"]


def test_the_faulty_server_can_be_slow() -> None:
    with FaultyServer() as server, pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{server.url}/slow/x", timeout=SLOW_SECONDS / 4)


def test_the_auth_proxy_demands_credentials_and_the_header() -> None:
    class Upstream(QuietHandler):
        def do_GET(self) -> None:
            self._send(200, f"upstream saw {self.path}".encode(), "text/plain")

    with LocalServer(Upstream) as upstream, AuthProxy(upstream.url, "u", "p", "X-T", "1") as proxy:
        assert httpx.get(f"{proxy.url}/a?b=c").status_code == 401
        assert (
            httpx.get(f"{proxy.url}/a", auth=("u", "wrong"), headers={"X-T": "1"}).status_code
            == 401
        )
        assert httpx.get(f"{proxy.url}/a", auth=("u", "p")).status_code == 403
        ok = httpx.get(f"{proxy.url}/a?b=c", auth=("u", "p"), headers={"X-T": "1"})
    assert ok.status_code == 200
    assert ok.text == "upstream saw /a?b=c"
    assert proxy.seen[-1]["x-t"] == "1"
