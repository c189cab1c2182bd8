"""The one module that makes outbound HTTP requests (tests patch or serve against this seam).

Every request to a user-given URL goes through :func:`send`, which

1. checks the URL against the safety policy (``SEARCHBENCH_URL_ALLOW`` / ``SEARCHBENCH_URL_DENY`` /
   ``SEARCHBENCH_ALLOW_PRIVATE_URLS``): the host name is resolved and *every* address is checked, so
   a name that resolves to a private address is refused like the address itself;
2. takes one request from the endpoint's requests-per-minute budget (a thread-safe token bucket per
   endpoint, kept per process or, after :func:`share_buckets`, in a store every process shares: the
   web app and the workers keep it in the database). When the budget is spent it either waits or
   raises :class:`RateLimited` with the seconds to wait, as the caller's :class:`RateLimitPolicy`
   says: the CLI and the worker wait, a web request fails fast (:func:`rate_limit_policy`, set once
   for every request by the web app's middleware);
3. sends with a timeout, custom headers and basic auth, never following redirects (a redirect could
   lead past the policy);
4. turns transport failures into an :class:`HttpError` subclass with a plain message.

HTTP error statuses are *returned*, not raised, because each engine knows how to read its own error
body; :func:`error_text` gives the engine-neutral reading (JSON message, HTML title, text).

Credentials never leave this module in clear: :func:`describe_request` masks secret headers and URL
user info for ``SearchResult.request`` and error messages.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import html
import ipaddress
import json
import logging
import math
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote, urlencode, urlsplit, urlunsplit

import httpx

from searchbench import env

log = logging.getLogger("searchbench.engines.http")
# Without logging configured (the CLI) stay quiet: per-query errors are reported in the results.
log.addHandler(logging.NullHandler())
# httpx logs every request URL at INFO, query string and user info included; our own line is masked.
logging.getLogger("httpx").setLevel(logging.WARNING)

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
    }
)
MASK = "***"
MAX_BODY_IN_ERROR = 300

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class HttpError(Exception):
    """A request that did not produce an HTTP response we can read."""

    kind = "http"

    def __init__(self, message: str, request: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.request = request
        self.response: Any = None


class UrlDenied(HttpError):
    kind = "denied"


class BadUrl(HttpError):
    kind = "bad-url"


class BadHeader(HttpError):
    """A custom header HTTP cannot carry, or one the client must set itself."""

    kind = "bad-header"


class ConnectFailed(HttpError):
    kind = "connect"


class Timeout(HttpError):
    kind = "timeout"


class RateLimited(HttpError):
    """The endpoint's requests-per-minute budget is spent and the caller does not wait for it."""

    kind = "rate-limited"

    def __init__(self, retry_after: float, requests_per_minute: float) -> None:
        seconds = max(1, math.ceil(round(retry_after, 3)))  # 20.000000001 s is 20 s
        limit = f"{requests_per_minute:g} request{'' if requests_per_minute == 1 else 's'}"
        super().__init__(
            f"rate limited: this endpoint allows {limit} a minute; retry in {seconds} s"
        )
        self.retry_after = retry_after


class BadResponse(HttpError):
    """A response whose body is not what the engine promised (HTML instead of JSON, truncated …)."""

    kind = "bad-response"


class Redirected(BadResponse):
    """A 3xx answer: redirects are not followed (one could lead past the URL policy), and asking
    the same URL again gets the same redirect."""


_UTF8 = frozenset({"utf-8", "utf8", "utf_8"})


