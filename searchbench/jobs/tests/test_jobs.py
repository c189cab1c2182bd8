"""Jobs in one process: django-q2's sync mode runs each task as it is queued (the test settings),
or, with sync off, tasks wait on the queue and the test runs them by hand, as a worker would.
Real worker processes: test_worker_processes.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule

from searchbench.cases import services
from searchbench.cases.models import Case, Query, ScoreHistory, Scorer, SnapshotDoc, Try
from searchbench.cases.tests.conftest import World
from searchbench.cases.tests.htmlquery import parse
from searchbench.engines.local.engine import LocalEngine
from searchbench.jobs import services as jobs
from searchbench.jobs import tasks, worker
from searchbench.jobs.models import CaseSchedule, Job, JobChunk, JobResult

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tasks stay on the queue (no worker here) until the test runs them."""
    monkeypatch.setattr(Conf, "SYNC", False)
    yield


def queued_chunks() -> list[int]:
    """The chunk ids of the tasks on the queue, oldest first."""
    return [task.task["args"][0] for task in OrmQ.objects.order_by("pk")]


# --- runs -------------------------------------------------------------------------------------


def test_run_all_queues_a_job_and_the_run_is_recorded_once(world: World) -> None:
    response = client_for(world.teammate).post(reverse("cases:run", args=[world.case.pk]))
    assert response.status_code == 302
    job = Job.objects.get(case=world.case)
    assert (job.kind, job.status, job.total, job.done, job.failed) == ("run", "done", 2, 2, 0)
    [history] = ScoreHistory.objects.filter(case=world.case)
    assert job.result == {"history_id": history.pk, "score": history.score}
    assert history.created_by == world.teammate and history.try_ref == world.try_
    # The same scores as the in-request run (one loop, two doors).
    inline = services.run_case(world.case)
    assert history.score == inline.score and history.per_query == inline.history.per_query
    assert not JobResult.objects.filter(job=job).exists()  # the history row has them now


def test_a_big_case_is_split_into_chunks_that_workers_take_one_by_one(
    world: World, queued: None, settings
) -> None:
    settings.SEARCHBENCH_JOB_CHUNK_SIZE = 1
    job = jobs.start_run(world.case, user=world.owner)
    assert (job.status, job.total) == ("queued", 2)
    chunks = list(job.chunks.order_by("number"))
    assert [c.query_ids for c in chunks] == [[world.q_boots.pk], [world.q_tent.pk]]
    assert queued_chunks() == [c.pk for c in chunks]
    assert tasks.run_chunk(chunks[0].pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 1) and not ScoreHistory.objects.exists()
    assert tasks.run_chunk(chunks[1].pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 2)
    assert ScoreHistory.objects.filter(case=world.case).count() == 1


def test_a_chunk_delivered_again_adds_no_result_and_no_history(world: World, queued) -> None:
    job = jobs.start_run(world.case)
    [chunk] = job.chunks.all()
    # A worker saved one query, then died: the redelivered chunk keeps it and does the other.
    JobResult.objects.create(job=job, query=world.q_boots, score=0.25)
    assert tasks.run_chunk(chunk.pk) == "done"
    [history] = ScoreHistory.objects.filter(case=world.case)
    assert history.per_query[str(world.q_boots.pk)] == 0.25  # not searched again
    assert tasks.run_chunk(chunk.pk) == "job done"  # and once more: nothing happens
    assert tasks.finish_run(job.pk) is None
    assert ScoreHistory.objects.filter(case=world.case).count() == 1


def test_results_are_one_per_query_whatever_writes_them(world: World, queued) -> None:
    job = jobs.start_run(world.case)
    [chunk] = job.chunks.all()
    outcome = services.search_query(world.case, world.q_tent)
    for _ in range(2):  # two copies of a chunk upsert the same query
        assert tasks._save(job, chunk, [outcome])
    assert JobResult.objects.filter(job=job).count() == 1
    job.refresh_from_db()
    assert job.done == 1


def test_results_of_a_job_that_ended_are_dropped(world: World, queued) -> None:
    job = jobs.start_run(world.case)
    [chunk] = job.chunks.all()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    outcome = services.search_query(world.case, world.q_tent)
    assert not tasks._save(job, chunk, [outcome])
    assert not JobResult.objects.filter(job=job).exists()


