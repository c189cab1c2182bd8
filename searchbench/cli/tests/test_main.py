"""The `searchbench` entry point, run as a person runs it: a process whose stdout is a pipe."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from searchbench.cli.main import main
from searchbench.testing import PRODUCTION_SETTINGS, child_env

TOPICS = 3_000  # well over the pipe's 64 KiB of output, so the command is still writing


def first_line_then_close(args: list[str]) -> tuple[str, int, str]:
    """`searchbench ARGS | head -1`: read one line, close the pipe, let the command finish."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchbench", *args],
        env=child_env(PRODUCTION_SETTINGS),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # read only what we ask for: the rest stays in the pipe, blocking the writer
    )
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.read(80).decode(errors="replace").split("\n")[0]
    proc.stdout.close()
    err = proc.stderr.read().decode()
    return line, proc.wait(timeout=60), err


@pytest.fixture
def qrels_and_run(tmp_path: Path) -> tuple[Path, Path]:
    qrels, run = tmp_path / "qrels.txt", tmp_path / "run.txt"
    qrels.write_text("".join(f"{t} 0 d{d} {d % 2}\n" for t in range(TOPICS) for d in range(5)))
    run.write_text(
        "".join(f"{t} Q0 d{d} {d + 1} {5 - d} r\n" for t in range(TOPICS) for d in range(5))
    )
    return qrels, run


def test_it_stops_quietly_when_the_reader_of_eval_goes_away(
    qrels_and_run: tuple[Path, Path],
) -> None:
    qrels, run = qrels_and_run
    line, code, err = first_line_then_close(["eval", "-q", "-m", "P.5,10", str(qrels), str(run)])
    assert line.startswith("P_5")
    assert err == ""  # no BrokenPipeError traceback, no "Exception ignored" at exit
    assert code == 1  # as Python's documented recipe: the output was cut short


def test_it_stops_quietly_when_the_reader_of_a_rich_table_goes_away(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        "".join(json.dumps({"id": i, "title": f"shoe {i}"}) + "\n" for i in range(TOPICS))
    )
    data = str(tmp_path / "data")
    assert (
        main(["index", "--data-dir", data, "create", "shop", "--from", str(docs), "--quiet"]) == 0
    )
    line, code, err = first_line_then_close(
        ["index", "--data-dir", data, "search", "shop", "shoe", "--rows", str(TOPICS)]
    )
    assert "hits" in line
    # rich writes the table in one go: cut short inside that write it exits 1 (rich's own
    # recipe), after it the rest is dropped and the command ends 0 — either way, quietly.
    assert err == "" and code in (0, 1)