class HttpResponse:
    """An HTTP response as the adapters read it. The body is kept as received: ``json()`` parses
    UTF-8 bytes directly and ``text`` is decoded only when something asks for it (errors, raw
    bodies), because decoding every body to text first costs as much as parsing it."""

    __slots__ = ("status", "headers", "url", "elapsed_ms", "request", "encoding", "_body", "_text")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        body: str | bytes,
        url: str,  # as requested, query string included, credentials masked
        elapsed_ms: float,
        request: dict[str, Any] | None = None,  # describe_request() of what was sent
        encoding: str | None = None,  # of a bytes body; None: the charset header's, else UTF-8
    ) -> None:
        self.status = status
        self.headers = headers
        self.url = url
        self.elapsed_ms = elapsed_ms
        self.request: dict[str, Any] = request if request is not None else {}
        self.encoding = encoding or _charset(headers.get("content-type", "")) or "utf-8"
        self._body = body if isinstance(body, bytes) else None
        self._text = body if isinstance(body, str) else None

    def __repr__(self) -> str:
        return f"HttpResponse(status={self.status}, url={self.url!r})"

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        if self._text is None:
            try:
                self._text = (self._body or b"").decode(self.encoding, errors="replace")
            except LookupError:  # a charset Python does not know
                self._text = (self._body or b"").decode("utf-8", errors="replace")
        return self._text

    def json(self) -> Any:
        """The body as JSON, or BadResponse saying what it is instead."""
        try:
            if self._body is not None and self.encoding.lower() in _UTF8:
                try:
                    return json.loads(self._body)
                except UnicodeDecodeError:
                    pass  # invalid UTF-8: parse the text with replacement characters instead
            return json.loads(self.text)
        except ValueError:
            raise BadResponse(
                f"HTTP {self.status} from {mask_url(self.url)}: expected JSON but got "
                f"{describe_body(self.text, self.headers.get('content-type', ''))}"
            ) from None


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def _charset(content_type: str) -> str | None:
    m = _CHARSET.search(content_type) if content_type else None
    return m.group(1) if m else None


# --- the URL safety policy -------------------------------------------------------------------


@dataclass(frozen=True)
class UrlPolicy:
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    allow_private: bool = True

    def __post_init__(self) -> None:
        # tuples whatever was passed: the policy is a cache key of the checks
        object.__setattr__(self, "allow", tuple(self.allow))
        object.__setattr__(self, "deny", tuple(self.deny))

    @classmethod
    def from_settings(cls, environ: Mapping[str, str] | None = None) -> UrlPolicy:
        return cls(
            allow=tuple(env.get("SEARCHBENCH_URL_ALLOW", environ)),
            deny=tuple(env.get("SEARCHBENCH_URL_DENY", environ)),
            allow_private=bool(env.get("SEARCHBENCH_ALLOW_PRIVATE_URLS", environ)),
        )


@functools.lru_cache(maxsize=64)
def _entries(items: tuple[str, ...]) -> tuple[frozenset[str], tuple[Network, ...]]:
    hosts: set[str] = set()
    nets: list[Network] = []
    for item in items:
        try:
            nets.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            hosts.add(item.strip().lower().rstrip("."))
    return frozenset(hosts), tuple(nets)


def _host_matches(host: str, names: frozenset[str]) -> bool:
    # "example.com" also covers its sub-domains; ".example.com" only the sub-domains.
    for name in names:
        if name.startswith("."):
            if host.endswith(name):
                return True
        elif host == name or host.endswith("." + name):
            return True
    return False


