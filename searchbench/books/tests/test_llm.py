"""The judge's client against the stand-in chat-completions server (llmserver.py): what is sent,
every fault shape, retries and what they cost. No Django."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from searchbench.books import llm
from searchbench.books.tests.llmserver import API_KEY, ChatServer, chat_server
from searchbench.domain import judging
from searchbench.engines import http

SCALE = [0, 1, 2, 3]


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server(slow=1.0) as chat:
        yield chat


def config(server: ChatServer, **kw) -> llm.ClientConfig:
    return llm.ClientConfig(
        **{"base_url": server.base_url, "model": "tiny", "api_key": API_KEY, "timeout": 0.5, **kw}
    )


def ask(server: ChatServer, text: str, **kw) -> tuple[llm.Outcome, list[float]]:
    waits: list[float] = []
    messages = [{"role": "user", "content": text}]
    outcome = llm.judge(config(server, **kw), messages, SCALE, sleep=waits.append)
    return outcome, waits


def test_a_normal_reply_is_a_grade_with_its_cost_and_the_request_is_the_protocols(server) -> None:
    outcome, waits = ask(server, "q shape:normal grade:2")
    assert outcome.verdict == judging.Verdict(2.0, "the doc fits the query (grade 2)")
    assert (outcome.prompt_tokens, outcome.completion_tokens) == (3, 10)  # words
    assert outcome.latency_ms is not None and outcome.latency_ms >= 0
    assert outcome.attempts == 1 and waits == []
    assert outcome.prompt_hash == judging.prompt_hash(
        "tiny",
        0.0,
        [{"role": "user", "content": "q shape:normal grade:2"}],
        scale=SCALE,
        labels=None,
    )
    [call] = server.calls
    assert call.method == "POST" and call.headers["Authorization"] == f"Bearer {API_KEY}"
    assert call.json() == {
        "model": "tiny",
        "messages": [{"role": "user", "content": "q shape:normal grade:2"}],
        "temperature": 0.0,
        "response_format": {"type": "json_object"},
    }


def test_json_inside_a_markdown_fence_is_read(server) -> None:
    outcome, _ = ask(server, "shape:fenced grade:3")
    assert outcome.verdict.rating == 3.0


@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        ("refusal", "the model refused: I'm sorry, I can't help with that request."),
        ("prose", "the reply is not JSON: 'The result looks quite relevant to me.'"),
        ("offscale", "judgment 7 is not a grade of the scale (0, 1, 2, 3)"),
    ],
)
def test_a_refusal_prose_or_a_grade_off_the_scale_is_cant_rate(server, shape, reason) -> None:
    outcome, _ = ask(server, f"shape:{shape}")
    assert outcome.verdict.rating is None and outcome.verdict.reason == reason
    assert outcome.prompt_tokens is not None  # it cost all the same


def test_429_waits_what_retry_after_says_and_asks_again(server) -> None:
    outcome, waits = ask(server, "shape:429 grade:1")
    assert outcome.verdict.rating == 1.0 and outcome.attempts == 2 and waits == [1.0]


def test_500_and_a_timeout_are_tried_again_with_backoff(server) -> None:
    outcome, waits = ask(server, "shape:500 grade:0", backoff=0.25)
    assert (outcome.verdict.rating, outcome.attempts, waits) == (0.0, 2, [0.25])
    outcome, waits = ask(server, "shape:timeout grade:2", backoff=0.25)
    assert (outcome.verdict.rating, outcome.attempts, waits) == (2.0, 2, [0.25])


def test_a_server_that_stays_down_fails_after_the_retries_doubling_the_wait(server) -> None:
    with pytest.raises(
        llm.CallFailed, match=r"HTTP 500 .*server had an error.*after 4 attempts"
    ) as err:
        ask(server, "shape:down", backoff=0.5, retries=3)
    assert not err.value.fatal
    assert len(server.calls) == 4


def test_a_wrong_key_fails_at_once_as_fatal(server) -> None:
    with pytest.raises(llm.CallFailed, match="HTTP 401.*Incorrect API key") as err:
        ask(server, "x", api_key="sk-wrong")
    assert err.value.fatal and len(server.calls) == 1


def test_a_server_without_json_mode_is_asked_again_without_it(server) -> None:
    def no_json_mode(request):
        if "response_format" in request.json():
            return (
                400,
                {"Content-Type": "application/json"},
                {"error": {"message": "Unrecognized request argument supplied: response_format"}},
            )
        return server.answer(request)

    server.http.route("POST", "/v1/chat/completions", no_json_mode)
    outcome, waits = ask(server, "grade:3")
    assert outcome.verdict.rating == 3.0 and outcome.attempts == 1 and waits == []
    assert ["response_format" in c.json() for c in server.calls] == [True, False]


def test_the_url_policy_of_engines_applies_to_judges(server, monkeypatch) -> None:
    monkeypatch.setenv("SEARCHBENCH_ALLOW_PRIVATE_URLS", "0")
    with pytest.raises(llm.CallFailed, match="loopback/private") as err:
        ask(server, "x")
    assert err.value.fatal and server.calls == []


def test_the_key_is_masked_in_what_the_seam_records(server) -> None:
    with pytest.raises(llm.CallFailed):
        ask(server, "shape:down", retries=0)
    shown = http.describe_request("POST", "u", headers={"Authorization": f"Bearer {API_KEY}"})
    assert API_KEY not in str(shown)


def test_content_parts_that_are_not_text_are_left_out_not_a_crash(server) -> None:
    # A server's content parts are read for their text; a part whose "text" is no string (a
    # number, null) raised TypeError, which failed the whole judging job (not a CallFailed).
    def parts(request):
        status, headers, body = server.answer(request)
        body["choices"][0]["message"]["content"] = [
            {"type": "text", "text": '{"judgment": 2, '},
            {"type": "text", "text": 5},
            {"type": "text", "text": None},
            {"type": "text", "text": '"explanation": "ok"}'},
        ]
        return status, headers, body

    server.http.route("POST", "/v1/chat/completions", parts)
    outcome, _ = ask(server, "x")
    assert outcome.verdict == judging.Verdict(2.0, "ok")


def test_a_redirect_is_a_wrong_base_url_not_asked_again(server) -> None:
    # http:// for an https:// server answers 301 every time: retrying cost four calls and the
    # backoff on every pair of a book, and the job went on pair after pair instead of failing.
    def moved(request):
        return 301, {"Location": "https://elsewhere.example/v1/chat/completions"}, ""

    server.http.route("POST", "/v1/chat/completions", moved)
    with pytest.raises(llm.CallFailed, match="redirects are not followed") as err:
        ask(server, "x")
    assert err.value.fatal and len(server.calls) == 1


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.example/v1", "https://api.example/v1/chat/completions"),
        ("https://api.example/v1/", "https://api.example/v1/chat/completions"),
        ("http://h:8080", "http://h:8080/chat/completions"),
        # The path is extended, the query string kept as one (it was glued after the query).
        (
            "https://gw.example/v1?api-version=2024-06",
            "https://gw.example/v1/chat/completions?api-version=2024-06",
        ),
    ],
)
def test_the_completions_url_extends_the_base_urls_path(base, url) -> None:
    assert llm.completions_url(base) == url


@pytest.mark.parametrize("status", [401, 500])
def test_a_server_echoing_the_key_does_not_put_it_in_the_error(server, status) -> None:
    def echo(request):
        said = request.headers.get("Authorization")
        return status, {"Content-Type": "application/json"}, {"error": {"message": f"{said}?"}}

    server.http.route("POST", "/v1/chat/completions", echo)
    with pytest.raises(llm.CallFailed) as err:
        ask(server, "x", retries=1)
    assert API_KEY not in str(err.value) and "Bearer ***?" in str(err.value)
    assert err.value.fatal == (status == 401)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("-4", 0.0),
        ("1000", llm.MAX_RETRY_AFTER),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_is_read_in_seconds_and_capped(value, seconds) -> None:
    assert llm.retry_after(value) == seconds


def test_retry_after_as_an_http_date() -> None:
    assert llm.retry_after("Sun, 29 Nov 2026 10:00:05 GMT", now=1795946400.0) == 5.0
