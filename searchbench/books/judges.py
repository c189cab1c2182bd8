"""LLM judges as the web app and the workers see them: who may use one, asking it about one
sample pair, and judging a book as a job (``Job.Kind.JUDGE``).

A judge is its owner's and its teams' members' (the rule of books and endpoints,
``accounts.services.own_or_shared``); only the owner changes it, its key being theirs.

Judging a book: ``start_judging`` queues one task, ``run_judging``, that asks the judge about each
pair it has not judged yet, ``judge.concurrency`` calls at a time, and writes each answer as it
comes (``books.services.record_judgement``) with the job's counts and tokens in the same
transaction. So the task may run again at any point (a worker killed, or stopping and handing the
job back) without asking twice about a pair it has an answer for: what was judged is skipped,
and a prompt this judge was sent before (``prompt_hash``) is answered from that judgement without
a call. Between rounds of calls it looks at cancel, at a stopping worker and at the job's budget
(``max_pairs``, ``max_tokens``): the round in hand is finished and saved, then the job ends
(cancelled, or done with ``result["stopped"]`` saying which budget was reached) or is queued
again. A pair whose call fails after the client's retries gets no judgement and counts as failed;
a call the server refuses for good (wrong key, model or URL) fails the job with its message.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django_q.tasks import async_task

from searchbench.accounts.services import own_or_shared
from searchbench.books import llm
from searchbench.books import services as book_services
from searchbench.books.models import Book, Judge, Judgement, Pair
from searchbench.domain import judging
from searchbench.jobs import worker
from searchbench.jobs.models import Job
from searchbench.jobs.tasks import TIME_BUDGET_SHARE  # then the job is handed back
from searchbench.web import crypto
from searchbench.web.logging import get_logger

RUN_JUDGING = "searchbench.books.judges.run_judging"
BACKOFF = 1.0  # seconds before the first retry of a call (then 2, 4 …)
MAX_ERRORS_KEPT = 20  # failed pairs' messages kept in the job's result
log = get_logger("searchbench.jobs")

AnyUser = book_services.AnyUser
State = Judgement.State


class JudgingError(book_services.BookError):
    """A judging job that cannot start (nothing left to judge, a bad budget, no scale)."""


# ---------------------------------------------------------------------------------------------
# Access


def usable_judges(user: AnyUser) -> QuerySet[Judge]:
    """Judges the user may see, test and judge books with: own, or shared with their team."""
    return own_or_shared(Judge.objects.all(), user)


def can_edit(user: AnyUser, judge: Judge) -> bool:
    """Only the owner changes a judge (its key is theirs), as with endpoints."""
    return bool(user.is_authenticated and judge.owner_id == user.pk)


# ---------------------------------------------------------------------------------------------
# One call


def client_config(judge: Judge) -> llm.ClientConfig:
    """The client's settings from the judge (the key decrypted here, for the call only)."""
    try:
        key = judge.get_api_key()
    except crypto.CredentialError:
        raise llm.CallFailed(
            "the judge's API key cannot be decrypted (the secret key changed?): enter it again",
            fatal=True,
        ) from None
    return llm.ClientConfig(
        base_url=judge.base_url,
        model=judge.model,
        api_key=key,
        temperature=judge.temperature,
        timeout=judge.timeout,
        requests_per_minute=judge.requests_per_minute,
        limiter_key=f"judge:{judge.pk}",
        backoff=BACKOFF,
    )


def prompt_input(pair: Pair, book: Book) -> judging.PromptInput:
    return judging.PromptInput(
        query=pair.query_text,
        doc_id=pair.doc_id,
        doc_fields=pair.doc_fields or {},
        scale=[float(g) for g in book.scale or []],
        labels={str(k): str(v) for k, v in (book.labels or {}).items()},
        information_need=pair.information_need,
        guidelines=book.guidelines,
    )


def messages_for(judge: Judge, pair: Pair, book: Book) -> list[dict[str, Any]]:
    return judging.build_messages(
        judge.prompt_template, prompt_input(pair, book), vision=judge.vision
    )