def _is_private(addr: Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return _is_private(addr.ipv4_mapped)
    return bool(
        addr.is_loopback
        or addr.is_private
        or addr.is_link_local
        or addr.is_reserved
        or addr.is_multicast
        or addr.is_unspecified
        or (
            isinstance(addr, ipaddress.IPv4Address)
            and addr in ipaddress.ip_network("100.64.0.0/10")
        )
    )


def resolve_host(host: str, port: int) -> list[Address]:
    """Every address a host name resolves to (tests may patch this)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectFailed(f"cannot resolve host {host!r}: {exc.strerror}") from None
    addrs: list[Address] = []
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if addr not in addrs:
            addrs.append(addr)
    return addrs


def check_url(url: str, policy: UrlPolicy | None = None) -> Address | None:
    """Raise UrlDenied (or BadUrl) unless the policy lets requests reach ``url``.

    When the policy restricts addresses, returns the checked address the request must connect to
    (so a second DNS answer cannot differ from the one checked); else None.
    """
    policy = policy or UrlPolicy.from_settings()
    to_resolve = _check_by_name(url, policy)
    if to_resolve is None:
        return None
    host, port = to_resolve
    _, allow_nets = _entries(policy.allow)
    _, deny_nets = _entries(policy.deny)
    addrs = resolve_host(host, port)
    for addr in addrs:
        if any(addr in net for net in allow_nets):
            continue
        if any(addr in net for net in deny_nets):
            raise UrlDenied(f"{host} resolves to {addr}, which is in SEARCHBENCH_URL_DENY")
        if not policy.allow_private and _is_private(addr):
            raise UrlDenied(
                f"{host} resolves to {addr}, a loopback/private/link-local address; "
                "set SEARCHBENCH_ALLOW_PRIVATE_URLS=1 or add it to SEARCHBENCH_URL_ALLOW"
            )
    return addrs[0] if addrs else None


@functools.lru_cache(maxsize=256)
def _check_by_name(url: str, policy: UrlPolicy) -> tuple[str, int] | None:
    """The part of check_url that needs no DNS (so its verdict can be cached: a run checks the
    same endpoint URL for every query): raises for a bad or denied URL, returns None when the
    URL is allowed as it stands, else the (host, port) whose addresses must be checked."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. "http://[127.0.0.1]/": brackets are for IPv6 only
        raise BadUrl(f"{mask_url(url)}: not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise BadUrl(f"{mask_url(url)}: only http:// and https:// URLs are supported")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise BadUrl(f"{mask_url(url)}: the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadUrl(f"{mask_url(url)}: bad port") from None
    allow_hosts, _ = _entries(policy.allow)
    deny_hosts, deny_nets = _entries(policy.deny)
    if _host_matches(host, allow_hosts):
        return None
    if _host_matches(host, deny_hosts):
        raise UrlDenied(f"{host} is in SEARCHBENCH_URL_DENY")
    if policy.allow_private and not deny_nets:
        return None  # nothing to check by address
    return host, port


# --- requests-per-minute limiter -------------------------------------------------------------


class RateLimitPolicy(enum.Enum):
    """What a request does when its endpoint's requests-per-minute budget is spent."""

    WAIT = "wait"  # sleep until the budget allows it (the CLI, the worker)
    FAIL_FAST = "fail-fast"  # raise RateLimited with the seconds to wait (web requests)


# The policy belongs to whoever started the work (a web request, a CLI command), not to the
# endpoint or the engine, so it travels with the context rather than through every layer in
# between; engines.runner carries it into its threads.
_policy: ContextVar[RateLimitPolicy] = ContextVar(
    "searchbench_rate_limit_policy", default=RateLimitPolicy.WAIT
)


@contextlib.contextmanager
def rate_limit_policy(policy: RateLimitPolicy) -> Iterator[None]:
    """Requests sent inside the block meet a spent budget with ``policy``."""
    token = _policy.set(policy)
    try:
        yield
    finally:
        _policy.reset(token)


def current_rate_limit_policy() -> RateLimitPolicy:
    """The policy of whoever started the work in this context (a web request fails fast)."""
    return _policy.get()


class TokenBucket:
    """``rate_per_minute`` requests a minute, bursts of at most ``capacity``. Thread-safe.

    :meth:`try_take` is the whole shared state's interface (take a token now or say how long until
    one is free), so a store shared by several processes can stand in for it; how to meet a spent
    budget is :meth:`acquire`'s business.
    """

    def __init__(self, rate_per_minute: float, capacity: float | None = None) -> None:
        if rate_per_minute <= 0:
            raise ValueError("requests per minute must be positive")
        self.per_minute = rate_per_minute
        self.rate = rate_per_minute / 60.0
        # A small burst keeps any 60-second window close to the limit.
        self.capacity = capacity if capacity is not None else max(1.0, self.rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def try_take(self) -> float:
        """Take one token and return 0, or take none and return the seconds until one is free."""
        with self.lock:
            self.tokens, self.updated, wait = take_token(
                self.tokens, self.updated, time.monotonic(), self.rate, self.capacity
            )
            return wait

    def acquire(self, policy: RateLimitPolicy = RateLimitPolicy.WAIT) -> float:
        """Take one token; returns the seconds waited. With FAIL_FAST a spent budget raises
        RateLimited (carrying the seconds to wait) instead of sleeping."""
        waited = 0.0
        while delay := self.try_take():
            if policy is RateLimitPolicy.FAIL_FAST:
                raise RateLimited(delay, self.per_minute)
            time.sleep(delay)
            waited += delay
        return waited


def take_token(
    tokens: float, updated: float, now: float, rate: float, capacity: float
) -> tuple[float, float, float]:
    """The bucket rule, for any store: a bucket holding ``tokens`` at time ``updated`` (seconds),
    refilled at ``rate`` tokens a second up to ``capacity``, is asked for one token at ``now``.
    Returns (tokens, updated) to store and the seconds to wait (0: taken). A clock that went
    backwards (another machine's) refills nothing."""
    tokens = min(capacity, tokens + max(0.0, now - updated) * rate)
    if tokens >= 1.0:
        return tokens - 1.0, now, 0.0
    return tokens, now, (1.0 - tokens) / rate


# One bucket per endpoint and limit, shared by every thread of the process (web threads and the
# runner's pools alike). By default each process has its own, so N processes allow N times the
# limit; share_buckets() puts them in a store the processes share (the jobs app's database rows).
BucketFactory = Callable[[str, int], TokenBucket]
_buckets: dict[tuple[str, int], TokenBucket] = {}
_buckets_lock = threading.Lock()
_bucket_factory: BucketFactory | None = None


def share_buckets(factory: BucketFactory | None) -> None:
    """Make every bucket from now on with ``factory(key, requests_per_minute)`` (a TokenBucket
    whose ``try_take`` uses shared state), or per process again with None."""
    global _bucket_factory
    with _buckets_lock:
        _bucket_factory = factory
        _buckets.clear()


def bucket_for(key: str, requests_per_minute: int) -> TokenBucket:
    with _buckets_lock:
        bucket = _buckets.get((key, requests_per_minute))
        if bucket is None:
            bucket = (
                _bucket_factory(key, requests_per_minute)
                if _bucket_factory is not None
                else TokenBucket(requests_per_minute)
            )
            _buckets[(key, requests_per_minute)] = bucket
        return bucket


# --- masking and error reading ---------------------------------------------------------------


_USERINFO = re.compile(r"^([^:/?#]*://)[^/?#]*@")


def mask_url(url: str) -> str:
    if "@" not in url:  # no user info (the common case; splitting every query's URL costs)
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL urllib can split (check_url says why): mask by pattern
        return _USERINFO.sub(rf"\1{MASK}@", url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{MASK}@{host}", parts.path, parts.query, parts.fragment))


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


# --- custom headers --------------------------------------------------------------------------

# Framing and connection headers belong to the HTTP client: a custom Content-Length or
# Transfer-Encoding contradicts the body actually sent (h11 refuses the request), Connection and
# friends are hop-by-hop, and Host would retarget a request whose address was checked and pinned.
CLIENT_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 token
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?")  # one line, ASCII


def header_problems(headers: Mapping[str, Any]) -> list[str]:
    """What is wrong with custom headers, one message per header (empty: nothing)."""
    problems = []
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            problems.append(
                f"{name!r} is not a valid header name (letters, digits and -_.!#$%&'*+^`|~)"
            )
        elif name.lower() in CLIENT_HEADERS:
            problems.append(f"{name}: set by the HTTP client, not a custom header")
        elif not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            problems.append(
                f"{name}: the value must be printable ASCII on one line, "
                "without leading or trailing spaces"
            )
    return problems


def check_headers(headers: Mapping[str, Any]) -> None:
    """Raise BadHeader unless every custom header can be sent as it is."""
    problems = header_problems(headers)
    if problems:
        raise BadHeader("custom headers: " + "; ".join(problems))


def describe_request(
    method: str,
    url: str,
    *,
    params: Sequence[tuple[str, str]] | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    basic_auth: bool = False,
    data: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """What was sent, safe to store and show: secret headers and URL credentials masked."""
    full = _with_params(url, params)
    shown = mask_headers(headers or {})
    if basic_auth:
        shown["Authorization"] = f"Basic {MASK}"
    record: dict[str, Any] = {"method": method, "url": mask_url(full), "headers": shown}
    if json_body is not None:
        record["body"] = json_body
    elif data is not None:
        record["body"] = dict(data)  # a form, shown as an object (repeated names: the last)
    return record


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def describe_body(text: str, content_type: str = "") -> str:
    """A one-line description of a body that is not the JSON we wanted."""
    stripped = text.strip()
    if not stripped:
        return "an empty body"
    if "html" in content_type.lower() or stripped[:1] == "<":
        m = _TITLE.search(stripped) or _H1.search(stripped)
        title = html.unescape(_TAGS.sub("", m.group(1))).strip() if m else ""
        return f"an HTML page ({title!r})" if title else "an HTML page"
    snippet = stripped[:MAX_BODY_IN_ERROR].replace("\n", " ")
    more = "…" if len(stripped) > MAX_BODY_IN_ERROR else ""
    return f"text {snippet!r}{more}"


def error_text(resp: HttpResponse) -> str:
    """``HTTP 503 from URL: <the server's own words>`` for an error status."""
    return f"HTTP {resp.status} from {mask_url(resp.url)}: {describe_body(resp.text, resp.headers.get('content-type', ''))}"


# --- sending ---------------------------------------------------------------------------------

_client_lock = threading.Lock()
_client: httpx.Client | None = None


def _get_client() -> httpx.Client:
    global _client
    client = _client
    if (
        client is not None
    ):  # every request but the first: no lock for the runner's threads to queue on
        return client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                follow_redirects=False,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        return _client


def _send(
    method: str,
    url: str,
    *,
    params: Sequence[tuple[str, str]] | None = None,
    json_body: Any = None,
    data: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
    requests_per_minute: int | None = None,
    limiter_key: str | None = None,
    policy: UrlPolicy | None = None,
) -> HttpResponse:
    """Send one request; raise HttpError for anything that is not an HTTP response."""
    # The query string is encoded once, here, and httpx gets the finished URL: handing it
    # ``params`` makes it parse the URL twice and re-encode the query (a third of our overhead).
    # The endpoint's own URL is the same for every query (urlsplit caches it); the full one differs.
    base_url = url
    userinfo = _has_userinfo(base_url)
    url = _with_params(url, params)
    record = describe_request(
        method,
        url,
        json_body=json_body,
        headers=headers,
        basic_auth=username is not None or userinfo,
        data=data,
    )
    try:
        pinned = check_url(base_url, policy)
        check_headers(headers or {})
    except HttpError as exc:
        exc.request = record
        raise
    if requests_per_minute and requests_per_minute > 0:
        try:
            bucket_for(limiter_key or base_url, requests_per_minute).acquire(_policy.get())
        except RateLimited as exc:
            exc.request = record
            raise
    if userinfo:
        parts = urlsplit(url)
        # Credentials in the URL become basic auth, so the URL itself never carries them.
        if username is None:
            username, password = unquote(parts.username or ""), unquote(parts.password or "")
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    auth = httpx.BasicAuth(username, password or "") if username is not None else None
    send_headers = dict(headers or {})
    shown = mask_url(url)
    if pinned is not None and urlsplit(url).scheme == "http":
        # Plain HTTP connects to the checked address. HTTPS needs no pin: a rebound name would
        # not present a certificate for itself, and pooled TLS connections must keep their SNI.
        url, host_header = _pin(url, pinned)
        if not any(k.lower() == "host" for k in send_headers):
            send_headers["Host"] = host_header
    content: bytes | None = None
    if data is not None:
        # Repeated names (Solr's fq, bq …) survive only as an explicitly encoded body.
        content = urlencode(
            list(data.items()) if isinstance(data, Mapping) else list(data)
        ).encode()
        send_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    started = time.perf_counter()
    try:
        resp = _get_client().request(
            method,
            url,
            json=json_body,
            content=content,
            headers=send_headers,
            auth=auth,
            timeout=timeout,
        )
    except httpx.TimeoutException:
        raise Timeout(f"no answer from {shown} within {timeout:g} s (timeout)", record) from None
    except httpx.ConnectError as exc:
        raise ConnectFailed(f"cannot connect to {shown}: {_reason(exc)}", record) from None
    except httpx.RemoteProtocolError as exc:
        raise BadResponse(f"{shown} closed the connection or broke HTTP: {exc}", record) from None
    except httpx.HTTPError as exc:
        raise HttpError(f"request to {shown} failed: {_reason(exc)}", record) from None
    elapsed = (time.perf_counter() - started) * 1000
    result = HttpResponse(
        resp.status_code, resp.headers, resp.content, record["url"], elapsed, record
    )
    if 300 <= resp.status_code < 400:
        where = mask_url(resp.headers.get("location", "?"))
        raise Redirected(
            f"HTTP {resp.status_code} from {shown}: redirects are not followed (to {where}); "
            "use the final URL as the endpoint",
            record,
        )
    return result


def _has_userinfo(url: str) -> bool:
    if "@" not in url:
        return False
    try:
        return urlsplit(url).username is not None
    except ValueError:
        return False  # check_url refuses the URL next, saying why


def _with_params(url: str, params: Sequence[tuple[str, str]] | None) -> str:
    """The URL as sent: its own query string plus ``params``, encoded as ``urlencode`` does."""
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(_encode_pair(k, v) for k, v in params)


@functools.lru_cache(maxsize=1024)
def _encode_pair(name: str, value: str) -> str:
    """``urlencode`` of one pair, cached: all but the query's own params repeat on every query."""
    return quote_plus(str(name)) + "=" + quote_plus(str(value))


def _pin(url: str, addr: Address) -> tuple[str, str]:
    """``url`` with its host replaced by the checked address, and the Host header it needs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc_host = f"[{addr}]" if addr.version == 6 else str(addr)
    port = f":{parts.port}" if parts.port else ""
    pinned = urlunsplit((parts.scheme, netloc_host + port, parts.path, parts.query, parts.fragment))
    return pinned, (f"[{host}]" if ":" in host else host) + port


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text or "[Errno 111]" in text:
        return "connection refused (is the engine running on that host and port?)"
    return text or type(exc).__name__


def send(
    method: str,
    url: str,
    **kwargs: Any,
) -> HttpResponse:
    """Send one request; raise HttpError for anything that is not an HTTP response.

    Keyword arguments: params, json_body, data, headers, username, password, timeout,
    requests_per_minute, limiter_key, policy. Every request is logged with the masked URL only.
    """
    try:
        resp = _send(method, url, **kwargs)
    except HttpError as exc:
        shown = (exc.request or {}).get("url") or mask_url(url)
        log.warning(
            "engine request failed: %s %s: %s", method, shown, exc, extra={"kind": exc.kind}
        )
        raise
    level = logging.DEBUG if resp.ok else logging.WARNING
    log.log(
        level,
        "engine request: %s %s -> %s in %.1f ms",
        method,
        resp.url,
        resp.status,
        resp.elapsed_ms,
    )
    return resp
