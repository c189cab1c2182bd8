"""Raters under load: 50 people rating at once on the production server while a 10,000-query run
goes on in a worker, then a check that no acknowledged rating was lost.

    .venv/bin/python benchmarks/rating_load.py [--quick] [--users 50] [--seconds 60]
        [--think 0.5,2] [--docs 100000] [--queries 10000] [--web-workers 2]
        [--worker-nice N] [--no-background] [--database-url postgres://…/sbbench] [--work-dir DIR]

Needs the bench extra (locust): ``make venv LOCK=requirements/bench.lock``. ``--quick``: 20 s
measured, 20,000 products, 2,000 queries (still 50 raters).

Set-up, as a deployment has it: PostgreSQL at ``--database-url`` (default
``$SEARCHBENCH_BENCH_DATABASE_URL`` or postgres://searchbench:searchbench@127.0.0.1:5432/sbbench;
emptied first, refused if it has users other than the benchmark's), the built-in engine over the
catalogue of benchmarks/case_run.py (100,000 products), one case of 10,000 queries shared with a
team of 50 raters, ``searchbench serve`` (gunicorn, gthread, ``WEB_CONCURRENCY`` 2 processes × 4
threads, static files collected) and one ``searchbench worker`` (2 processes). The case is run
once through the worker before the load, so ratings fold into a recorded run as they do in use.

Then a run of the case is queued, and another each time one ends, so a run is in progress for the
whole measurement; and ``--users`` raters (locust, in a process of its own) each log in once with
their own account (real log-in page, CSRF token, password check: not timed, and never a failed
attempt, so django-axes' throttle is not involved), wait until all are in, and then, for
``--seconds``, repeat: open one of their queries' page (``GET query page``: a search), and rate
three of its results the way the page's JavaScript does (``POST rating``: the form's CSRF token,
``X-Requested-With: fetch``, a value from the page's own buttons; the server stores the rating,
searches the query again, re-scores it into the case's current scores and answers the query
panel), thinking ``--think`` seconds (uniform) before each click. Each rater has its own queries, so
every (query, doc) is rated by one person and "the last value acknowledged" is well defined.

Reported: requests/s and p50/p95/p99 (ms, locust's percentiles) per request kind over the
measured window; how far the background runs got; and the check: for every (query, doc) whose
rating was answered 2xx, the stored rating is the last acknowledged value, by that rater.
Goal: p95 of ``POST rating`` < 100 ms; 0 lost.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import support  # noqa: E402

SEED = 20261129
GOAL_P95_MS = 100.0
TEAM = "raters"
RATES_PER_PAGE = 3
RUN_QUEUE_POLL = 0.5


# =============================================================================================
# The parent: database, server, worker, background runs, the check


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.locust:
        return locust_main()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(f"rating_load: {support.machine_line()}")
    with tempfile.TemporaryDirectory(prefix="searchbench-ratings-") as scratch:
        work = Path(args.work_dir or scratch)
        work.mkdir(parents=True, exist_ok=True)
        return run(args, work)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a shorter run, under two minutes")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=None, help="measured (default 60)")
    parser.add_argument(
        "--think", default="0.5,2", help="MIN,MAX seconds a rater waits before each click"
    )
    parser.add_argument("--docs", type=int, default=None, help="products (default 100,000)")
    parser.add_argument("--queries", type=int, default=None, help="queries (default 10,000)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="start the worker under nice -n N (the web server keeps priority 0)",
    )
    parser.add_argument(
        "--no-background",
        action="store_true",
        help="no run during the load (to see what the run costs the raters)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SEARCHBENCH_BENCH_DATABASE_URL", support.DEFAULT_DATABASE_URL),
    )
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--locust", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = args.seconds or 20.0
        args.docs = args.docs or 20_000
        args.queries = args.queries or 2_000
    args.seconds = args.seconds or 60.0
    args.docs = args.docs or 100_000
    args.queries = args.queries or 10_000
    return args


def run(args: argparse.Namespace, work: Path) -> int:
    data = work / "data"
    port = support.free_port()
    env = support.process_env(
        data,
        args.database_url,
        SEARCHBENCH_STATIC_ROOT=str(work / "static"),
        WEB_CONCURRENCY=str(args.web_workers),
    )
    began = time.monotonic()
    products = support.catalogue(args.docs, SEED)
    source = support.write_jsonl(work / "docs.jsonl", [support.search_doc(p) for p in products])
    queries = support.make_queries(products, args.queries, SEED)
    del products
    subprocess.run(
        support.searchbench_command(
            "index",
            "create",
            "products",
            "--from",
            str(source),
            "--fields",
            "title,body",
            "--quiet",
        ),
        env=env,
        cwd=REPO,
        check=True,
    )
    # This process is a searchbench process too (set-up, background runs, the check).
    for key in [k for k in os.environ if k.startswith(("SEARCHBENCH_", "DATABASE_URL"))]:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith(("SEARCHBENCH_", "DATABASE"))})
    support.setup_django()
    support.fresh_database()
    case, raters = make_case(queries, args.users)
    print(
        f"set-up: {args.docs:,} products indexed, case of {len(queries):,} queries, "
        f"{args.users} raters ({time.monotonic() - began:.1f} s); PostgreSQL, "
        f"gunicorn {args.web_workers} × 4 threads, 1 worker × 2 processes"
        + (f" (nice {args.worker_nice})" if args.worker_nice else "")
    )
    with support.Processes(work / "logs") as processes:
        nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
        processes.start("worker", nice + support.searchbench_command("worker"), env)
        processes.start(
            "web",
            support.searchbench_command(
                "serve", "--port", str(port), "--workers", str(args.web_workers)
            ),
            env,
        )
        host = f"http://127.0.0.1:{port}"
        wait_for_server(host, processes)
        first = time.monotonic()
        wait_for_job(start_run(case), processes)
        print(f"first run of the case (recorded before the load): {time.monotonic() - first:.1f} s")
        background = Background(case, enabled=not args.no_background)
        spec = {
            "host": host,
            "case_id": case.pk,
            "raters": raters,
            "password": support.BENCH_PASSWORD,
            "seconds": args.seconds,
            "think": [float(t) for t in args.think.split(",")],
            "acknowledged_file": str(work / "acknowledged.json"),
        }
        result = drive_locust(spec, env, background, processes)
        background.stop()
    acknowledged = json.loads(Path(spec["acknowledged_file"]).read_text())
    lost = check_ratings(case, acknowledged)
    report(args, result, background, acknowledged, lost)
    return 0 if not lost else 1


def make_case(queries: list[support.BenchQuery], users: int) -> tuple[Any, list[dict[str, Any]]]:
    """The case (owned by the bench user, shared with a team of raters) with its try; each rater's
    share of the queries."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from searchbench.accounts.models import Membership, Team
    from searchbench.cases import services
    from searchbench.cases.models import Case, Query, Rating, Scorer, SearchEndpoint

    User = get_user_model()
    with transaction.atomic():
        owner = User.objects.create_user(support.BENCH_USER, password=support.BENCH_PASSWORD)
        password = make_password(support.BENCH_PASSWORD)  # one hash for all: set-up stays quick
        names = [f"rater{n:02d}" for n in range(1, users + 1)]
        people = User.objects.bulk_create(User(username=name, password=password) for name in names)
        team = Team.objects.create(name=TEAM)
        Membership.objects.bulk_create(
            [Membership(team=team, user=owner, role=Membership.Role.OWNER)]
            + [Membership(team=team, user=p, role=Membership.Role.MEMBER) for p in people]
        )
        endpoint = SearchEndpoint.objects.create(
            name="catalogue", kind="local", url="local://products", owner=owner
        )
        case = Case.objects.create(
            name="Ratings under load", owner=owner, scorer=Scorer.objects.get(name="nDCG@10")
        )
        case.teams.add(team)
        services.create_try(
            case,
            query_template='{"query": "#$query##", "fields": ["title", "body"]}',
            field_spec="id:id title:title body",
            rows=10,
            endpoint=endpoint,
        )
        rows = Query.objects.bulk_create(
            (Query(case=case, text=q.text, position=n) for n, q in enumerate(queries, 1)),
            batch_size=1000,
        )
        Rating.objects.bulk_create(
            (
                Rating(query=row, doc_id=doc_id, rating=float(grade), rated_by=owner)
                for row, q in zip(rows, queries, strict=True)
                for doc_id, grade in q.ratings.items()
            ),
            batch_size=2000,
        )
    ids = [row.pk for row in rows]
    raters = [{"username": name, "queries": ids[n::users]} for n, name in enumerate(names)]
    return case, raters


