from __future__ import annotations

import ipaddress
import threading
import time
from urllib.parse import urlencode

import pytest

from searchbench.engines import http
from searchbench.engines.http import (
    BadResponse,
    BadUrl,
    ConnectFailed,
    RateLimited,
    RateLimitPolicy,
    Timeout,
    TokenBucket,
    UrlDenied,
    UrlPolicy,
    check_url,
)
from searchbench.engines.tests.limiter import freeze_limiter_clock
from searchbench.engines.tests.server import FakeServer


def fake_dns(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> None:
    def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            return [ipaddress.ip_address(a) for a in table[host]]

    monkeypatch.setattr(http, "resolve_host", resolve)


def test_it_denies_private_addresses_when_private_urls_are_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns(
        monkeypatch, {"search.example.com": ["93.184.216.34"], "intranet.example.com": ["10.1.2.3"]}
    )
    policy = UrlPolicy(allow_private=False)
    check_url("https://search.example.com/solr/x", policy)
    for url in (
        "http://127.0.0.1:8983/solr",
        "http://[::1]:9200/",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.5/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0:9200/",
    ):
        with pytest.raises(UrlDenied, match="loopback/private/link-local"):
            check_url(url, policy)


def test_it_checks_every_address_a_name_resolves_to(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"sneaky.example.com": ["93.184.216.34", "127.0.0.1"]})
    with pytest.raises(UrlDenied, match="127.0.0.1"):
        check_url("http://sneaky.example.com/", UrlPolicy(allow_private=False))


def test_the_allow_list_beats_the_private_rule_and_the_deny_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns(monkeypatch, {"solr.internal": ["10.0.0.7"]})
    check_url("http://solr.internal:8983/", UrlPolicy(allow=("10.0.0.0/8",), allow_private=False))
    check_url("http://solr.internal:8983/", UrlPolicy(allow=("internal",), deny=("solr.internal",)))
    check_url(
        "http://127.0.0.1/",
        UrlPolicy(allow=("127.0.0.1",), deny=("127.0.0.0/8",), allow_private=False),
    )


def test_the_deny_list_applies_even_when_private_urls_are_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_dns(
        monkeypatch, {"evil.example.com": ["203.0.113.9"], "a.corp.example": ["93.184.216.34"]}
    )
    with pytest.raises(UrlDenied, match="SEARCHBENCH_URL_DENY"):
        check_url("http://evil.example.com/", UrlPolicy(deny=("203.0.113.0/24",)))
    with pytest.raises(UrlDenied, match="SEARCHBENCH_URL_DENY"):
        check_url("http://a.corp.example/", UrlPolicy(deny=("corp.example",)))
    with pytest.raises(UrlDenied):
        check_url("http://127.0.0.1/", UrlPolicy(deny=("127.0.0.1",)))


def test_it_reads_the_policy_from_the_settings() -> None:
    environ = {
        "SEARCHBENCH_URL_ALLOW": "10.0.0.0/8, solr.local",
        "SEARCHBENCH_URL_DENY": "example.org",
        "SEARCHBENCH_ALLOW_PRIVATE_URLS": "0",
    }
    assert UrlPolicy.from_settings(environ) == UrlPolicy(
        ("10.0.0.0/8", "solr.local"), ("example.org",), False
    )


def test_it_refuses_other_schemes_and_hostless_urls() -> None:
    with pytest.raises(BadUrl, match="only http"):
        check_url("file:///etc/passwd", UrlPolicy())
    with pytest.raises(BadUrl, match="no host"):
        check_url("http:///x", UrlPolicy())