def test_the_job_scores_with_the_scorer_it_started_with(world: World, queued) -> None:
    job = jobs.start_run(world.case)
    world.case.scorer = Scorer.objects.get(name="nDCG@10")
    world.case.save()
    tasks.run_chunk(job.chunks.get().pk)
    history = ScoreHistory.objects.get(case=world.case)
    assert history.scorer_name == "quepid:P@10"


def test_a_chunk_asks_the_engine_for_no_explanations(world: World, queued, monkeypatch) -> None:
    # A run keeps scores only; on the built-in engine the explanations were four fifths of its
    # time (on Solr, debugQuery). The query page shows them, so it still asks.
    asked: list[bool] = []
    search = LocalEngine.search

    def recording(self, query, try_config):
        asked.append(try_config.explain)
        return search(self, query, try_config)

    monkeypatch.setattr(LocalEngine, "search", recording)
    job = jobs.start_run(world.case)
    assert tasks.run_chunk(job.chunks.get().pk) == "done"
    assert asked == [False, False]
    asked.clear()
    outcome = services.search_query(world.case, world.q_boots)
    assert asked == [True] and outcome.result.docs[0].explain is not None
    # The same score either way.
    history = ScoreHistory.objects.get(case=world.case)
    assert history.per_query[str(world.q_boots.pk)] == outcome.score == 0.4


def test_a_fast_engines_chunk_is_searched_and_saved_in_a_few_growing_batches(
    world: World, queued, monkeypatch, settings
) -> None:
    # Each batch ends with a save and a wait for its slowest query: a chunk of 120 queries was
    # 15 batches of 8 (4 × the concurrency). Batches now grow to about BATCH_SECONDS of work
    # (here a minute, so that the growth cap decides, whatever the machine's load).
    settings.SEARCHBENCH_ENGINE_CONCURRENCY = 2
    monkeypatch.setattr(tasks, "BATCH_SECONDS", 60.0)
    services.add_query(world.case, "boots")  # rated nowhere: it scores 0
    Query.objects.bulk_create(
        Query(case=world.case, text=f"red boots {i}", position=10 + i) for i in range(117)
    )
    sizes: list[int] = []
    save = tasks._save

    def spying(job, chunk, outcomes):
        sizes.append(len(outcomes))
        return save(job, chunk, outcomes)

    monkeypatch.setattr(tasks, "_save", spying)
    job = jobs.start_run(world.case)
    assert tasks.run_chunk(job.chunks.get().pk) == "done"
    assert sizes == [8, 32, 80]
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == ("done", 120, 0)


def test_a_batch_is_sized_to_about_a_second_of_work(settings) -> None:
    settings.SEARCHBENCH_ENGINE_CONCURRENCY = 8
    assert tasks.BATCH_SECONDS == 1.0
    assert tasks.next_batch_size(32, 0.5) == 64  # 64 queries a second
    assert tasks.next_batch_size(32, 0.01) == 128  # at most 4 times the last one
    assert tasks.next_batch_size(32, 0.0) == 128
    assert tasks.next_batch_size(32, 2.0) == 16
    # A slow (or rate-limited) engine: one round of the concurrency, not four, before each look
    # at cancel and stop.
    assert tasks.next_batch_size(32, 30.0) == 8


def test_a_chunk_that_keeps_failing_fails_its_job(world: World, queued, monkeypatch) -> None:
    job = jobs.start_run(world.case)
    chunk = job.chunks.get()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks.loop, "execute", broken)
    for attempt in range(1, tasks.max_attempts() + 1):
        with pytest.raises(RuntimeError):
            tasks.run_chunk(chunk.pk)
        job.refresh_from_db()
        assert job.status == ("failed" if attempt == tasks.max_attempts() else "running")
    assert "failed 5 times: disk full" in job.error
    assert not ScoreHistory.objects.exists()