def start_run(case: Any) -> Any:
    from searchbench.jobs.services import start_run as queue

    return queue(case, trigger="benchmark")


def wait_for_job(job: Any, processes: support.Processes, timeout: float = 900) -> None:
    from searchbench.jobs.models import Job

    deadline = time.monotonic() + timeout
    while Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).exists():
        processes.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {job.pk} did not finish in {timeout:.0f} s")
        time.sleep(0.2)
    job.refresh_from_db()
    if job.status != Job.Status.DONE:
        raise RuntimeError(f"job {job.pk} ended {job.status}: {job.error}")


def wait_for_server(host: str, processes: support.Processes, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        try:
            if httpx.get(f"{host}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server did not answer on {host} within {timeout:.0f} s")


class Background:
    """Keeps a run of the case in progress: queues one, and another when it ends."""

    def __init__(self, case: Any, enabled: bool = True) -> None:
        self.case = case
        self.enabled = enabled
        self.job = start_run(case) if enabled else None
        self.finished: list[Any] = []
        self.window: tuple[float, float] | None = None

    def poll(self) -> None:
        from searchbench.jobs.models import Job

        if self.job is None:
            return
        self.job.refresh_from_db()
        if self.job.status in Job.ACTIVE:
            return
        if self.job.status != Job.Status.DONE:
            raise RuntimeError(
                f"background run {self.job.pk} ended {self.job.status}: {self.job.error}"
            )
        self.finished.append(self.job)
        self.job = start_run(self.case)

    def stop(self) -> None:
        from searchbench.jobs import services

        if self.job is not None:
            services.cancel(self.job)

    def progress(self) -> tuple[int, float]:
        """(runs finished, queries searched so far) by all the background runs."""
        if self.job is None:
            return 0, 0.0
        self.job.refresh_from_db()
        return len(self.finished), sum(j.total for j in self.finished) + self.job.done


def drive_locust(
    spec: dict[str, Any], env: dict[str, str], background: Background, processes: support.Processes
) -> dict[str, Any]:
    """Run the raters in their own process (gevent must not patch this one) while keeping a run
    in progress; returns the child's statistics."""
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--locust"],
        env=env,
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(spec))
    child.stdin.close()
    lines: queue.Queue[str | None] = queue.Queue()

    def read(stream: Any) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, args=(child.stdout,), daemon=True).start()
    result: dict[str, Any] | None = None
    window_start: tuple[float, float, int] | None = None
    while True:
        try:
            line = lines.get(timeout=RUN_QUEUE_POLL)
        except queue.Empty:
            line = ""
        if line is None:
            break
        if line.startswith("{"):
            message = json.loads(line)
            if "log" in message:
                print(message["log"], file=sys.stderr, flush=True)
            elif message.get("event") == "measuring":
                runs, searched = background.progress()
                window_start = (time.monotonic(), searched, runs)
            elif message.get("event") == "done":
                result = message
                if window_start is not None:
                    runs, searched = background.progress()
                    background.window = (
                        time.monotonic() - window_start[0],
                        searched - window_start[1],
                    )
                    result["runs_during"] = runs - window_start[2]
        elif line:
            print(line, end="", file=sys.stderr, flush=True)
        background.poll()
        processes.check()
    child.wait()
    if child.returncode != 0 or result is None:
        raise RuntimeError(f"the locust process exited with {child.returncode}")
    return result