def test_a_denied_url_is_never_requested(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCHBENCH_ALLOW_PRIVATE_URLS", "0")
    with pytest.raises(UrlDenied):
        http.send("GET", fake_server.url + "/x")
    assert fake_server.requests == []


def test_it_sends_headers_and_basic_auth_but_never_shows_them(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/x", {"ok": True})
    resp = http.send(
        "GET",
        fake_server.url + "/x",
        params=[("q", "a b")],
        headers={"X-Tenant": "t1", "X-Api-Key": "k3y"},
        username="user",
        password="s3cret",
    )
    assert resp.json() == {"ok": True}
    sent = fake_server.requests[0]
    assert sent.headers["X-Tenant"] == "t1"
    assert sent.headers["Authorization"] == "Basic dXNlcjpzM2NyZXQ="
    record = http.describe_request(
        "GET",
        "http://user:pw@h/x",
        headers={"X-Api-Key": "k3y", "authorization": "Bearer t"},
        basic_auth=True,
    )
    text = repr(record)
    assert "k3y" not in text and "Bearer t" not in text and ":pw@" not in text
    assert record["headers"]["Authorization"] == "Basic ***"


def test_connection_refused_is_a_clear_error(closed_port_url: str) -> None:
    with pytest.raises(ConnectFailed, match="connection refused"):
        http.send("GET", closed_port_url + "/", timeout=2)


def test_a_slow_server_times_out(fake_server: FakeServer) -> None:
    fake_server.delay = 1.0
    fake_server.json_reply("GET", "/slow", {})
    with pytest.raises(Timeout, match="within 0.2 s"):
        http.send("GET", fake_server.url + "/slow", timeout=0.2)


def test_an_html_error_page_is_described_by_its_title(fake_server: FakeServer) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    fake_server.route("GET", "/p", lambda _r: (502, {"Content-Type": "text/html"}, page))
    resp = http.send("GET", fake_server.url + "/p")
    assert resp.status == 502
    assert "an HTML page ('502 Bad Gateway')" in http.error_text(resp)
    with pytest.raises(BadResponse, match="expected JSON but got an HTML page"):
        resp.json()


def test_redirects_are_not_followed(fake_server: FakeServer) -> None:
    fake_server.route("GET", "/r", lambda _r: (302, {"Location": "http://169.254.169.254/"}, ""))
    with pytest.raises(BadResponse, match="redirects are not followed"):
        http.send("GET", fake_server.url + "/r")


def test_the_token_bucket_holds_the_rate() -> None:
    bucket = TokenBucket(rate_per_minute=600)  # 10 a second, bursts of 10
    waited = [bucket.acquire() for _ in range(12)]
    assert sum(waited[:10]) == 0
    assert waited[10] > 0.05 and waited[11] > 0.05


def test_the_token_bucket_is_shared_safely_by_threads() -> None:
    bucket = TokenBucket(rate_per_minute=1200, capacity=1)  # one every 50 ms
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        bucket.acquire()
        with lock:
            stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # six tokens at 20/s with a burst of one need at least 5 intervals of 50 ms
    assert max(stamps) - start >= 0.24


def test_send_applies_the_requests_per_minute_limit(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/l", {})
    key = f"test-{time.monotonic()}"
    start = time.monotonic()
    for _ in range(3):  # 120 a minute: bursts of 2, then one every 0.5 s
        http.send("GET", fake_server.url + "/l", requests_per_minute=120, limiter_key=key)
    assert time.monotonic() - start >= 0.45
    assert len(fake_server.requests) == 3


def test_a_spent_budget_fails_fast_with_the_seconds_to_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = freeze_limiter_clock(monkeypatch)
    bucket = TokenBucket(rate_per_minute=2)  # one every 30 s, bursts of one
    assert bucket.acquire(RateLimitPolicy.FAIL_FAST) == 0
    clock.now += 10
    with pytest.raises(RateLimited) as refused:
        bucket.acquire(RateLimitPolicy.FAIL_FAST)
    assert refused.value.retry_after == pytest.approx(20)
    assert (
        str(refused.value)
        == "rate limited: this endpoint allows 2 requests a minute; retry in 20 s"
    )
    clock.now += 20  # the refusal took no token: the next one is free on time
    assert bucket.acquire(RateLimitPolicy.FAIL_FAST) == 0
    assert clock.sleeps == []
    assert bucket.acquire() == pytest.approx(30)  # the default waits
    assert clock.sleeps == [pytest.approx(30)]


def test_send_follows_the_rate_limit_policy_of_its_context(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = freeze_limiter_clock(monkeypatch)
    fake_server.json_reply("GET", "/p", {})
    url = fake_server.url + "/p"
    with http.rate_limit_policy(RateLimitPolicy.FAIL_FAST):
        http.send("GET", url, requests_per_minute=1, limiter_key="policy")
        with pytest.raises(RateLimited, match="1 request a minute; retry in 60 s") as refused:
            http.send("GET", url, params=[("q", "x")], requests_per_minute=1, limiter_key="policy")
    assert refused.value.request is not None and refused.value.request["url"] == url + "?q=x"
    assert clock.sleeps == [] and len(fake_server.requests) == 1
    http.send("GET", url, requests_per_minute=1, limiter_key="policy")  # outside: it waits
    assert clock.sleeps == [pytest.approx(60)] and len(fake_server.requests) == 2


def test_credentials_in_the_url_become_basic_auth(fake_server: FakeServer) -> None:
    fake_server.json_reply("GET", "/a", {})
    url = fake_server.url.replace("http://", "http://bob:p%40ss@") + "/a"
    http.send("GET", url)
    assert fake_server.requests[0].headers["Authorization"] == "Basic Ym9iOnBAc3M="  # bob:p@ss


def test_requests_are_logged_without_credentials(
    fake_server: FakeServer, closed_port_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    fake_server.json_reply("GET", "/x", {}, status=500)
    caplog.set_level(logging.DEBUG, logger="searchbench.engines.http")
    url = fake_server.url.replace("http://", "http://bob:hunter2@") + "/x"
    http.send(
        "GET", url, headers={"X-Api-Key": "k3y"}, username="u", password="pa55", params=[("q", "a")]
    )
    with pytest.raises(ConnectFailed):
        http.send("GET", closed_port_url + "/y", username="u", password="pa55")
    caplog.set_level(logging.DEBUG)  # every logger, httpx's too
    http.send("GET", url, params=[("q", "b")])
    text = caplog.text
    assert "-> 500" in text and "engine request failed" in text and "***@" in text
    for secret in ("hunter2", "k3y", "pa55"):
        assert secret not in text


def test_a_restrictive_policy_connects_to_the_address_it_checked(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # engine.test resolves to the test server's loopback address, allowed by network; a second,
    # different DNS answer at connect time (rebinding) would not be used.
    fake_dns(monkeypatch, {"engine.test": ["127.0.0.1"]})
    fake_server.json_reply("GET", "/x", {"ok": 1})
    port = fake_server.url.rsplit(":", 1)[1]
    policy = UrlPolicy(allow=("127.0.0.0/8",), allow_private=False)
    resp = http.send("GET", f"http://engine.test:{port}/x", params=[("q", "a")], policy=policy)
    assert resp.json() == {"ok": 1}
    assert fake_server.requests[0].headers["Host"] == f"engine.test:{port}"
    assert resp.url == f"http://engine.test:{port}/x?q=a"


def test_a_permissive_policy_does_not_resolve_names(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(host: str, port: int) -> list[ipaddress.IPv4Address]:
        raise AssertionError("resolved")

    monkeypatch.setattr(http, "resolve_host", fail)
    assert check_url("http://anything.example/", UrlPolicy(allow_private=True)) is None


def test_params_are_encoded_once_and_the_record_shows_the_url_as_sent(
    fake_server: FakeServer,
) -> None:
    fake_server.json_reply("GET", "/q", {})
    params = [("q", "a&b=c +d/é"), ("fq", "x:1"), ("fq", "y:[* TO 2]")]
    resp = http.send("GET", fake_server.url + "/q?wt=json", params=params)
    sent = fake_server.requests[0]
    assert sent.params == [("wt", "json"), *params]
    assert resp.url == resp.request["url"] == fake_server.url + "/q?" + urlencode(sent.params)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('{"t": "café"}'.encode(), "application/json", "café"),
        ('{"t": "café"}'.encode("latin-1"), "application/json; charset=ISO-8859-1", "café"),
        (b'\xef\xbb\xbf{"t": "bom"}', "application/json", "bom"),
        (b'{"t": "bad \xff byte"}', "application/json", "bad \ufffd byte"),
        ('{"t": "café"}'.encode(), "application/json; charset=no-such-codec", "café"),
    ],
)
def test_json_bodies_decode_by_their_charset(
    fake_server: FakeServer, body: bytes, content_type: str, expected: str
) -> None:
    fake_server.route("GET", "/j", lambda _r: (200, {"Content-Type": content_type}, body))
    resp = http.send("GET", fake_server.url + "/j")
    assert resp.json() == {"t": expected}
    assert expected in resp.text


def test_a_cached_verdict_follows_the_policy_it_was_made_under() -> None:
    url = "http://solr.example.org:8983/solr"
    assert check_url(url, UrlPolicy()) is None
    with pytest.raises(UrlDenied):
        check_url(url, UrlPolicy(deny=["example.org"]))  # type: ignore[arg-type]
    assert check_url(url, UrlPolicy()) is None  # still allowed under the open policy
    with pytest.raises(UrlDenied):
        check_url(url, UrlPolicy(deny=("example.org",)))
