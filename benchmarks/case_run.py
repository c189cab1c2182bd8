"""A 10,000-query case run end to end through real workers: the built-in engine and Solr over a
100,000-product catalogue, and scale-out against a remote-like JSON API.

    .venv/bin/python benchmarks/case_run.py [--quick] [--sections local,solr,scale]
        [--docs 100000] [--queries 10000] [--workers 1,2] [--scale-workers 1,2,3,4]
        [--rounds 2] [--latency-ms 20] [--scale-concurrency 4] [--solr-docs N]
        [--database-url postgres://…/sbbench] [--db sqlite,postgres] [--work-dir DIR]

``--quick``: 20,000 products, 1,000 queries, one round, chunks of 25 (about 1.5 minutes).

What runs is what a user runs: the case is stored in a database (10,000 queries, 12-16 graded
ratings each), ``jobs.services.start_run`` queues it as chunks (``SEARCHBENCH_JOB_CHUNK_SIZE``,
200), and
real ``searchbench worker`` processes (this checkout, started as ``python -m searchbench worker``)
take the chunks, search, score, save, and the last chunk records the run in the score history.
**total** is from ``start_run`` to the job's status ``done`` (polled every 50 ms), so it includes
queueing, the workers' polling of the queue (0.5 s) and recording the run. Each worker setup runs
a small warm-up case first (every worker process opens the index, its HTTP connections).

Sections:

- **local**: the built-in engine (tantivy; ``searchbench index create`` over the catalogue,
  fields title and body). One ``searchbench worker --processes N`` for N in ``--workers``: the
  embedded default, on SQLite (``--db sqlite,postgres``: on each, to see what SQLite's single
  writer costs two workers).
- **solr**: the same docs in a real Solr 9 started by the engine-test harness
  (tests/engines/harness_solr.py), same queries and ratings, edismax over title and body.
- **scale**: N separate ``searchbench worker --processes 1`` (as N machines would run them) on
  PostgreSQL, against a JSON API (``searchapi`` engine) served on loopback by an asyncio server in
  its own process that answers every request after ``--latency-ms`` (I/O-bound, like a remote
  engine). Each worker searches with ``--scale-concurrency`` threads, so that four workers' own CPU
  fits in this machine beside the database and the server (what N machines would give, each with
  its cores). Ratio = N workers' q/s ÷ (N × one worker's q/s), goal ≥ 0.8.

**bare engine** (the named peer of the local and solr sections), measured in the same run between
the workbench rounds: the adapter's ``search()`` on the same queries with the try as a chunk's
plan has it (``jobs.tasks.plan_batch``, what a chunk searches with: explain off) in as many
processes as the workers have, each with a thread pool of
``SEARCHBENCH_ENGINE_CONCURRENCY`` (8) — the engine and its client, without queue, database,
planning, scoring or recording. **engine share** = bare time ÷ total; **searchbench share** = the
rest; **overhead** = total ÷ bare − 1 (goal < 10 %; total goal < 60 s for 10,000 queries).

Best of ``--rounds`` for each figure (on a shared machine the least disturbed run is closest to the
real cost), with the median overhead beside it; the load average is printed with each row.
Databases: SQLite in the work directory; PostgreSQL at ``--database-url`` (default
``$SEARCHBENCH_BENCH_DATABASE_URL`` or postgres://searchbench:searchbench@127.0.0.1:5432/sbbench),
which is emptied first (and refused if it has users other than the benchmark's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import support  # noqa: E402

SEED = 20261129
CHUNK_SIZE = 200
ENGINE_CONCURRENCY = 8  # SEARCHBENCH_ENGINE_CONCURRENCY's default
WARMUP_QUERIES_PER_PROCESS = 40
RUN_TIMEOUT = 1800.0
GOAL_SECONDS = 60.0
GOAL_OVERHEAD = 10.0
GOAL_RATIO = 0.8

LOCAL_TEMPLATE = '{"query": "#$query##", "fields": ["title", "body"]}'
SOLR_TEMPLATE = "q=#$query##&defType=edismax&q.op=OR&qf=title body&tie=1.0"
API_TEMPLATE = "q=#$query##"
FIELD_SPEC = "id:id title:title"


# =============================================================================================
# The parent: catalogue, index, engines; one child process per section does the Django part


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.session:
        return session()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    print(f"case_run: {support.machine_line()}")
    with tempfile.TemporaryDirectory(prefix="searchbench-caserun-") as scratch:
        work = Path(args.work_dir or scratch)
        work.mkdir(parents=True, exist_ok=True)
        data = work / "data"
        began = time.monotonic()
        products = support.catalogue(args.docs, SEED)
        docs = [support.search_doc(p) for p in products]
        source = support.write_jsonl(work / "docs.jsonl", docs)
        queries = support.make_queries(products, args.queries, SEED)
        (work / "queries.json").write_text(json.dumps([[q.text, q.ratings] for q in queries]))
        del products
        ratings = sum(len(q.ratings) for q in queries)
        print(
            f"catalogue: {len(docs):,} products, {len(queries):,} queries, {ratings:,} ratings "
            f"({time.monotonic() - began:.1f} s)"
        )
        results: list[dict[str, Any]] = []
        if "local" in sections:
            results += local_section(args, work, data, source)
        if "solr" in sections:
            results += solr_section(args, work, data, docs)
        if "scale" in sections:
            results += scale_section(args, work, data, len(docs))
        print_summary(results)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run, under two minutes")
    parser.add_argument("--sections", default="local,solr,scale")
    parser.add_argument("--docs", type=int, default=None, help="products (default 100,000)")
    parser.add_argument("--queries", type=int, default=None, help="queries (default 10,000)")
    parser.add_argument("--workers", default="1,2", help="worker processes, local and solr")
    parser.add_argument("--scale-workers", default="1,2,3,4")
    parser.add_argument("--rounds", type=int, default=None, help="timed runs each (default 2)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--scale-concurrency",
        type=int,
        default=4,
        help="SEARCHBENCH_ENGINE_CONCURRENCY of each scale-out worker (default 4)",
    )
    parser.add_argument("--solr-docs", type=int, default=None, help="docs indexed into Solr")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        help=f"SEARCHBENCH_JOB_CHUNK_SIZE (default {CHUNK_SIZE}; --quick: 25, so that four "
        "workers have chunks to share)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SEARCHBENCH_BENCH_DATABASE_URL", support.DEFAULT_DATABASE_URL),
        help="PostgreSQL for the scale-out (emptied first)",
    )
    parser.add_argument(
        "--db", default="sqlite", help="database(s) of the local and solr sections: sqlite,postgres"
    )
    parser.add_argument("--work-dir", type=Path, default=None, help="keep files here")
    parser.add_argument("--session", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.docs = args.docs or 20_000
        args.queries = args.queries or 1_000
        args.rounds = args.rounds or 1
        args.chunk_size = args.chunk_size or 25
    args.chunk_size = args.chunk_size or CHUNK_SIZE
    args.docs = args.docs or 100_000
    args.queries = args.queries or 10_000
    args.rounds = args.rounds or 2
    args.solr_docs = min(args.solr_docs or args.docs, args.docs)
    args.databases = [d.strip() for d in args.db.split(",") if d.strip()]
    unknown = set(args.databases) - {"sqlite", "postgres"}
    if unknown or not args.databases:
        parser.error(f"--db: sqlite and/or postgres, not {args.db!r}")
    return args


def levels(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip()]


def local_section(
    args: argparse.Namespace, work: Path, data: Path, source: Path
) -> list[dict[str, Any]]:
    began = time.monotonic()
    env = support.process_env(data)
    command = support.searchbench_command(
        "index", "create", "products", "--from", str(source), "--fields", "title,body", "--quiet"
    )
    subprocess.run(command, env=env, cwd=REPO, check=True)
    print(
        f"\nbuilt-in engine: index of {args.docs:,} docs built in {time.monotonic() - began:.1f} s"
    )
    endpoint = {"kind": "local", "url": "local://products"}
    rows = []
    for database in args.databases:
        rows += run_section(
            args, work, data, "local", "built-in", database, endpoint, LOCAL_TEMPLATE, peer=True
        )
    return rows


def solr_section(
    args: argparse.Namespace, work: Path, data: Path, docs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    from tests.engines.harness import HarnessError
    from tests.engines.harness_solr import CORE, index_documents, start_solr

    try:
        node = start_solr(work / "solr")
    except (HarnessError, Exception, BaseException) as exc:
        # service_missing is a pytest skip (a BaseException) on a machine without Java or Maven
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"\nsolr: not run ({type(exc).__name__}: {str(exc)[:300]})")
        return []
    try:
        core = f"{node.url}/{CORE}"
        began = time.monotonic()
        indexed = index_documents(core, docs[: args.solr_docs], batch=2000)
        print(
            f"\nsolr: started in {node.start_seconds:.1f} s; {indexed:,} docs indexed in "
            f"{time.monotonic() - began:.1f} s"
            + ("" if indexed == len(docs) else f" (of {len(docs):,}: --solr-docs)")
        )
        endpoint = {"kind": "solr", "url": core, "timeout": 30.0}
        rows = []
        for database in args.databases:
            rows += run_section(
                args, work, data, "solr", "Solr", database, endpoint, SOLR_TEMPLATE, peer=True
            )
        return rows
    finally:
        node.stop()


def scale_section(
    args: argparse.Namespace, work: Path, data: Path, doc_count: int
) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    server = context.Process(
        target=serve_api, args=(args.latency_ms / 1000, doc_count, ready), daemon=True
    )
    server.start()
    try:
        port = ready.get(timeout=30)
        print(
            f"\nJSON API: asyncio server on 127.0.0.1:{port}, every answer after "
            f"{args.latency_ms:g} ms (10 docs)"
        )
        endpoint = {
            "kind": "searchapi",
            "url": f"http://127.0.0.1:{port}/search",
            "options": {"docs_path": "docs", "total_path": "total"},
            "timeout": 30.0,
        }
        return run_section(
            args, work, data, "scale", "JSON API", "postgres", endpoint, API_TEMPLATE, peer=False
        )
    finally:
        server.terminate()
        server.join(5)


def run_section(
    args: argparse.Namespace,
    work: Path,
    data: Path,
    section: str,
    engine: str,
    database: str,
    endpoint: dict[str, Any],
    template: str,
    *,
    peer: bool,
) -> list[dict[str, Any]]:
    scale = section == "scale"
    spec = {
        "section": section,
        "engine": engine,
        "endpoint": endpoint,
        "template": template,
        "queries_file": str(work / "queries.json"),
        "work": str(work / section),
        "rounds": args.rounds,
        "peer": peer,
        "experiments": [
            {
                "workers": n,
                # local/solr: one worker with N processes (the embedded default's shape);
                # scale: N workers of one process each, as N machines.
                "layout": "machines" if scale else "processes",
                "concurrency": args.scale_concurrency if scale else ENGINE_CONCURRENCY,
            }
            for n in levels(args.scale_workers if scale else args.workers)
        ],
    }
    if database == "sqlite":
        database_url = None
        db_label = "SQLite"
        (data / "searchbench.sqlite3").unlink(missing_ok=True)
    else:
        database_url = args.database_url
        db_label = "PostgreSQL"
    env = support.process_env(data, database_url, SEARCHBENCH_JOB_CHUNK_SIZE=str(args.chunk_size))
    print(
        f"{engine} on {db_label}: {args.queries:,} queries a run, chunks of {args.chunk_size}, "
        f"best of {args.rounds}"
    )
    print_header(section)
    rows = []
    for row in support.run_json(
        [sys.executable, str(Path(__file__).resolve()), "--session"], env, json.dumps(spec)
    ):
        row.update(engine=engine, database=db_label, section=section)
        print_row(row)
        support.note(
            f"{'':>8}(rounds {', '.join(f'{s:.1f}' for s in row['rounds'])} s; queued in "
            f"{row['enqueue_seconds']:.2f} s, first chunk taken after "
            f"{row['first_chunk_seconds']:.2f} s, chunks busy {row['chunk_busy_seconds']:.1f} s "
            f"in all, score {row['score']:.4f})"
        )
        rows.append(row)
    if scale and rows:
        print_scale(rows)
    return rows


# =============================================================================================
# The JSON API that answers after a fixed delay (its own process: it must not share a GIL)


def serve_api(latency: float, doc_count: int, ready: Any) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    break
                length = 0
                while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length:
                    await reader.readexactly(length)
                await asyncio.sleep(latency)
                rng = random.Random(request_line)
                docs = [
                    {"id": f"P{n:05d}", "title": f"product {n}"}
                    for n in rng.sample(range(1, doc_count + 1), 10)
                ]
                body = json.dumps({"total": 10, "docs": docs}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def run() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", 0, backlog=1024)
        ready.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(run())


# =============================================================================================
# The child: Django on the section's database; workers; timed runs; the bare-engine peer


def session() -> int:
    spec = json.loads(sys.stdin.read())
    support.setup_django()
    support.fresh_database()
    queries = json.loads(Path(spec["queries_file"]).read_text())
    case, warmup, try_config, endpoint_config = make_cases(spec, queries)
    texts = [text for text, _ratings in queries]
    for experiment in spec["experiments"]:
        run_experiment(spec, experiment, case, warmup, texts, try_config, endpoint_config)
    return 0


def make_cases(spec: dict[str, Any], queries: list[list[Any]]) -> tuple[Any, Any, Any, Any]:
    """The benchmark case (every query, with ratings) and a small warm-up case, same try."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from searchbench.cases import services
    from searchbench.cases.models import Case, Query, Rating, Scorer, SearchEndpoint
    from searchbench.jobs import tasks

    began = time.monotonic()
    user = get_user_model().objects.create_user(support.BENCH_USER, password=support.BENCH_PASSWORD)
    endpoint = SearchEndpoint.objects.create(name=spec["engine"], owner=user, **spec["endpoint"])
    scorer = Scorer.objects.get(name="nDCG@10")
    made = []
    for name, subset in (
        ("bench", queries),
        ("warm-up", queries[: 8 * WARMUP_QUERIES_PER_PROCESS]),
    ):
        with transaction.atomic():
            case = Case.objects.create(name=f"{spec['engine']} {name}", owner=user, scorer=scorer)
            services.create_try(
                case,
                query_template=spec["template"],
                field_spec=FIELD_SPEC,
                rows=10,
                endpoint=endpoint,
            )
            rows = Query.objects.bulk_create(
                (Query(case=case, text=text, position=n) for n, (text, _r) in enumerate(subset, 1)),
                batch_size=1000,
            )
            Rating.objects.bulk_create(
                (
                    Rating(query=query, doc_id=doc_id, rating=float(grade), rated_by=user)
                    for query, (_text, ratings) in zip(rows, subset, strict=True)
                    for doc_id, grade in ratings.items()
                ),
                batch_size=2000,
            )
        made.append(case)
    support.note(f"  cases stored in {time.monotonic() - began:.1f} s")
    case, warmup = made
    # The try as a chunk's plan has it.
    plan = tasks.plan_batch(case, case.current_try(), [])
    return case, warmup, plan.try_config, endpoint.to_config()