def check_ratings(case: Any, acknowledged: list[list[Any]]) -> list[str]:
    """Every (query, doc) answered 2xx: the stored rating is the last value acknowledged, by the
    rater who sent it. Returns what does not hold."""
    from searchbench.cases.models import Rating

    last: dict[tuple[int, str], tuple[float, str]] = {}
    for query_id, doc_id, value, username in acknowledged:
        last[(int(query_id), doc_id)] = (float(value), username)
    stored = {
        (q, d): (v, u)
        for q, d, v, u in Rating.objects.filter(query__case=case).values_list(
            "query_id", "doc_id", "rating", "rated_by__username"
        )
    }
    problems = []
    for key, (value, username) in last.items():
        have = stored.get(key)
        if have is None:
            problems.append(f"query {key[0]} doc {key[1]}: acknowledged {value:g}, not stored")
        elif have != (value, username):
            problems.append(
                f"query {key[0]} doc {key[1]}: acknowledged {value:g} by {username}, "
                f"stored {have[0]:g} by {have[1]}"
            )
    return problems


def report(
    args: argparse.Namespace,
    result: dict[str, Any],
    background: Background,
    acknowledged: list[list[Any]],
    lost: list[str],
) -> None:
    seconds = result["seconds"]
    print(
        f"\n{args.users} raters, {seconds:.0f} s measured (after all logged in: "
        f"{result['login_seconds']:.1f} s), thinking {args.think.replace(',', '–')} s per click"
    )
    print(
        f"{'request':<18}{'count':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'non-2xx':>9}"
    )
    for row in result["stats"]:
        print(
            f"{row['name']:<18}{row['count']:>8}{row['count'] / seconds:>8.1f}{row['p50']:>8.0f}"
            f"{row['p95']:>8.0f}{row['p99']:>8.0f}{row['max']:>8.0f}{row['failures']:>9}"
        )
    for error in result.get("errors", []):
        print(f"  non-2xx: {error}")
    if not background.enabled:
        print("background: none (--no-background)")
    elif background.window:
        window, searched = background.window
        print(
            f"background: a run in progress throughout; {result.get('runs_during', 0)} run(s) "
            f"finished in the window, {searched:,.0f} queries searched ({searched / window:.0f} q/s)"
        )
    pairs = len({(q, d) for q, d, _v, _u in acknowledged})
    print(
        f"check: {len(acknowledged):,} ratings answered 2xx on {pairs:,} (query, doc) pairs; "
        f"lost: {len(lost)}"
    )
    for problem in lost[:10]:
        print(f"  {problem}")
    rating = next((r for r in result["stats"] if r["name"] == "POST rating"), None)
    print(f"\nend: {support.machine_line()}")
    if rating:
        verdict = "meets" if rating["p95"] < GOAL_P95_MS else "MISSES"
        print(f"POST rating p95 {rating['p95']:.0f} ms: {verdict} the {GOAL_P95_MS:.0f} ms goal")