SAMPLE = judging.PromptInput(
    query="waterproof hiking boots",
    doc_id="sample-1",
    doc_fields={"title": "Trail boots, waterproof leather", "price": "129.00"},
    scale=[0.0, 1.0, 2.0, 3.0],
    labels={"0": "Irrelevant", "1": "Related", "2": "Relevant", "3": "Perfect"},
    information_need="boots for day hikes in the rain",
    guidelines="Grade by how well the result meets the information need.",
)


def test_judge(judge: Judge) -> tuple[llm.Outcome | None, str]:
    """Ask the judge about one sample pair (the "Test" button): the outcome, or None and why."""
    messages = judging.build_messages(judge.prompt_template, SAMPLE, vision=judge.vision)
    # A web request does not sit through retries: one call, which answers or says why.
    once = dataclasses.replace(client_config(judge), retries=0)
    try:
        outcome = llm.judge(once, messages, SAMPLE.scale, SAMPLE.labels)
    except llm.CallFailed as exc:
        return None, str(exc)
    return outcome, ""


test_judge.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# ---------------------------------------------------------------------------------------------
# Judging a book as a job


def pairs_to_judge(book: Book, judge: Judge) -> QuerySet[Pair]:
    """The book's pairs the judge has no judgement of yet, in a fixed order."""
    done = Judgement.objects.filter(
        pair__book=book, rater_key=book_services.rater_key(judge=judge)
    ).values("pair_id")
    return book.pairs.exclude(pk__in=done).order_by("pk")


def active_jobs(book: Book) -> QuerySet[Job]:
    return jobs_of(book).filter(status__in=Job.ACTIVE)


def jobs_of(book: Book) -> QuerySet[Job]:
    return Job.objects.filter(kind=Job.Kind.JUDGE, params__book=book.pk)


def start_judging(
    book: Book,
    judge: Judge,
    *,
    user: AnyUser,
    max_pairs: int | None = None,
    max_tokens: int | None = None,
) -> Job:
    """Queue the judge on the book's pairs it has not judged, within the budget (None: none).
    The judging of a book by a judge already going on is returned rather than doubled."""
    for name, value in (("max pairs", max_pairs), ("max tokens", max_tokens)):
        if value is not None and value < 1:
            raise JudgingError(f"{name} must be at least 1 (or empty for no limit)")
    if not book.scale:
        raise JudgingError("the book has no scale to judge on")
    with transaction.atomic():
        # Starts of the same book wait for each other here, so the second sees the first's job.
        Book.objects.select_for_update().filter(pk=book.pk).first()
        going = active_jobs(book).filter(params__judge=judge.pk).first()
        if going is not None:
            return going
        todo = pairs_to_judge(book, judge).count()
        if not todo:
            raise JudgingError(f"{judge.name} has judged every pair of {book.name!r} already")
        job = Job.objects.create(
            kind=Job.Kind.JUDGE,
            total=min(todo, max_pairs) if max_pairs else todo,
            params={
                "book": book.pk,
                "judge": judge.pk,
                "book_name": book.name[:200],
                "judge_name": judge.name[:200],
                "max_pairs": max_pairs,
                "max_tokens": max_tokens,
            },
            result={"tokens": 0, "reused": 0, "cant_rate": 0, "errors": []},
            created_by=user if user.is_authenticated else None,
        )
        enqueue(job)
    job.refresh_from_db()
    return job


def enqueue(job: Job) -> None:
    async_task(RUN_JUDGING, job.pk, task_name=f"job-{job.pk}-judge", group=f"job-{job.pk}")