def run_experiment(
    spec: dict[str, Any],
    experiment: dict[str, Any],
    case: Any,
    warmup: Any,
    texts: list[str],
    try_config: Any,
    endpoint_config: Any,
) -> None:
    workers = experiment["workers"]
    concurrency = experiment["concurrency"]
    env = support.process_env(
        Path(os.environ["SEARCHBENCH_DATA_DIR"]),
        os.environ.get("DATABASE_URL"),
        SEARCHBENCH_JOB_CHUNK_SIZE=os.environ["SEARCHBENCH_JOB_CHUNK_SIZE"],
        SEARCHBENCH_ENGINE_CONCURRENCY=str(concurrency),
    )
    logs = Path(spec["work"]) / f"workers-{workers}"
    with support.Processes(logs) as processes:
        if experiment["layout"] == "processes":
            processes.start(
                "worker", support.searchbench_command("worker", "--processes", str(workers)), env
            )
        else:
            for n in range(workers):
                processes.start(
                    f"worker-{n + 1}",
                    support.searchbench_command("worker", "--processes", "1"),
                    env,
                )
        peers = (
            PeerPool(workers, concurrency, endpoint_config, try_config, texts)
            if spec["peer"]
            else None
        )
        try:
            timed_run(warmup, processes, chunk_size=max(1, WARMUP_QUERIES_PER_PROCESS // 2))
            runs, bare = [], []
            for _ in range(spec["rounds"]):
                runs.append(timed_run(case, processes))
                if peers is not None:
                    bare.append(peers.run())
        finally:
            if peers is not None:
                peers.close()
    best = min(runs, key=lambda r: r["seconds"])
    row: dict[str, Any] = {
        "workers": workers,
        "layout": experiment["layout"],
        "concurrency": concurrency,
        "queries": len(texts),
        **best,
        "load": support.load_average(),
        "rounds": [r["seconds"] for r in runs],
    }
    if bare:
        row["bare_seconds"] = min(b["seconds"] for b in bare)
        row["bare_errors"] = bare[0]["errors"]
        row["overhead"] = (row["seconds"] / row["bare_seconds"] - 1) * 100
        row["median_overhead"] = statistics.median(
            (r["seconds"] / b["seconds"] - 1) * 100 for r, b in zip(runs, bare, strict=True)
        )
    support.emit(**row)


def timed_run(
    case: Any, processes: support.Processes, chunk_size: int | None = None
) -> dict[str, Any]:
    """Queue a run of the case and wait for its job to end; what it took and what it left."""
    from django.conf import settings
    from django.db.models import Max

    from searchbench.cases.models import ScoreHistory
    from searchbench.jobs.models import Job
    from searchbench.jobs.services import start_run

    saved = settings.SEARCHBENCH_JOB_CHUNK_SIZE
    if chunk_size:
        settings.SEARCHBENCH_JOB_CHUNK_SIZE = chunk_size
    try:
        began = time.monotonic()
        job = start_run(case, trigger="benchmark")
        queued = time.monotonic() - began
        deadline = began + RUN_TIMEOUT
        while True:
            status = Job.objects.filter(pk=job.pk).values_list("status", flat=True).get()
            if status not in Job.ACTIVE:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"job {job.pk} still {status} after {RUN_TIMEOUT:.0f} s")
            processes.check()
            time.sleep(0.05)
        seconds = time.monotonic() - began
    finally:
        settings.SEARCHBENCH_JOB_CHUNK_SIZE = saved
    job.refresh_from_db()
    if job.status != Job.Status.DONE:
        raise RuntimeError(f"job {job.pk} ended {job.status}: {job.error}")
    history = ScoreHistory.objects.get(pk=job.result["history_id"])
    chunks = job.chunks.all()
    busy = sum((c.finished_at - c.started_at).total_seconds() for c in chunks if c.finished_at)
    first = min(c.started_at for c in chunks)
    return {
        "seconds": seconds,
        "qps": job.total / seconds,
        "enqueue_seconds": queued,
        "first_chunk_seconds": (first - job.created_at).total_seconds(),
        "chunk_busy_seconds": busy,
        "chunks": len(chunks),
        "max_attempts": chunks.aggregate(m=Max("attempts"))["m"],
        "failed": job.failed,
        "recorded": history.num_queries,
        "score": job.result["score"],
    }


class PeerPool:
    """The bare engine: ``workers`` processes, each a thread pool of ``concurrency`` calling the
    adapter's ``search()`` on its share of the queries. Started once (spawned, engines ready),
    timed from a common start to the last process's end."""

    def __init__(
        self, workers: int, concurrency: int, endpoint: Any, try_config: Any, texts: list[str]
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.start = context.Barrier(workers + 1)
        self.done = context.Queue()
        self.processes = [
            context.Process(
                target=peer_process,
                args=(endpoint, try_config, texts[n::workers], concurrency, self.start, self.done),
                daemon=True,
            )
            for n in range(workers)
        ]
        for process in self.processes:
            process.start()
        self.ready = [self.done.get(timeout=120) for _ in self.processes]  # warmed up

    def run(self) -> dict[str, Any]:
        self.start.wait()
        began = time.monotonic()
        answers = [self.done.get(timeout=RUN_TIMEOUT) for _ in self.processes]
        return {
            "seconds": max(end for end, _errors in answers) - began,
            "errors": sum(errors for _end, errors in answers),
        }

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
            process.join(5)


def peer_process(
    endpoint: Any, try_config: Any, texts: list[str], concurrency: int, start: Any, done: Any
) -> None:
    from searchbench.domain.search import QueryContext
    from searchbench.engines import make_engine

    engine = make_engine(endpoint)
    contexts = [QueryContext(text) for text in texts]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(lambda q: engine.search(q, try_config), contexts[: 4 * concurrency]))
        done.put("ready")
        while True:
            start.wait()
            # Counted as they come and not kept, as a chunk keeps only its batch: holding 10,000
            # results makes Python's cyclic GC slow the peer down.
            errors = sum(
                1 for r in pool.map(lambda q: engine.search(q, try_config), contexts) if r.error
            )
            done.put((time.monotonic(), errors))


# =============================================================================================
# Tables


def print_header(section: str) -> None:
    if section == "scale":
        print(
            f"{'workers':>8}{'conc':>6}{'total s':>9}{'q/s':>8}{'chunks':>8}{'failed':>8}{'load':>16}"
        )
        return
    print(
        f"{'workers':>8}{'total s':>9}{'q/s':>8}{'bare s':>8}{'bare q/s':>10}{'engine':>8}"
        f"{'searchbench':>13}{'overhead':>10}{'median':>8}{'failed':>8}{'load':>16}"
    )


def print_row(row: dict[str, Any]) -> None:
    if row["section"] == "scale":
        print(
            f"{row['workers']:>8}{row['concurrency']:>6}{row['seconds']:>9.1f}{row['qps']:>8.0f}"
            f"{row['chunks']:>8}{row['failed']:>8}{row['load']:>16}",
            flush=True,
        )
        return
    bare = row["bare_seconds"]
    share = bare / row["seconds"] * 100
    print(
        f"{row['workers']:>8}{row['seconds']:>9.1f}{row['qps']:>8.0f}{bare:>8.1f}"
        f"{row['queries'] / bare:>10.0f}{share:>7.0f}%{100 - share:>12.0f}%"
        f"{row['overhead']:>+9.0f}%{row['median_overhead']:>+7.0f}%{row['failed']:>8}{row['load']:>16}",
        flush=True,
    )


def print_scale(rows: list[dict[str, Any]]) -> None:
    one = next((r["qps"] for r in rows if r["workers"] == 1), None)
    if one is None:
        return
    print(f"\n{'workers':>8}{'q/s':>8}{'N × one':>9}{'ratio':>7}  (goal ≥ {GOAL_RATIO})")
    for row in rows:
        ideal = one * row["workers"]
        print(f"{row['workers']:>8}{row['qps']:>8.0f}{ideal:>9.0f}{row['qps'] / ideal:>7.2f}")


def print_summary(rows: list[dict[str, Any]]) -> None:
    print(f"\nend: {support.machine_line()}")
    for row in rows:
        if row["section"] == "scale":
            continue
        verdicts = []
        if row["queries"] >= 10_000:
            verdicts.append(
                f"{row['seconds']:.0f} s {'<' if row['seconds'] < GOAL_SECONDS else '≥'} "
                f"{GOAL_SECONDS:.0f} s goal"
            )
        verdicts.append(
            f"overhead {row['overhead']:+.1f}% "
            f"({'within' if row['overhead'] < GOAL_OVERHEAD else 'OVER'} the {GOAL_OVERHEAD:.0f}% goal)"
        )
        print(
            f"{row['engine']} on {row['database']}, {row['workers']} worker process(es): "
            + "; ".join(verdicts)
        )
    scale = [r for r in rows if r["section"] == "scale"]
    one = next((r["qps"] for r in scale if r["workers"] == 1), None)
    if one:
        worst = min(r["qps"] / (one * r["workers"]) for r in scale)
        print(
            f"scale-out: worst ratio {worst:.2f} "
            f"({'meets' if worst >= GOAL_RATIO else 'BELOW'} the {GOAL_RATIO} goal)"
        )


if __name__ == "__main__":
    sys.exit(main())