# =============================================================================================
# The raters (locust, in a process of its own: gevent patches the process it runs in)


def locust_main() -> int:
    import gevent
    from gevent.event import Event
    from locust import HttpUser, between, constant, task
    from locust.env import Environment
    from locust.exception import StopUser

    spec = json.loads(sys.stdin.read())
    raters = list(spec["raters"])
    case_id = spec["case_id"]
    think_min, think_max = spec["think"]
    everyone_in = Event()
    logged_in: list[str] = []
    acknowledged: list[list[Any]] = []
    say = lambda **m: print(json.dumps(m), flush=True)  # noqa: E731

    token_re = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    doc_re = re.compile(r'data-doc-id="([^"]+)"')
    value_re = re.compile(r'name="rating" value="([^"]+)"')

    class Rater(HttpUser):
        wait_time = between(think_min, think_max) if think_max > 0 else constant(0)

        def on_start(self) -> None:
            me = raters.pop(0)
            self.username = me["username"]
            self.queries = list(me["queries"])
            self.turn = 0
            page = self.client.get("/accounts/login/", name="log-in page")
            token = token_re.search(page.text)
            answer = self.client.post(
                "/accounts/login/",
                data={
                    "username": self.username,
                    "password": spec["password"],
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                    "next": "/",
                },
                name="log in",
                allow_redirects=False,
            )
            if answer.status_code != 302:
                say(log=f"{self.username}: log-in answered {answer.status_code}; stopping")
                raise StopUser()
            logged_in.append(self.username)
            if len(logged_in) == len(spec["raters"]):
                everyone_in.set()
            everyone_in.wait()

        @task
        def rate_a_query(self) -> None:
            query_id = self.queries[self.turn % len(self.queries)]
            self.turn += 1
            url = f"/cases/{case_id}/queries/{query_id}/"
            with self.client.get(url, name="GET query page", catch_response=True) as page:
                if page.status_code != 200:
                    page.failure(f"HTTP {page.status_code}")
                    return
                token = token_re.search(page.text)
                docs = doc_re.findall(page.text)
                values = sorted(set(value_re.findall(page.text)) - {"clear"})
            if not token or not docs or not values:
                return
            for n, doc_id in enumerate(docs[:RATES_PER_PAGE]):
                gevent.sleep(self.wait_time())  # reading the result before the click
                value = values[(query_id + n + self.turn) % len(values)]
                answer = self.client.post(
                    f"{url}rate",
                    data={"csrfmiddlewaretoken": token.group(1), "doc_id": doc_id, "rating": value},
                    headers={"X-Requested-With": "fetch", "Origin": self.host},
                    name="POST rating",
                )
                if 200 <= answer.status_code < 300:
                    acknowledged.append([query_id, doc_id, value, self.username])

    environment = Environment(user_classes=[Rater], host=spec["host"])
    runner = environment.create_local_runner()
    began = time.monotonic()
    runner.start(len(spec["raters"]), spawn_rate=len(spec["raters"]))
    if not everyone_in.wait(timeout=300):
        say(log=f"only {len(logged_in)} of {len(spec['raters'])} raters logged in within 300 s")
        runner.quit()
        return 1
    login_seconds = time.monotonic() - began
    environment.stats.reset_all()
    say(event="measuring")
    measured = time.monotonic()
    gevent.sleep(spec["seconds"])
    runner.quit()
    seconds = time.monotonic() - measured
    stats = []
    for name in ("GET query page", "POST rating"):
        entry = environment.stats.get(name, "GET" if name.startswith("GET") else "POST")
        stats.append(
            {
                "name": name,
                "count": entry.num_requests,
                "failures": entry.num_failures,
                "p50": entry.get_response_time_percentile(0.5) or 0,
                "p95": entry.get_response_time_percentile(0.95) or 0,
                "p99": entry.get_response_time_percentile(0.99) or 0,
                "max": entry.max_response_time or 0,
            }
        )
    errors = [
        f"{e.method} {e.name}: {e.error} ({e.occurrences}×)"
        for e in environment.stats.errors.values()
    ]
    Path(spec["acknowledged_file"]).write_text(json.dumps(acknowledged))
    say(event="done", seconds=seconds, login_seconds=login_seconds, stats=stats, errors=errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
