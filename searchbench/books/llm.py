"""The LLM judge's client: one OpenAI-compatible chat-completions call per pair, through the one
HTTP seam (``engines/http.py``), so a judge's base URL meets the same URL policy, requests-per-
minute budget (shared by the workers) and masking as a search endpoint. No Django here.

``POST {base_url}/chat/completions`` with ``model``, ``messages``, ``temperature`` and
``response_format: {"type": "json_object"}`` (sent again without it, once, when the server answers
400 naming ``response_format``: some servers do not take it), ``Authorization: Bearer KEY``.

429 and 5xx answers, timeouts and refused connections are tried again up to ``retries`` times,
waiting what ``Retry-After`` says (seconds or an HTTP date, at most ``MAX_RETRY_AFTER``) or else
``backoff`` × 2ⁿ seconds. Any other error status is :class:`CallFailed`, with ``fatal`` set for
401, 403, 404 and a redirect: the judge is misconfigured (a wrong key, model or URL, such as
http:// for an https:// server) and asking again would only cost.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from searchbench.domain import judging
from searchbench.engines import http

MAX_RETRY_AFTER = 60.0  # seconds: a longer Retry-After is waited this long at most
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    model: str
    api_key: str | None = None
    temperature: float = 0.0
    timeout: float = 60.0
    requests_per_minute: int | None = None
    limiter_key: str | None = None
    retries: int = 3
    backoff: float = 1.0


@dataclass(frozen=True)
class Reply:
    """The model's answer to one request, and what it cost."""

    content: str | None
    refusal: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: int  # of the call that answered (not the retries before it)
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """One pair judged: the verdict and the cost, as a judgement stores them."""

    verdict: judging.Verdict
    prompt_hash: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: int | None = None
    attempts: int = 0


class CallFailed(Exception):
    """No usable answer: ``fatal`` when asking again cannot help (401, 404, a bad URL …)."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


def completions_url(base_url: str) -> str:
    """``/chat/completions`` added to the base URL's path; its query string (an
    ``?api-version=`` some gateways ask for) stays a query string, after the path."""
    try:
        parts = urlsplit(base_url)
    except ValueError:  # the URL policy names the problem when the request is sent
        return base_url.rstrip("/") + "/chat/completions"
    path = parts.path.rstrip("/") + "/chat/completions"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _reply_of(body: Any, resp: http.HttpResponse, attempts: int) -> Reply:
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("choices"), list)
        or not body["choices"]
    ):
        raise CallFailed(f"HTTP {resp.status} from {resp.url}: no choices in the reply")
    choice = body["choices"][0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise CallFailed(f"HTTP {resp.status} from {resp.url}: the first choice has no message")
    content = message.get("content")
    if isinstance(content, list):  # content parts: keep the text ones
        texts = (p.get("text") for p in content if isinstance(p, dict))
        content = "".join(t for t in texts if isinstance(t, str))
    refusal = message.get("refusal")
    usage = body.get("usage")
    if not isinstance(usage, dict):
        usage = {}
    return Reply(
        content=content if isinstance(content, str) else None,
        refusal=refusal if isinstance(refusal, str) and refusal else None,
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
        latency_ms=round(resp.elapsed_ms),
        attempts=attempts,
    )


def _error_text(resp: http.HttpResponse) -> str:
    """The server's own message when the body is OpenAI's ``{"error": {"message": …}}``."""
    try:
        body = resp.json()
    except http.BadResponse:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if isinstance(message, str) and message.strip():
        return f"HTTP {resp.status} from {resp.url}: {message.strip()[:300]}"
    return http.error_text(resp)


def complete(
    config: ClientConfig,
    messages: Sequence[Mapping[str, Any]],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Reply:
    """Send one chat-completions request (tried again on transient failures); CallFailed when
    no answer came. Its message never holds the key, even when the server's error echoes the
    key it was sent (it becomes the job's error, the log's and the test button's message)."""
    try:
        return _complete(config, messages, sleep)
    except CallFailed as exc:
        if config.api_key and config.api_key in str(exc):
            raise CallFailed(str(exc).replace(config.api_key, http.MASK), fatal=exc.fatal) from None
        raise


def _complete(
    config: ClientConfig,
    messages: Sequence[Mapping[str, Any]],
    sleep: Callable[[float], None],
) -> Reply:
    headers = {"Content-Type": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    body: dict[str, Any] = {
        "model": config.model,
        "messages": list(messages),
        "temperature": config.temperature,
        "response_format": {"type": "json_object"},
    }
    url = completions_url(config.base_url)
    attempts = 0
    json_mode_dropped = False
    while True:
        attempts += 1
        wait: float | None = None
        try:
            resp = http.send(
                "POST",
                url,
                json_body=body,
                headers=headers,
                timeout=config.timeout,
                requests_per_minute=config.requests_per_minute,
                limiter_key=config.limiter_key,
            )
        except http.Redirected as exc:  # the same URL redirects again: a wrong base URL
            raise CallFailed(str(exc), fatal=True) from None
        except (http.Timeout, http.ConnectFailed, http.BadResponse) as exc:
            problem = str(exc)
        except http.HttpError as exc:  # a URL the policy refuses, a bad header …
            raise CallFailed(str(exc), fatal=True) from None
        else:
            if resp.ok:
                try:
                    return _reply_of(resp.json(), resp, attempts)
                except http.BadResponse as exc:
                    raise CallFailed(str(exc)) from None
            problem = _error_text(resp)
            if resp.status == 400 and not json_mode_dropped and "response_format" in resp.text:
                body = {k: v for k, v in body.items() if k != "response_format"}
                json_mode_dropped = True
                attempts -= 1  # the server's limitation, not a failure of this request
                continue
            if resp.status not in RETRY_STATUSES:
                raise CallFailed(problem, fatal=resp.status in (401, 403, 404))
            wait = retry_after(resp.headers.get("retry-after"))
        if attempts > config.retries:
            raise CallFailed(f"{problem} (after {attempts} attempts)" if attempts > 1 else problem)
        sleep(wait if wait is not None else config.backoff * 2 ** (attempts - 1))


def judge(
    config: ClientConfig,
    messages: Sequence[Mapping[str, Any]],
    scale: Sequence[float],
    labels: Mapping[str, str] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Ask the model about one pair and read its answer (CallFailed when no answer came)."""
    digest = judging.prompt_hash(
        config.model, config.temperature, messages, scale=scale, labels=labels
    )
    reply = complete(config, messages, sleep=sleep)
    verdict = judging.read_reply(reply.content, scale, labels, refusal=reply.refusal)
    return Outcome(
        verdict,
        digest,
        reply.prompt_tokens,
        reply.completion_tokens,
        reply.latency_ms,
        reply.attempts,
    )