def test_a_job_whose_try_was_deleted_fails_saying_so(world: World, queued) -> None:
    extra = services.create_try(
        world.case, query_template=world.try_.query_template, endpoint=world.endpoint
    )
    job = jobs.start_run(world.case, try_=extra)
    Try.objects.filter(pk=extra.pk).delete()
    assert tasks.run_chunk(job.chunks.get().pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "try was deleted" in job.error


def test_a_case_without_queries_records_an_empty_run(world: World) -> None:
    empty = Case.objects.create(name="Empty", owner=world.owner, scorer=world.case.scorer)
    services.create_try(empty, query_template="#$query##", endpoint=world.endpoint)
    job = jobs.start_run(empty)
    assert (job.status, job.total, job.chunks.count()) == ("done", 0, 0)
    assert ScoreHistory.objects.filter(case=empty).count() == 1


def test_a_case_without_a_try_cannot_be_run(world: World) -> None:
    bare = Case.objects.create(name="Bare", owner=world.owner, scorer=world.case.scorer)
    with pytest.raises(services.ServiceError, match="no try yet"):
        jobs.start_run(bare)
    assert not Job.objects.exists()


def test_a_stopping_worker_hands_the_rest_of_its_chunk_back(
    world: World, queued, monkeypatch
) -> None:
    job = jobs.start_run(world.case)
    chunk = job.chunks.get()
    OrmQ.objects.all().delete()  # the task this worker took
    monkeypatch.setattr(worker, "stopping", lambda: True)
    assert tasks.run_chunk(chunk.pk) == "requeued"
    assert queued_chunks() == [chunk.pk]  # back on the queue, for any worker, now
    job.refresh_from_db()
    assert job.status == "running" and job.done == 0


# --- snapshots --------------------------------------------------------------------------------


def test_take_snapshot_is_a_job(world: World, queued) -> None:
    client = client_for(world.owner)
    response = client.post(reverse("cases:snapshot_new", args=[world.case.pk]), {"name": " v1 "})
    assert response["Location"] == reverse("cases:detail", args=[world.case.pk])
    job = Job.objects.get(kind="snapshot")
    assert (job.status, job.params) == ("queued", {"name": "v1", "explain": False})
    [task] = OrmQ.objects.all()
    assert tasks.run_snapshot(*task.task["args"]) == "done"
    job.refresh_from_db()
    snapshot = world.case.snapshots.get()
    assert job.status == "done" and job.result["snapshot_id"] == snapshot.pk
    assert snapshot.name == "v1" and (job.done, job.total) == (2, 2)
    data = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert data["result_url"] == reverse("cases:snapshot", args=[world.case.pk, snapshot.pk])


def test_a_snapshot_job_keeps_explanations_when_the_box_is_ticked(world: World, queued) -> None:
    client = client_for(world.owner)
    url = reverse("cases:snapshot_new", args=[world.case.pk])
    client.post(url, {"name": "with trees", "explain": "on"})
    job = Job.objects.get(kind="snapshot")
    assert job.params == {"name": "with trees", "explain": True}
    [task] = OrmQ.objects.all()
    assert tasks.run_snapshot(*task.task["args"]) == "done"
    docs = SnapshotDoc.objects.filter(snapshot_query__snapshot__name="with trees")
    assert docs.exists() and not docs.filter(explain=None).exists()


# --- cancel, progress, access -----------------------------------------------------------------


def test_a_queued_job_is_cancelled_at_once(world: World, queued) -> None:
    job = jobs.start_run(world.case)
    client = client_for(world.teammate)
    response = client.post(reverse("jobs:cancel", args=[job.pk]), HTTP_X_REQUESTED_WITH="fetch")
    assert response.json()["status"] == "cancelled"
    assert tasks.run_chunk(job.chunks.get().pk) == "job cancelled"
    assert not ScoreHistory.objects.exists()


def test_a_running_job_stops_before_its_next_batch(world: World, queued, monkeypatch) -> None:
    job = jobs.start_run(world.case)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    monkeypatch.setattr(tasks, "batch_size", lambda: 1)
    seen = []
    execute = tasks.loop.execute

    def cancel_after_the_first(plan):
        seen.append(plan.queries[0].text)
        jobs.cancel(Job.objects.get(pk=job.pk))  # the user clicks while a batch is searched
        return execute(plan)

    monkeypatch.setattr(tasks.loop, "execute", cancel_after_the_first)
    assert tasks.run_chunk(job.chunks.get().pk) == "cancelled"
    job.refresh_from_db()
    assert seen == ["red boots"] and (job.status, job.done) == ("cancelled", 1)
    assert not ScoreHistory.objects.exists()


def test_progress_says_how_far_and_how_long(world: World, queued, settings) -> None:
    settings.SEARCHBENCH_JOB_CHUNK_SIZE = 1
    job = jobs.start_run(world.case)
    url = reverse("jobs:status", args=[job.pk])
    client = client_for(world.owner)
    first = client.get(url)
    assert first["Cache-Control"].startswith("max-age=0")
    assert first.json() | {"queued_seconds": 0} == first.json() | {
        "status": "queued",
        "active": True,
        "total": 2,
        "done": 0,
        "percent": 0.0,
        "text": "waiting for a worker",
        "queued_seconds": 0,
    }
    tasks.run_chunk(job.chunks.get(number=0).pk)
    half = client.get(url).json()
    assert (half["status"], half["done"], half["percent"]) == ("running", 1, 50.0)
    assert half["text"].startswith("1 of 2 queries · about ")
    assert isinstance(half["eta_seconds"], int)
    tasks.run_chunk(job.chunks.get(number=1).pk)
    done = client.get(url).json()
    assert (done["status"], done["active"], done["done"]) == ("done", False, 2)
    assert done["text"] == f"2 of 2 queries · score {done['result']['score']:.3f}"


def test_only_who_may_change_the_case_sees_or_cancels_its_jobs(world: World, queued) -> None:
    job = jobs.start_run(world.case)
    status = reverse("jobs:status", args=[job.pk])
    cancel = reverse("jobs:cancel", args=[job.pk])
    world.case.public = True  # readable by everyone, still not theirs to run
    world.case.save()
    outsider = client_for(world.outsider)
    assert outsider.get(status).status_code == 404
    assert outsider.post(cancel).status_code == 404
    assert client_for(world.teammate).get(status).status_code == 200
    assert Client().get(status).status_code == 302  # to the log-in page
    assert (
        client_for(world.owner).get(reverse("jobs:status", args=[job.pk + 99])).status_code == 404
    )
    job.refresh_from_db()
    assert job.status == "queued"
    page = parse(outsider.get(reverse("cases:detail", args=[world.case.pk])).content)
    assert page.select(".job") == []


def test_the_case_page_shows_a_progress_bar_for_a_job_going_on(world: World, queued) -> None:
    client = client_for(world.owner)
    response = client.post(reverse("cases:run", args=[world.case.pk]), follow=True)
    page = parse(response.content)
    assert "Running try 1 on 2 queries." in page.one("li.msg").text
    box = page.one("#jobs .job")
    job = Job.objects.get()
    assert box.attrs["data-job-url"] == reverse("jobs:status", args=[job.pk])
    assert box.one("progress").attrs["max"] == "2"
    assert box.one(".job-text").text == "waiting for a worker"
    assert box.one("form.job-cancel").attrs["action"] == reverse("jobs:cancel", args=[job.pk])
    # The parts app.js fetches again when the job ends.
    for region in ("case-score", "queries", "history", "snapshots", "run-errors"):
        assert "data-refresh" in page.one(f"#{region}").attrs


def test_the_try_editor_queues_a_run_of_the_new_try(world: World, queued) -> None:
    client_for(world.owner).post(
        reverse("cases:try_new", args=[world.case.pk]),
        {
            "query_template": world.try_.query_template,
            "field_spec": "id:id title:title",
            "rows": "10",
            "escape": "on",
            "curator_vars": "{}",
            "endpoint": world.endpoint.pk,
        },
    )
    job = Job.objects.get()
    assert job.try_ref.number == 2 and job.status == "queued"


# --- nightly runs -----------------------------------------------------------------------------


def test_the_settings_page_marks_a_case_for_nightly_runs(world: World) -> None:
    client = client_for(world.teammate)
    settings_url = reverse("cases:settings", args=[world.case.pk])
    form = parse(client.get(settings_url).content).one("form#nightly-form")
    assert "checked" not in form.one("input[name=nightly]").attrs
    url = reverse("jobs:nightly", args=[world.case.pk])
    assert form.attrs["action"] == url
    assert client.post(url, {"nightly": "on"})["Location"] == settings_url
    assert CaseSchedule.objects.get(case=world.case).nightly
    assert "checked" in parse(client.get(settings_url).content).one("#id_nightly").attrs
    client.post(url, {})
    assert not CaseSchedule.objects.get(case=world.case).nightly
    world.case.public = True
    world.case.save()
    assert client_for(world.outsider).post(url, {"nightly": "on"}).status_code == 404


def test_the_nightly_schedule_queues_runs_of_marked_cases(world: World) -> None:
    from django.utils import timezone
    from django_q.models import Task
    from django_q.scheduler import scheduler

    other = Case.objects.create(name="Other", owner=world.owner, scorer=world.case.scorer)
    services.create_try(other, query_template="#$query##", endpoint=world.endpoint)
    archived = Case.objects.create(
        name="Old", owner=world.owner, scorer=world.case.scorer, archived=True
    )
    jobs.set_nightly(world.case, True)
    jobs.set_nightly(archived, True)
    schedule = worker.ensure_schedule()
    assert (schedule.func, schedule.cron, schedule.schedule_type) == (
        "searchbench.jobs.tasks.nightly_runs",
        "0 2 * * *",
        Schedule.CRON,
    )
    assert schedule.next_run > timezone.now()
    assert worker.ensure_schedule().pk == schedule.pk  # every worker start: still one
    # The night comes: django-q2's scheduler (the guard calls it) runs the task (here at once)…
    Schedule.objects.filter(pk=schedule.pk).update(next_run=timezone.now())
    scheduler()
    task = Task.objects.get(func="searchbench.jobs.tasks.nightly_runs")
    assert task.success and task.result == "started 1 run(s), skipped 0"
    schedule.refresh_from_db()
    assert schedule.next_run > timezone.now()
    # … which ran each marked case that is not archived.
    [job] = Job.objects.all()
    assert (job.case, job.params, job.created_by) == (world.case, {"trigger": "nightly"}, None)
    assert ScoreHistory.objects.filter(case=world.case).count() == 1
    # A case whose run is still going is not started twice.
    Job.objects.create(kind=Job.Kind.RUN, case=world.case, status=Job.Status.RUNNING)
    assert tasks.nightly_runs() == "started 0 run(s), skipped 1"


def test_a_scheduled_run_is_recorded_as_scheduled(world: World) -> None:
    jobs.set_nightly(world.case, True)
    assert tasks.nightly_runs() == "started 1 run(s), skipped 0"  # the test settings: run at once
    [history] = ScoreHistory.objects.filter(case=world.case)
    assert history.trigger == ScoreHistory.Trigger.SCHEDULE == "schedule"
    assert history.created_by is None
    # A run a person starts is recorded as one.
    jobs.start_run(world.case, user=world.owner)
    newest = ScoreHistory.objects.filter(case=world.case).latest("created_at", "id")
    assert (newest.trigger, newest.created_by) == ("run", world.owner)


def test_a_changed_cron_setting_moves_the_schedule(world: World) -> None:
    first = worker.ensure_schedule("0 2 * * *")
    moved = worker.ensure_schedule("30 4 * * 1")
    assert moved.pk == first.pk and moved.cron == "30 4 * * 1"
    assert (moved.next_run.weekday(), moved.next_run.hour, moved.next_run.minute) == (0, 4, 30)
    assert Schedule.objects.count() == 1


def test_a_job_row_reads_well_in_the_admin(world: World) -> None:
    job = jobs.start_run(world.case)
    assert str(job) == f"Run of case {world.case.pk} (done)"
    assert str(JobChunk(job=job, number=0)) == f"job {job.pk} chunk 0"


def test_a_rating_that_needs_a_whole_run_queues_one_instead_of_waiting(world: World, queued):
    client = client_for(world.owner)
    url = reverse("cases:rate", args=[world.case.pk, world.q_tent.pk])
    for doc in ("t1", "j1"):  # never run: the case score needs every query
        response = client.post(url, {"doc_id": doc, "rating": "1"}, HTTP_X_REQUESTED_WITH="fetch")
        assert response.status_code == 200
        panel = parse(response.content).one("#query-panel")
        assert panel.one("#query-score span.score").text == "1.000"  # the query, searched alone
    [job] = Job.objects.all()  # one run for both ratings
    assert (job.status, job.try_ref, job.created_by) == ("queued", world.try_, world.owner)
    assert not ScoreHistory.objects.exists()


def test_a_snapshot_task_delivered_again_takes_no_second_snapshot(world: World, queued) -> None:
    job = jobs.start_snapshot(world.case, "v2", user=world.owner)
    assert tasks.run_snapshot(job.pk) == "done"
    # The worker died after writing the snapshot, before the job was marked done.
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    assert tasks.run_snapshot(job.pk) == "done"
    assert world.case.snapshots.count() == 1


def test_the_nightly_task_drops_what_ended_runs_left(world: World, queued) -> None:
    from datetime import timedelta

    from django.utils import timezone

    job = jobs.start_run(world.case)
    JobResult.objects.create(job=job, query=world.q_tent, score=1.0)
    jobs.cancel(job)
    tasks.nightly_runs()
    assert JobResult.objects.filter(job=job).exists()  # kept for a day
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=2))
    tasks.nightly_runs()
    assert not JobResult.objects.filter(job=job).exists()