def run_judging(job_id: int) -> str:
    """The worker's task (see the module's docstring). Returns what happened."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not job.active:
        return "gone" if job is None else f"job {job.status}"
    if job.cancel_requested:
        _end(job, Job.Status.CANCELLED)
        return "cancelled"
    book = Book.objects.filter(pk=job.params.get("book")).first()
    judge = Judge.objects.filter(pk=job.params.get("judge")).first()
    if book is None or judge is None:
        _end(job, Job.Status.FAILED, "the book or the judge was deleted")
        return "failed"
    Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    try:
        outcome = _work(job, book, judge)
    except llm.CallFailed as exc:
        _end(job, Job.Status.FAILED, str(exc)[:2000])
        log.warning("judging_failed", job_id=job.pk, judge_id=judge.pk, error=str(exc))
        return "failed"
    except Exception as exc:
        _end(job, Job.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
        raise
    if outcome == "requeued":
        enqueue(job)
    elif outcome == "cancelled":
        _end(job, Job.Status.CANCELLED)
    elif outcome == "done":
        _end(job, Job.Status.DONE)
        job.refresh_from_db()
        log.info(
            "judging_done",
            job_id=job.pk,
            book_id=book.pk,
            judge_id=judge.pk,
            pairs=job.done,
            failed=job.failed,
            tokens=job.result.get("tokens"),
            stopped=job.result.get("stopped", ""),
        )
    return outcome


def _work(job: Job, book: Book, judge: Judge) -> str:
    """Judge round after round: "done", "cancelled", "requeued" or "ended" (the job ended
    while a round was going on)."""
    config = client_config(judge)
    scale = [float(g) for g in book.scale]
    labels = {str(k): str(v) for k, v in (book.labels or {}).items()}
    failed_before = {int(p) for p in job.result.get("failed_pairs", [])}
    todo = [p for p in pairs_to_judge(book, judge) if p.pk not in failed_before]
    for pair in todo:
        pair.book = book  # record_judgement reads the scale from it
    size = max(1, judge.concurrency)
    started = time.monotonic()
    budget = settings.Q_CLUSTER["timeout"] * TIME_BUDGET_SHARE
    with ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"judge-{judge.pk}") as pool:
        at = 0
        while at < len(todo):
            job.refresh_from_db(fields=["done", "result", "cancel_requested", "status"])
            if not job.active:
                return "ended"
            if job.cancel_requested:
                return "cancelled"
            stopped = _budget_reached(job)
            if stopped:
                _note(job, stopped=stopped)
                return "done"
            if worker.stopping() or (at and time.monotonic() - started > budget):
                return "requeued"
            room = job.params.get("max_pairs")
            take = size if not room else max(1, min(size, room - job.done))
            batch = todo[at : at + take]
            at += len(batch)
            if not _judge_round(job, book, judge, config, batch, scale, labels, pool):
                return "ended"
    return "done"


def _budget_reached(job: Job) -> str:
    max_pairs, max_tokens = job.params.get("max_pairs"), job.params.get("max_tokens")
    if max_pairs and job.done >= max_pairs:
        return f"the budget of {max_pairs} pairs was reached"
    if max_tokens and job.result.get("tokens", 0) >= max_tokens:
        return f"the budget of {max_tokens} tokens was reached ({job.result['tokens']} spent)"
    return ""


def _judge_round(
    job: Job,
    book: Book,
    judge: Judge,
    config: llm.ClientConfig,
    pairs: Sequence[Pair],
    scale: list[float],
    labels: dict[str, str],
    pool: ThreadPoolExecutor,
) -> bool:
    """Judge ``pairs`` (one call per distinct prompt, none for a prompt the judge was sent
    before) and save each answer as it comes; False when the job ended meanwhile."""
    by_hash: dict[str, list[Pair]] = {}
    messages: dict[str, list[dict[str, Any]]] = {}
    for pair in pairs:
        sent = messages_for(judge, pair, book)
        digest = judging.prompt_hash(
            config.model, config.temperature, sent, scale=scale, labels=labels
        )
        by_hash.setdefault(digest, []).append(pair)
        messages[digest] = sent
    known = {
        j.prompt_hash: j
        for j in Judgement.objects.filter(judge=judge, prompt_hash__in=list(by_hash)).exclude(
            state=State.LATER
        )
    }
    for digest, answer in known.items():
        verdict = judging.Verdict(answer.rating, answer.explanation)
        for pair in by_hash.pop(digest):
            if not _save(job, judge, pair, llm.Outcome(verdict, digest, 0, 0, 0), reused=True):
                return False
    futures: dict[Future[llm.Outcome], str] = {
        pool.submit(llm.judge, config, messages[digest], scale, labels): digest
        for digest in by_hash
    }
    try:
        for future in as_completed(futures):
            digest = futures[future]
            first, *same = by_hash[digest]
            try:
                outcome = future.result()
            except llm.CallFailed as exc:
                if exc.fatal:
                    raise
                for pair in (first, *same):
                    if not _fail_pair(job, pair, str(exc)):
                        return False
                continue
            if not _save(job, judge, first, outcome):
                return False
            free = llm.Outcome(outcome.verdict, digest, 0, 0, 0)
            for pair in same:
                if not _save(job, judge, pair, free, reused=True):
                    return False
    finally:
        for future in futures:
            future.cancel()
    return True


def _locked_active(job: Job) -> Job | None:
    return Job.objects.select_for_update().filter(pk=job.pk, status__in=Job.ACTIVE).first()


def _save(
    job: Job, judge: Judge, pair: Pair, outcome: llm.Outcome, *, reused: bool = False
) -> bool:
    """One answer and the job's counts, in one transaction; False when the job ended."""
    verdict = outcome.verdict
    # "can't rate" says why first, then what the model said (a reused one has both already)
    explanation = ": ".join(t for t in (verdict.reason, verdict.explanation) if t)
    with transaction.atomic():
        locked = _locked_active(job)
        if locked is None:
            return False
        book_services.record_judgement(
            pair,
            judge=judge,
            state=State.RATED if verdict.rated else State.CANT_RATE,
            rating=verdict.rating,
            explanation=explanation,
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            latency_ms=outcome.latency_ms,
            prompt_hash=outcome.prompt_hash,
        )
        result = dict(locked.result)
        spent = (outcome.prompt_tokens or 0) + (outcome.completion_tokens or 0)
        result["tokens"] = result.get("tokens", 0) + spent
        result["reused"] = result.get("reused", 0) + int(reused)
        result["cant_rate"] = result.get("cant_rate", 0) + int(not verdict.rated)
        Job.objects.filter(pk=job.pk).update(done=F("done") + 1, result=result)
    return True


