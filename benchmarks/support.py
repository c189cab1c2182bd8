"""What benchmarks/case_run.py and benchmarks/rating_load.py share: a catalogue at scale, real
``searchbench`` processes, the machine's load, and a database of their own.

Nothing here times anything; the scripts do.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://searchbench:searchbench@127.0.0.1:5432/sbbench"
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password"  # throw-away users in a throw-away database
BENCH_USERS = r"^(bench|rater[0-9]+)$"  # the only users a benchmark's database may have


# ---------------------------------------------------------------------------------------------
# The catalogue: the demo's generator at any size, and queries with graded ratings


@dataclass(frozen=True)
class BenchQuery:
    text: str
    ratings: dict[str, int]  # doc id -> grade 0..3 (the demo's ground-truth rule)


def catalogue(size: int, seed: int) -> list[Any]:
    """``size`` products of the demo's outdoor-gear generator (it is linear: 100k in ~3 s)."""
    from searchbench.demo import corpus

    return corpus.generate(size, seed)


def search_doc(product: Any) -> dict[str, str]:
    """A product as both engines index it: the Solr test core's fields (id, title, body, author,
    bib), so the built-in index and Solr hold the same text. The demo's inline SVG thumbnail is
    left out (400 bytes a doc that no query reads)."""
    return {
        "id": product.id,
        "title": product.title,
        "body": product.description,
        "author": product.brand,
        "bib": product.category,
    }


