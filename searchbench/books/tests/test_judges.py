"""Judging a book with an LLM judge, as a job: django-q2's sync mode runs the task as it is
queued (the test settings), or, with the ``queued`` fixture, the task waits on the queue and the
test runs it as a worker would. The judge talks to the stand-in chat-completions server
(llmserver.py) over HTTP."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django_q.conf import Conf
from django_q.models import OrmQ

from searchbench.books import judges as judging
from searchbench.books.models import Book, Judge, Judgement, Pair
from searchbench.books.tests.llmserver import API_KEY, ChatServer, chat_server
from searchbench.domain.judging import DEFAULT_PROMPT_TEMPLATE
from searchbench.jobs import services as jobs
from searchbench.jobs import worker
from searchbench.jobs.models import Job

pytestmark = pytest.mark.django_db

# One pair in 25 of each fault shape; the rest answer normally.
FAULTS = {0: "fenced", 1: "refusal", 2: "prose", 3: "offscale", 4: "429", 5: "500", 6: "timeout"}
CANT_RATE = {"refusal", "prose", "offscale"}


def shape_of(n: int) -> str:
    return FAULTS.get(n % 25, "normal")


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server(slow=2.0) as chat:
        yield chat


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(Conf, "SYNC", False)
    yield


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(judging, "BACKOFF", 0.05)


def make_judge(owner: Any, server: ChatServer, **kw: Any) -> Judge:
    fields = {"timeout": 1.0, "concurrency": 4, **kw}
    judge = Judge(
        name="tiny judge",
        owner=owner,
        base_url=server.base_url,
        model="tiny-1",
        prompt_template=DEFAULT_PROMPT_TEMPLATE,
        **fields,
    )
    judge.set_api_key(API_KEY)
    judge.save()
    return judge


def make_book(owner: Any, pairs: int = 100, name: str = "Hundred", faults: bool = True) -> Book:
    book = Book.objects.create(
        name=name,
        owner=owner,
        scale=[0, 1, 2, 3],
        labels={"0": "Poor", "1": "Fair", "2": "Good", "3": "Perfect"},
        guidelines="Grade by the title.",
    )
    Pair.objects.bulk_create(
        Pair(
            book=book,
            query_text=f"query {n // 5}",
            doc_id=f"d{n}",
            doc_fields={
                "title": f"doc {n} shape:{shape_of(n) if faults else 'normal'} grade:{n % 4}"
            },
        )
        for n in range(pairs)
    )
    return book


def answers(book: Book, judge: Judge) -> dict[int, Judgement]:
    rows = Judgement.objects.filter(pair__book=book, rater_key=f"j{judge.pk}").select_related(
        "pair"
    )
    return {int(j.pair.doc_id[1:]): j for j in rows}


def test_a_judge_judges_a_100_pair_book_as_a_job_through_every_fault_shape(world, server) -> None:
    judge = make_judge(world.owner, server)
    book = make_book(world.owner)
    job = judging.start_judging(book, judge, user=world.owner)
    job.refresh_from_db()
    assert (job.kind, job.status, job.total, job.done, job.failed) == ("judge", "done", 100, 100, 0)
    got = answers(book, judge)
    assert len(got) == 100
    for n, j in got.items():
        if shape_of(n) in CANT_RATE:
            assert (j.state, j.rating) == ("cant_rate", None), n
        else:
            assert (j.state, j.rating) == ("rated", n % 4), n
        assert j.judge == judge and j.rater is None and len(j.prompt_hash) == 64
        assert j.prompt_tokens > 50 and j.completion_tokens > 0 and j.latency_ms is not None
    # The reason comes first, then the model's words.
    assert got[1].explanation == "the model refused: I'm sorry, I can't help with that request."
    assert got[2].explanation.startswith("the reply is not JSON: 'The result looks")
    assert got[3].explanation == (
        "judgment 7 is not a grade of the scale (0, 1, 2, 3): very very relevant"
    )
    assert got[0].explanation == "the doc fits the query (grade 0)"  # read from the fence
    # The pairs' judged counts are of people: the judge's answers leave every pair to them.
    assert set(book.pairs.values_list("judged", flat=True)) == {0}
    # One successful call a pair; the transient faults were asked again once each.
    # (At least once: on a busy machine any call may time out and be asked again.)
    prompts = Counter(c.json()["messages"][0]["content"] for c in server.calls)
    assert len(prompts) == 100
    faulty = [p for p in prompts if any(f"shape:{m} " in p for m in ("429", "500", "timeout"))]
    assert len(faulty) == 12 and all(prompts[p] >= 2 for p in faulty)  # 4 each, asked again
    tokens = sum(j.prompt_tokens + j.completion_tokens for j in got.values())
    assert job.result["tokens"] == tokens and job.result["cant_rate"] == 12
    text = jobs.progress(job)["text"]
    assert text.startswith("100 of 100 pairs · 12 can't rate · ") and "tokens" in text
    # What was sent: the default template with the pair, the scale's labels and the guidelines.
    first = server.calls[0].json()
    assert first["model"] == "tiny-1" and first["temperature"] == 0.0
    content = first["messages"][0]["content"]
    assert "Grade by the title." in content and "3 = Perfect" in content
    assert "Query: query " in content and "title: doc " in content


def test_a_server_that_stays_down_leaves_the_pair_unjudged_and_counted_failed(
    world, server
) -> None:
    judge = make_judge(world.owner, server)
    book = make_book(world.owner, pairs=3)
    Pair.objects.filter(book=book, doc_id="d1").update(doc_fields={"title": "shape:down"})
    job = judging.start_judging(book, judge, user=world.owner)
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == ("done", 3, 1)
    assert sorted(answers(book, judge)) == [0, 2]
    assert "HTTP 500" in job.result["errors"][0] and "after 4 attempts" in job.result["errors"][0]
    # A later job takes the pair again.
    job2 = judging.start_judging(book, judge, user=world.owner)
    assert job2.total == 1


def test_a_wrong_key_fails_the_job_with_the_servers_message(world, server) -> None:
    judge = make_judge(world.owner, server)
    judge.set_api_key("sk-wrong")
    judge.save()
    book = make_book(world.owner, pairs=10)
    job = judging.start_judging(book, judge, user=world.owner)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error.startswith("HTTP 401 from http://127.0.0.1:")
    assert job.error.endswith("/v1/chat/completions: Incorrect API key provided.")
    assert not answers(book, judge)
    assert len(server.calls) < 10  # the first round, not every pair
    assert "sk-wrong" not in job.error


def test_a_base_url_the_policy_refuses_fails_the_job_and_the_test_without_a_call(
    world, server, monkeypatch
) -> None:
    # Saved while private addresses were allowed; the policy now refuses them: every door
    # that calls the judge (the job, the test button) meets the engines' URL policy.
    judge = make_judge(world.owner, server)
    book = make_book(world.owner, pairs=5)
    monkeypatch.setenv("SEARCHBENCH_ALLOW_PRIVATE_URLS", "0")
    job = judging.start_judging(book, judge, user=world.owner)
    job.refresh_from_db()
    assert job.status == "failed" and "loopback/private" in job.error
    outcome, error = judging.test_judge(judge)
    assert outcome is None and "loopback/private" in error
    assert server.calls == [] and not answers(book, judge)


def test_identical_prompts_are_sent_once_and_answered_from_the_judgement_that_has_them(
    world, server
) -> None:
    judge = make_judge(world.owner, server)
    book = make_book(world.owner, pairs=8)
    # d0 and d4 (and d1/d5 …) become the same prompt: same query, same fields.
    for pair in book.pairs.all():
        n = int(pair.doc_id[1:])
        pair.query_text, pair.doc_fields = "same", {"title": f"twin {n % 4} grade:{n % 4}"}
        pair.save()
    job = judging.start_judging(book, judge, user=world.owner)
    job.refresh_from_db()
    assert len(server.calls) == 4 and job.done == 8 and job.result["reused"] == 4
    got = answers(book, judge)
    assert [got[n].rating for n in range(8)] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert got[0].prompt_hash == got[4].prompt_hash
    paid = [j for j in got.values() if j.prompt_tokens]
    assert len(paid) == 4 and all(j.prompt_tokens == 0 for j in got.values() if j not in paid)
    # Another book with the same pairs: nothing is sent at all.
    other = make_book(world.owner, pairs=0, name="Copy")
    Pair.objects.bulk_create(
        Pair(book=other, query_text=p.query_text, doc_id=p.doc_id, doc_fields=p.doc_fields)
        for p in book.pairs.all()
    )
    job = judging.start_judging(other, judge, user=world.owner)
    job.refresh_from_db()
    assert (job.done, job.result["reused"], job.result["tokens"]) == (8, 8, 0)
    assert len(server.calls) == 4


def test_an_answer_is_not_reused_for_a_book_that_reads_it_on_another_scale(world, server) -> None:
    # A template without {{scale}} sends the very same prompt for a 0-3 book and a 0-1 book; the
    # 3 the judge gave the first is no grade of the second, so it is asked again (and its 3
    # read as off the scale), not copied over (which failed the whole job).
    judge = make_judge(world.owner, server)
    judge.prompt_template = "{{query}}\n{{doc}}"
    judge.save()
    first = make_book(world.owner, pairs=0, name="Four grades")
    Pair.objects.create(book=first, query_text="q", doc_id="d3", doc_fields={"title": "grade:3"})
    judging.start_judging(first, judge, user=world.owner)
    assert answers(first, judge)[3].rating == 3.0
    second = make_book(world.owner, pairs=0, name="Two grades")
    second.scale, second.labels = [0, 1], {}
    second.save()
    Pair.objects.create(book=second, query_text="q", doc_id="d3", doc_fields={"title": "grade:3"})
    job = judging.start_judging(second, judge, user=world.owner)
    job.refresh_from_db()
    assert (job.status, job.done, job.result["reused"]) == ("done", 1, 0), job.error
    got = answers(second, judge)[3]
    assert (got.state, got.rating) == ("cant_rate", None)
    assert got.explanation.startswith("judgment 3 is not a grade of the scale (0, 1)")
    assert len(server.calls) == 2


def test_the_pairs_budget_stops_the_job_cleanly_saying_so(world, server) -> None:
    judge = make_judge(world.owner, server)
    book = make_book(world.owner, pairs=20)
    job = judging.start_judging(book, judge, user=world.owner, max_pairs=6)
    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("done", 6, 6)
    assert len(answers(book, judge)) == 6
    assert len({c.body for c in server.calls}) == 6  # (429 and 500 were asked twice)
    assert job.result["stopped"] == "the budget of 6 pairs was reached"
    assert "stopped: the budget of 6 pairs was reached" in jobs.progress(job)["text"]


def test_the_tokens_budget_stops_after_the_round_that_spends_it(world, server) -> None:
    judge = make_judge(world.owner, server, concurrency=2)
    book = make_book(world.owner, pairs=20)
    job = judging.start_judging(book, judge, user=world.owner, max_tokens=300)
    job.refresh_from_db()
    assert job.status == "done" and job.result["stopped"].startswith("the budget of 300 tokens")
    spent = job.result["tokens"]
    per_round = spent / (job.done / 2)
    assert 300 <= spent < 300 + per_round  # at most one round past the budget
    assert job.done < 20 and len(answers(book, judge)) == job.done


def test_a_bad_budget_or_nothing_left_to_judge_is_refused(world, server) -> None:
    judge = make_judge(world.owner, server)
    book = make_book(world.owner, pairs=2)
    with pytest.raises(judging.JudgingError, match="max pairs must be at least 1"):
        judging.start_judging(book, judge, user=world.owner, max_pairs=0)
    judging.start_judging(book, judge, user=world.owner)
    with pytest.raises(judging.JudgingError, match="has judged every pair"):
        judging.start_judging(book, judge, user=world.owner)


def test_cancel_stops_a_running_job_after_the_round_in_hand(world, server, queued, monkeypatch):
    judge = make_judge(world.owner, server, concurrency=2)
    book = make_book(world.owner, pairs=20)
    job = judging.start_judging(book, judge, user=world.owner)
    assert job.status == "queued" and OrmQ.objects.count() == 1
    real = judging._judge_round

    def then_cancel(job_, *args: Any, **kwargs: Any) -> bool:
        done = real(job_, *args, **kwargs)
        jobs.cancel(Job.objects.get(pk=job_.pk))
        return done

    monkeypatch.setattr(judging, "_judge_round", then_cancel)
    assert judging.run_judging(job.pk) == "cancelled"
    job.refresh_from_db()
    assert (job.status, job.done) == ("cancelled", 2)
    assert len(answers(book, judge)) == 2 and len(server.calls) == 2
    assert jobs.progress(job)["text"] == "cancelled"


def test_a_queued_job_is_cancelled_at_once_and_its_task_does_nothing(world, server, queued):
    judge = make_judge(world.owner, server)
    book = make_book(world.owner, pairs=5)
    job = jobs.cancel(judging.start_judging(book, judge, user=world.owner))
    assert job.status == "cancelled"
    assert judging.run_judging(job.pk) == "job cancelled" and not server.calls


def test_a_stopping_worker_hands_the_job_back_and_nothing_is_asked_twice(
    world, server, queued, monkeypatch
) -> None:
    judge = make_judge(world.owner, server, concurrency=3)
    book = make_book(world.owner, pairs=30, faults=False)
    job = judging.start_judging(book, judge, user=world.owner)
    rounds = Counter[str]()
    real = judging._judge_round

    def counting(*args: Any, **kwargs: Any) -> bool:
        rounds["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(judging, "_judge_round", counting)
    monkeypatch.setattr(worker, "stopping", lambda: rounds["n"] >= 3)
    assert judging.run_judging(job.pk) == "requeued"
    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 9)
    assert OrmQ.objects.count() == 2  # the first delivery and the one handed back
    # The task delivered again after the worker died mid-way: it goes on where it was.
    monkeypatch.setattr(worker, "stopping", lambda: False)
    assert judging.run_judging(job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 30, 30)
    prompts = Counter(c.json()["messages"][0]["content"] for c in server.calls)
    assert len(server.calls) == 30 and set(prompts.values()) == {1}  # none asked twice
    # And a third delivery of an ended job does nothing.
    assert judging.run_judging(job.pk) == "job done" and len(server.calls) == 30


def test_starting_again_while_a_job_goes_on_returns_that_job(world, server, queued) -> None:
    judge = make_judge(world.owner, server)
    book = make_book(world.owner, pairs=5)
    first = judging.start_judging(book, judge, user=world.owner)
    assert judging.start_judging(book, judge, user=world.teammate) == first


def test_a_vision_judge_sends_the_thumbnail(world, server) -> None:
    judge = make_judge(world.owner, server, vision=True)
    book = make_book(world.owner, pairs=1)
    book.pairs.update(doc_fields={"title": "boots", "thumb": "https://img.example/b.jpg"})
    judging.start_judging(book, judge, user=world.owner)
    [call] = server.calls
    parts = call.json()["messages"][0]["content"]
    assert parts[1] == {"type": "image_url", "image_url": {"url": "https://img.example/b.jpg"}}


def test_the_test_button_asks_about_one_sample_pair(world, server) -> None:
    judge = make_judge(world.owner, server)
    outcome, error = judging.test_judge(judge)
    assert error == "" and outcome is not None and outcome.verdict.rating == 1.0
    assert "waterproof hiking boots" in server.calls[0].json()["messages"][0]["content"]
    judge.base_url = server.base_url.replace("/v1", "/nope")
    outcome, error = judging.test_judge(judge)
    assert outcome is None and "HTTP 404" in error


@pytest.mark.parametrize("status", [500, 429])
def test_the_test_button_says_what_went_wrong_not_that_the_server_asks_to_wait(
    world, server, status
) -> None:
    # A transient failure made the button say "the server asks to wait 1 s; try again later"
    # (its backoff refused), hiding the server's own message: a server down said nothing more.
    def failing(request):
        body = {"error": {"message": "The engine is overloaded.", "type": "server_error"}}
        return status, {"Content-Type": "application/json", "Retry-After": "7"}, body

    judge = make_judge(world.owner, server)
    server.http.route("POST", "/v1/chat/completions", failing)
    outcome, error = judging.test_judge(judge)
    assert outcome is None and len(server.calls) == 1
    assert error.startswith(f"HTTP {status} from http://127.0.0.1:")
    assert error.endswith("/v1/chat/completions: The engine is overloaded.")


def test_a_judge_is_its_owners_and_its_teams(world, server) -> None:
    judge = make_judge(world.owner, server)
    assert list(judging.usable_judges(world.teammate)) == []
    judge.teams.add(world.team)
    assert list(judging.usable_judges(world.owner)) == [judge]
    assert list(judging.usable_judges(world.teammate)) == [judge]
    assert list(judging.usable_judges(world.outsider)) == []
    assert judging.can_edit(world.owner, judge) and not judging.can_edit(world.teammate, judge)


def test_only_who_may_change_the_book_sees_its_judging_job(world, server, queued) -> None:
    judge = make_judge(world.owner, server)
    book = make_book(world.owner, pairs=2)
    book.teams.add(world.team)
    job = judging.start_judging(book, judge, user=world.owner)
    assert jobs.job_for(world.teammate, job.pk) == job
    assert jobs.job_for(world.outsider, job.pk) is None


def test_a_judges_calls_take_from_its_own_requests_per_minute_budget(world, server) -> None:
    from searchbench.engines import http

    taken: list[tuple[str, int]] = []

    def factory(key: str, rpm: int) -> http.TokenBucket:
        bucket = http.TokenBucket(rpm)
        real = bucket.try_take

        def try_take() -> float:
            taken.append((key, rpm))
            return real()

        bucket.try_take = try_take  # type: ignore[method-assign]
        return bucket

    judge = make_judge(world.owner, server, requests_per_minute=600)
    book = make_book(world.owner, pairs=3, faults=False)
    http.share_buckets(factory)  # the workers' shared store stands here
    try:
        judging.start_judging(book, judge, user=world.owner)
    finally:
        http.share_buckets(None)
    assert taken == [(f"judge:{judge.pk}", 600)] * 3


@pytest.mark.django_db(transaction=True)
def test_starts_at_the_same_moment_queue_one_judging(world, server, queued) -> None:
    """A double click (or two teammates at once) on "judge this book": one job, not two paying
    for every pair twice."""
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs a server database")
    book = make_book(world.owner, pairs=5, faults=False)
    judge = make_judge(world.owner, server)
    barrier = threading.Barrier(6)
    started: list[int] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            started.append(judging.start_judging(book, judge, user=world.owner).pk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Job.objects.filter(kind=Job.Kind.JUDGE).count() == 1
    assert len(set(started)) == 1