def _fail_pair(job: Job, pair: Pair, error: str) -> bool:
    with transaction.atomic():
        locked = _locked_active(job)
        if locked is None:
            return False
        result = dict(locked.result)
        result["failed_pairs"] = [*result.get("failed_pairs", []), pair.pk]
        errors = result.get("errors", [])
        if len(errors) < MAX_ERRORS_KEPT:
            result["errors"] = [*errors, f"{pair.query_text} / {pair.doc_id}: {error}"]
        Job.objects.filter(pk=job.pk).update(
            done=F("done") + 1, failed=F("failed") + 1, result=result
        )
    log.warning("judging_pair_failed", job_id=job.pk, pair_id=pair.pk, error=error)
    return True


def _note(job: Job, **values: Any) -> None:
    with transaction.atomic():
        locked = _locked_active(job)
        if locked is not None:
            Job.objects.filter(pk=job.pk).update(result={**locked.result, **values})


def _end(job: Job, status: str, error: str = "") -> bool:
    changed = Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(
        status=status, finished_at=timezone.now(), error=error
    )
    return changed == 1


def judge_stats(judge: Judge) -> dict[str, Any]:
    """What the judge has answered and what it cost, over every book."""
    return Judgement.objects.filter(judge=judge).aggregate(
        judgements=Count("pk"),
        cant_rate=Count("pk", filter=Q(state=State.CANT_RATE)),
        prompt_tokens=Sum("prompt_tokens"),
        completion_tokens=Sum("completion_tokens"),
        latency_ms=Avg("latency_ms", filter=Q(latency_ms__gt=0)),
    )