def write_jsonl(path: Path, docs: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for doc in docs:
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def make_queries(
    products: Sequence[Any], count: int, seed: int, per_grade: int = 4
) -> list[BenchQuery]:
    """``count`` distinct queries "ATTR… CATEGORY" (one to three attributes: colour, material,
    feature) with up to ``per_grade`` rated products of each grade 3, 2, 1 and 0 by the demo's
    rule (corpus.DemoQuery.grade), picked at random: grade 3 among the products that have every
    attribute asked, the others by drawing products until each grade has its share."""
    from searchbench.demo import corpus

    attributes_of = {p.id: p.attributes() for p in products}
    category_of = {p.id: p.category for p in products}
    by_category: dict[str, list[str]] = {}
    with_attribute: dict[tuple[str, str], set[str]] = {}
    for p in products:
        by_category.setdefault(p.category, []).append(p.id)
        for attr in p.attributes():
            with_attribute.setdefault((p.category, attr), set()).add(p.id)
    ids = list(attributes_of)
    attributes = list(dict.fromkeys(corpus.COLORS + corpus.MATERIALS + corpus.FEATURES))
    rng = random.Random(seed)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    queries = []
    while len(queries) < count:
        category = rng.choice(corpus.CATEGORIES)
        asked = tuple(sorted(rng.sample(attributes, rng.choice((1, 2, 2, 3)))))
        if (category, asked) in seen:
            continue
        seen.add((category, asked))
        every = set.intersection(*(with_attribute.get((category, a), set()) for a in asked))
        picked = {3: sorted(every)}
        picked[3] = rng.sample(picked[3], min(per_grade, len(picked[3])))
        picked[2], picked[1], picked[0] = [], [], []
        pool = by_category.get(category, [])
        for _ in range(50 * per_grade):
            if len(picked[2]) >= per_grade and len(picked[1]) >= per_grade:
                break
            doc_id = rng.choice(pool)
            hits = sum(1 for a in asked if a in attributes_of[doc_id])
            grade = 3 if hits == len(asked) else 2 if hits else 1
            if grade < 3 and len(picked[grade]) < per_grade and doc_id not in picked[grade]:
                picked[grade].append(doc_id)
        while len(picked[0]) < per_grade:
            doc_id = rng.choice(ids)
            if category_of[doc_id] != category and doc_id not in picked[0]:
                picked[0].append(doc_id)
        ratings = {doc_id: grade for grade, docs in picked.items() for doc_id in docs}
        queries.append(BenchQuery(" ".join([*asked, category]), ratings))
    return queries


# ---------------------------------------------------------------------------------------------
# The machine


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine_line() -> str:
    return f"{os.cpu_count()} cores, load average {load_average()} (1, 5, 15 min)"


# ---------------------------------------------------------------------------------------------
# Real searchbench processes (this checkout's code, whatever is installed in the venv)


def process_env(data_dir: Path, database_url: str | None = None, **settings: str) -> dict[str, str]:
    """The environment of a searchbench process of a benchmark: this checkout first on the path,
    the benchmark's data directory (and database), quiet logs; nothing of the caller's own
    SEARCHBENCH_* settings leaks in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEARCHBENCH_", "DATABASE_URL", "DJANGO_"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        SEARCHBENCH_DATA_DIR=str(data_dir),
        SEARCHBENCH_SECRET_KEY="benchmark-secret-key-not-for-production-use-0123456789",
        SEARCHBENCH_LOG_LEVEL="WARNING",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(settings)
    return env


def searchbench_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "searchbench", *args]


@dataclass
class Processes:
    """Started processes, each with its log file; stopped with SIGTERM (then SIGKILL) on exit."""

    logs: Path
    started: list[tuple[subprocess.Popen[bytes], Path, IO[bytes]]] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        path = self.logs / f"{name}.log"
        log = path.open("ab")
        process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.started.append((process, path, log))
        return process

    def check(self) -> None:
        for process, path, _log in self.started:
            if process.poll() is not None:
                tail = "\n".join(path.read_text(errors="replace").splitlines()[-30:])
                raise RuntimeError(
                    f"{' '.join(process.args)} exited with {process.returncode}:\n{tail}"
                )

    def stop(self, timeout: float = 40.0) -> None:
        for process, _path, _log in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process, _path, log in self.started:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            log.close()
        self.started.clear()

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_json(command: list[str], env: dict[str, str], stdin: str = "") -> Iterator[dict[str, Any]]:
    """Run a child that prints one JSON object a line on stdout (its stderr passes through) and
    yield each as it comes; a child that fails raises with its exit status."""
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(stdin)
    process.stdin.close()
    for line in process.stdout:
        if line.startswith("{"):
            yield json.loads(line)
        else:
            print(line, end="", file=sys.stderr)
    if process.wait() != 0:
        raise RuntimeError(f"{' '.join(command[:4])}… exited with {process.returncode}")


def emit(**row: Any) -> None:
    """A child's answer to its parent: one JSON object on a line."""
    print(json.dumps(row), flush=True)


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The benchmark's own database


def setup_django() -> None:
    """Django for this process, as a deployment runs it: the production settings, named whatever
    the environment says (a benchmark started from a test shell must not load the test ones)."""
    from searchbench.web.bootstrap import SETTINGS_MODULE
    from searchbench.web.bootstrap import setup_django as setup

    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_scratch_database() -> None:
    """Refuse a database that holds anything but a benchmark's own rows: the benchmarks empty
    theirs (``flush``) before they start."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    if get_user_model()._meta.db_table not in connection.introspection.table_names():
        return
    others = get_user_model().objects.exclude(username__regex=BENCH_USERS)
    if others.exists():
        names = ", ".join(others.values_list("username", flat=True)[:5])
        raise SystemExit(
            f"{connection.settings_dict['NAME']}: it has users other than a benchmark's "
            f"({names}); a benchmark empties its database, so give it one of its own "
            "(createdb -O searchbench sbbench)"
        )


def fresh_database() -> None:
    """Migrate, then empty every table (the benchmark's database only, see above), then the
    built-in scorers again."""
    from django.core.management import call_command

    from searchbench.cases.builtins import sync_builtin_scorers

    call_command("migrate", interactive=False, verbosity=0)
    check_scratch_database()
    call_command("flush", interactive=False, verbosity=0)
    sync_builtin_scorers()
